// Turns a bearer token into a principal, checked against the database: a
// valid signature is not enough, the guest must still exist, not be removed,
// and the link it came through must not be revoked; a user token must carry
// the user's current token version (older ones were signed out).
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../store/db.js'
import { preparedOn, UNNAMED } from '../store/prepared.js'
import { boards, guests, invites, users } from '../store/schema.js'
import { accountColumns, type UserRow } from './user-row.js'
import { guestEntryRefusal } from '../../../shared/rules.js'
import type { PrincipalKind } from '../../../shared/types.js'
import type { TokenClaims, TokenService } from './tokens.js'
import { type ApiKeyClaims, type ApiKeyLimits, currentApiKey, isApiKeyToken, parseApiKey, resolveApiKey } from './api-keys.js'

export type GuestRow = typeof guests.$inferSelect
export { accountColumns, type UserRow } from './user-row.js'

/**
 * The one principal type: who acts, as the database knows it now. Everything
 * else about it (its id, key, name) comes from the functions below; nothing
 * else spells them out.
 */
export type ResolvedPrincipal =
  /** `apiKey`: the user acts through a personal API key, within its limits (see api-keys.ts). */
  | { kind: 'user'; user: UserRow; apiKey?: ApiKeyLimits }
  | { kind: 'guest'; guest: GuestRow }

/** What a bearer token says before the database is asked: a signed token's claims, or an API key's id and secret. */
export type Credentials = TokenClaims | ApiKeyClaims

/** A principal by kind and id (what activity, participants and signals name). */
export interface PrincipalRef {
  kind: PrincipalKind
  id: string
}
/** A principal with its display name (activity actors, comment authors). */
export interface PrincipalSummary extends PrincipalRef {
  name: string
}

export function principalId(p: ResolvedPrincipal): string {
  return p.kind === 'user' ? p.user.id : p.guest.id
}

export function principalRef(p: ResolvedPrincipal): PrincipalRef {
  return { kind: p.kind, id: principalId(p) }
}

export function principalName(p: ResolvedPrincipal): string {
  return p.kind === 'user' ? p.user.name : p.guest.name
}

export function principalSummary(p: ResolvedPrincipal): PrincipalSummary {
  return { ...principalRef(p), name: principalName(p) }
}

/**
 * The key a principal is known by in maps and stores (Yjs client-id owners,
 * presence, rate limits): `user:<id>` or `guest:<id>`. Built and read here
 * only.
 */
export function principalKey(p: ResolvedPrincipal | PrincipalRef): string {
  const ref = 'id' in p ? p : principalRef(p)
  return `${ref.kind}:${ref.id}`
}

export function parsePrincipalKey(key: string): PrincipalRef {
  const i = key.indexOf(':')
  const kind = key.slice(0, i)
  if (kind !== 'user' && kind !== 'guest') throw new Error(`not a principal key: ${key.slice(0, 40)}`)
  return { kind, id: key.slice(i + 1) }
}

export function samePrincipal(a: ResolvedPrincipal | PrincipalRef, b: ResolvedPrincipal | PrincipalRef): boolean {
  return principalKey(a) === principalKey(b)
}

export type TokenCheck =
  | { ok: true; principal: ResolvedPrincipal }
  /** `invalid`: bad, expired or forged; `revoked`: it was fine, but access ended; `guests_off`: the global switch. */
  | { ok: false; why: 'invalid' | 'revoked' | 'guests_off' }

export async function loadUser(db: DbOrTx, id: string): Promise<UserRow | undefined> {
  const [row] = await preparedOn(db, 'drawbridge_user', (d) =>
    d.select(accountColumns(users)).from(users).where(eq(users.id, sql.placeholder('id'))).limit(1).prepare(UNNAMED),
  ).execute({ id })
  return row
}

/** The account with this address (already normalised, see normalizeEmail). */
export async function loadUserByEmail(db: DbOrTx, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select(accountColumns(users)).from(users).where(eq(users.email, email)).limit(1)
  return row
}

/** The account with this address and its password hash, for a sign-in to check and forget. */
export async function loadLogin(db: DbOrTx, email: string): Promise<{ user: UserRow; passwordHash: string | null } | undefined> {
  const [row] = await db.select({ user: accountColumns(users), passwordHash: users.passwordHash }).from(users).where(eq(users.email, email)).limit(1)
  return row
}

/** The guest row if the guest may still act: not removed, not carried into an account, its link alive. */
export async function loadActiveGuest(db: DbOrTx, id: string): Promise<GuestRow | 'revoked' | undefined> {
  const [row] = await preparedOn(db, 'drawbridge_active_guest', (d) =>
    d
      .select({ guest: guests, inviteRevokedAt: invites.revokedAt })
      .from(guests)
      .innerJoin(boards, eq(boards.id, guests.boardId))
      .leftJoin(invites, eq(invites.id, guests.inviteId))
      .where(eq(guests.id, sql.placeholder('id')))
      .limit(1)
      .prepare(UNNAMED),
  ).execute({ id })
  return activeGuest(row)
}

/** A guest row (with its link's revocation) as loadActiveGuest judges it. */
export function activeGuest(row: { guest: GuestRow; inviteRevokedAt: Date | null } | undefined): GuestRow | 'revoked' | undefined {
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

  /** The principal as the database has it now (a live connection's, re-checked). */
  refresh(p: ResolvedPrincipal): Promise<Refreshed> {
    return refreshPrincipal(this.db, p)
  }

  /** The one way from a bearer token to a principal, for HTTP, /collab and socket.io alike. */
  async resolve(token: string): Promise<TokenCheck> {
    const claims = await this.claims(token)
    if (!claims) return { ok: false, why: 'invalid' }
    return this.principalOf(claims)
  }

  /** The signature (or an API key's form) alone, cheap, no database: for callers that check other things before the database. */
  claims(token: string): Promise<Credentials | null> {
    if (isApiKeyToken(token)) return Promise.resolve(parseApiKey(token))
    return this.tokens.verify(token)
  }

  /** The principal behind verified claims, checked against the database. */
  async principalOf(claims: Credentials): Promise<TokenCheck> {
    if (claims.kind === 'apiKey') return resolveApiKey(this.db, claims)
    if (claims.kind === 'user') return this.checkUser(claims, await loadUser(this.db, claims.id))
    // With the guest switch off no row is read: checkGuest refuses before looking at one.
    if (!this.guestsEnabled()) return this.checkGuest(claims, undefined)
    return this.checkGuest(claims, await loadActiveGuest(this.db, claims.id))
  }

  /** A user token against its user's row as the database has it now (loadUser, or read with something else). */
  checkUser(claims: Extract<TokenClaims, { kind: 'user' }>, user: UserRow | undefined): TokenCheck {
    return user && user.tokenVersion === claims.tokenVersion ? { ok: true, principal: { kind: 'user', user } } : { ok: false, why: 'invalid' }
  }

  /** A guest token against its guest as loadActiveGuest (or activeGuest on a row read with something else) has it. */
  checkGuest(claims: Extract<TokenClaims, { kind: 'guest' }>, guest: GuestRow | 'revoked' | undefined): TokenCheck {
    // The rulebook's guest switch: off, every guest token is refused (a forced sign-out).
    if (guestEntryRefusal({ guestsEnabled: this.guestsEnabled() })) return { ok: false, why: 'guests_off' }
    if (guest === undefined) return { ok: false, why: 'invalid' }
    if (guest === 'revoked') return { ok: false, why: 'revoked' }
    // A token whose board claim disagrees with the row was not issued by us.
    if (guest.boardId !== claims.boardId) return { ok: false, why: 'invalid' }
    return { ok: true, principal: { kind: 'guest', guest } }
  }
}

export type Refreshed = { ok: true; principal: ResolvedPrincipal } | { ok: false; why: 'signed_out' | 'gone' }

/**
 * Re-reads a principal from the database. A user resolved from a token
 * carries the token's version (resolve checked they match), so a newer one
 * in the database means that token was signed out; `gone`: the user or guest
 * may no longer act at all (deleted, removed, its link revoked, carried into
 * an account).
 */
export async function refreshPrincipal(db: DbOrTx, p: ResolvedPrincipal): Promise<Refreshed> {
  if (p.kind === 'user') {
    const user = await loadUser(db, p.user.id)
    if (!user) return { ok: false, why: 'gone' }
    if (p.apiKey) {
      // A key outlives password changes; revoking it signs it out.
      const key = await currentApiKey(db, p.apiKey.id, user.id)
      return key ? { ok: true, principal: { kind: 'user', user, apiKey: key } } : { ok: false, why: 'signed_out' }
    }
    return user.tokenVersion === p.user.tokenVersion ? { ok: true, principal: { kind: 'user', user } } : { ok: false, why: 'signed_out' }
  }
  const guest = await loadActiveGuest(db, p.guest.id)
  return guest && guest !== 'revoked' ? { ok: true, principal: { kind: 'guest', guest } } : { ok: false, why: 'gone' }
}

export const activeGuestsOf = (boardId: string) =>
  and(eq(guests.boardId, boardId), isNull(guests.removedAt), isNull(guests.linkedUserId))

/**
 * Whether a `user.signed_out` signal ends what `p` opened: a password change
 * or sign-out everywhere ends the user's older tokens but not its API keys;
 * a revoked key (`apiKeyId`) ends only what that key opened.
 */
export function signedOutBy(p: ResolvedPrincipal, signal: { userId: string; tokenVersion: number; apiKeyId?: string }): boolean {
  if (p.kind !== 'user' || p.user.id !== signal.userId) return false
  if (p.apiKey) return p.apiKey.id === signal.apiKeyId
  return signal.apiKeyId === undefined && p.user.tokenVersion < signal.tokenVersion
}
