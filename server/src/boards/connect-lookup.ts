// What a /collab connect reads before it joins: the board (with its owner's
// plan) and the principal its token names (the user and its membership, or
// the guest and its link), in one statement. Read one after the other they
// were two or three round trips, most of a join's time before its first
// byte: after a quiet moment the first query to PostgreSQL took 1.7-1.9 ms
// here and each further one 0.8-1.0 ms (docs/PERFORMANCE.md). The checks on
// the rows stay where they are (PrincipalResolver.checkUser/checkGuest,
// Policy.accessFrom), so a connect judges exactly what an HTTP request does.
import { eq, and, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Role } from '../../../shared/capabilities.js'
import { accountColumns, activeGuest, type Credentials, type GuestRow, type PrincipalResolver, type TokenCheck, type UserRow } from '../auth/principals.js'
import type { TokenClaims } from '../auth/tokens.js'
import type { DbOrTx } from '../store/db.js'
import { preparedOn } from '../store/prepared.js'
import { boards, guests, invites, memberships, users } from '../store/schema.js'
import { type BoardWithTier, loadBoard, withTier } from './policy.js'

interface ConnectRows {
  loaded: BoardWithTier
  /** The user's membership role on the board (users only). */
  memberRole: Role | null
  /** The token's user, if it exists (user tokens only). */
  user?: UserRow
  /** The token's guest and its link's revocation, if the guest exists (guest tokens only). */
  guest?: { guest: GuestRow; inviteRevokedAt: Date | null }
}

const me = alias(users, 'me')

// Named statements (PostgreSQL parses and plans them once per pool
// connection; PGlite ignores the name), unlike the other lookups
// (store/prepared.ts): planning this four-table join took 0.85 ms of the
// database's time on every connect, and a join waits for it. With a name,
// the statement after 100 ms of quiet answered in 0.68 ms instead of 1.13
// (p50 of 60 each, docs/PERFORMANCE.md).
const CONNECT_USER = 'drawbridge_connect_user'
const CONNECT_GUEST = 'drawbridge_connect_guest'

/** The board and the token's principal as the database has them now; undefined when the board does not exist. */
async function loadConnectRows(db: DbOrTx, boardId: string, claims: TokenClaims): Promise<ConnectRows | undefined> {
  if (claims.kind === 'user') {
    const [row] = await preparedOn(db, CONNECT_USER, (d) =>
      d
        .select({ board: boards, ownerPlan: users.plan, memberRole: memberships.role, user: accountColumns(me) })
        .from(boards)
        .leftJoin(users, eq(users.id, boards.ownerId))
        .leftJoin(me, eq(me.id, sql.placeholder('userId')))
        .leftJoin(memberships, and(eq(memberships.boardId, boards.id), eq(memberships.userId, sql.placeholder('userId'))))
        .where(eq(boards.id, sql.placeholder('boardId')))
        .limit(1)
        .prepare(CONNECT_USER),
    ).execute({ boardId, userId: claims.id })
    return row && { loaded: withTier(row), memberRole: row.memberRole, user: row.user ?? undefined }
  }
  const [row] = await preparedOn(db, CONNECT_GUEST, (d) =>
    d
      .select({ board: boards, ownerPlan: users.plan, guest: guests, inviteRevokedAt: invites.revokedAt })
      .from(boards)
      .leftJoin(users, eq(users.id, boards.ownerId))
      .leftJoin(guests, eq(guests.id, sql.placeholder('guestId')))
      .leftJoin(invites, eq(invites.id, guests.inviteId))
      .where(eq(boards.id, sql.placeholder('boardId')))
      .limit(1)
      .prepare(CONNECT_GUEST),
  ).execute({ boardId, guestId: claims.id })
  return row && { loaded: withTier(row), memberRole: null, guest: row.guest ? { guest: row.guest, inviteRevokedAt: row.inviteRevokedAt } : undefined }
}

export interface ConnectLookup {
  loaded: BoardWithTier
  /** The token's principal, checked as for any request. */
  check: TokenCheck
  /** The membership read with it (Policy.accessFrom); undefined when it was not (API keys: Policy.accessTo). */
  memberRole?: Role | null
}

/**
 * The board a connect names and its token's principal; undefined when the
 * board does not exist. A signed token's come in one statement; an API key's
 * limits live in another row, so it is resolved as for HTTP.
 */
export async function lookUpConnect(db: DbOrTx, resolver: PrincipalResolver, boardId: string, claims: Credentials): Promise<ConnectLookup | undefined> {
  if (claims.kind === 'apiKey') {
    const loaded = await loadBoard(db, boardId)
    return loaded && { loaded, check: await resolver.principalOf(claims) }
  }
  const rows = await loadConnectRows(db, boardId, claims)
  if (!rows) return undefined
  const check = claims.kind === 'user' ? resolver.checkUser(claims, rows.user) : resolver.checkGuest(claims, activeGuest(rows.guest))
  return { loaded: rows.loaded, check, memberRole: rows.memberRole }
}
