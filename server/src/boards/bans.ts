// Who may not come back to a board. A ban names the guest or user, and for a
// guest also the browser it joined from (the web app's own random id) and,
// for BAN_ADDRESS_FOR, its address, kept only as a keyed hash.
import { createHmac } from 'node:crypto'
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm'
import { ErrorCode } from '../../../shared/constants.js'
import { AppError } from '../errors.js'
import type { DbOrTx } from '../store/db.js'
import { boardBans } from '../store/schema.js'

/** Where someone joins from, as far as bans go. */
export interface Arrival {
  browserId?: string | null
  addressHash?: string | null
  userId?: string | null
}

/** A keyed hash of a client address: bans can match it, nobody can read the address back. */
export function addressHash(secret: Uint8Array, address: string): string {
  return createHmac('sha256', secret).update(`address:${address}`).digest('base64url').slice(0, 32)
}

export const bannedError = () => new AppError(403, ErrorCode.banned, 'You cannot join this board: a host has banned you')

/** Whether an unexpired ban on the board matches any of the arrival's marks. */
export async function isBanned(db: DbOrTx, boardId: string, arrival: Arrival): Promise<boolean> {
  const marks = [
    arrival.browserId ? and(eq(boardBans.kind, 'browser'), eq(boardBans.value, arrival.browserId)) : undefined,
    arrival.addressHash ? and(eq(boardBans.kind, 'address'), eq(boardBans.value, arrival.addressHash)) : undefined,
    arrival.userId ? and(eq(boardBans.kind, 'user'), eq(boardBans.value, arrival.userId)) : undefined,
  ].filter((m) => m !== undefined)
  if (marks.length === 0) return false
  const [hit] = await db
    .select({ id: boardBans.id })
    .from(boardBans)
    .where(and(eq(boardBans.boardId, boardId), or(isNull(boardBans.expiresAt), gt(boardBans.expiresAt, sql`now()`)), or(...marks)))
    .limit(1)
  return hit !== undefined
}
