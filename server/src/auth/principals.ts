// Turns a bearer token into a principal, checked against the database: a
// valid signature is not enough, the guest must still exist, not be removed,
// and the link it came through must not be revoked; a user token must carry
// the user's current token version (older ones were signed out).
import { and, eq, isNull } from 'drizzle-orm'
import type { DbOrTx } from '../store/db.js'
import { boards, guests, invites, users } from '../store/schema.js'
import type { TokenService } from './tokens.js'

export type UserRow = typeof users.$inferSelect
export type GuestRow = typeof guests.$inferSelect

export type ResolvedPrincipal = { kind: 'user'; user: UserRow } | { kind: 'guest'; guest: GuestRow }

export function principalRef(p: ResolvedPrincipal): { kind: 'user' | 'guest'; id: string } {
  return p.kind === 'user' ? { kind: 'user', id: p.user.id } : { kind: 'guest', id: p.guest.id }
}

export function principalName(p: ResolvedPrincipal): string {
  return p.kind === 'user' ? p.user.name : p.guest.name
}

export type TokenCheck =
  | { ok: true; principal: ResolvedPrincipal }
  /** `invalid`: bad, expired or forged; `revoked`: it was fine, but access ended; `guests_off`: the global switch. */
  | { ok: false; why: 'invalid' | 'revoked' | 'guests_off' }

export async function loadUser(db: DbOrTx, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1)
  return row
}

/** The guest row if the guest may still act: not removed, not carried into an account, its link alive. */
export async function loadActiveGuest(db: DbOrTx, id: string): Promise<GuestRow | 'revoked' | undefined> {
  const [row] = await db
    .select({ guest: guests, inviteRevokedAt: invites.revokedAt })
    .from(guests)
    .innerJoin(boards, eq(boards.id, guests.boardId))
    .leftJoin(invites, eq(invites.id, guests.inviteId))
    .where(and(eq(guests.id, id)))
    .limit(1)
  if (!row) return undefined
  // Carried into an account: the guest token is superseded by the user's.
  if (row.guest.linkedUserId !== null) return undefined
  if (row.guest.removedAt !== null || row.inviteRevokedAt !== null) return 'revoked'
  return row.guest
}

export class PrincipalResolver {
  constructor(
    private readonly db: DbOrTx,
    private readonly tokens: TokenService,
    /** The global guest switch: when off, every guest token is refused (a forced sign-out). */
    private readonly guestsEnabled: () => boolean = () => true,
  ) {}

  refresh(p: ResolvedPrincipal): Promise<ResolvedPrincipal | null> {
    return refreshPrincipal(this.db, p)
  }

  async resolve(token: string): Promise<TokenCheck> {
    const claims = await this.tokens.verify(token)
    if (!claims) return { ok: false, why: 'invalid' }
    if (claims.kind === 'user') {
      const user = await loadUser(this.db, claims.id)
      return user && user.tokenVersion === claims.tokenVersion ? { ok: true, principal: { kind: 'user', user } } : { ok: false, why: 'invalid' }
    }
    if (!this.guestsEnabled()) return { ok: false, why: 'guests_off' }
    const guest = await loadActiveGuest(this.db, claims.id)
    if (guest === undefined) return { ok: false, why: 'invalid' }
    if (guest === 'revoked') return { ok: false, why: 'revoked' }
    // A token whose board claim disagrees with the row was not issued by us.
    if (guest.boardId !== claims.boardId) return { ok: false, why: 'invalid' }
    return { ok: true, principal: { kind: 'guest', guest } }
  }
}

/**
 * Re-reads a principal from the database; null when it may no longer act.
 * A user resolved from a token carries the token's version (resolve checked
 * they match), so a newer one in the database means that token was signed out.
 */
export async function refreshPrincipal(db: DbOrTx, p: ResolvedPrincipal): Promise<ResolvedPrincipal | null> {
  if (p.kind === 'user') {
    const user = await loadUser(db, p.user.id)
    return user && user.tokenVersion === p.user.tokenVersion ? { kind: 'user', user } : null
  }
  const guest = await loadActiveGuest(db, p.guest.id)
  return guest && guest !== 'revoked' ? { kind: 'guest', guest } : null
}

export const activeGuestsOf = (boardId: string) =>
  and(eq(guests.boardId, boardId), isNull(guests.removedAt), isNull(guests.linkedUserId))
