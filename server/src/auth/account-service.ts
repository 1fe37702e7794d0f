import { eq, type SQL, sql } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import { ErrorCode } from '../../../shared/constants.js'
import { normalizeDisplayName } from '../../../shared/names.js'
import type { Plan, User } from '../../../shared/types.js'
import { AppError, badRequest, conflict, notFound } from '../errors.js'
import type { Changes } from '../domain/changes.js'
import { boards, users } from '../store/schema.js'
import type { Db, DbOrTx } from '../store/db.js'
import { hashPassword, verifyPassword } from './passwords.js'
import { presentUser } from './present-user.js'
import { accountColumns, type GuestRow, loadLogin, type ResolvedPrincipal, type UserRow } from './principals.js'
import type { TokenService } from './tokens.js'

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 256
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u

export function checkPassword(password: string, field = 'password'): void {
  if (password.length < PASSWORD_MIN) throw badRequest(`${field} must be at least ${PASSWORD_MIN} characters`)
  if (password.length > PASSWORD_MAX) throw badRequest(`${field} must be at most ${PASSWORD_MAX} characters`)
}

/** Emails compare case-insensitively and in one Unicode form. */
export function normalizeEmail(raw: string): string {
  const email = raw.normalize('NFC').trim().toLowerCase()
  if (email.length > 254 || !EMAIL.test(email)) throw badRequest('email is not a valid email address')
  return email
}

/**
 * Carries a guest's work into an account (what that means for the board is
 * the boards layer's: see boards/guest-link.ts), inside the account's
 * transaction.
 */
export type GuestLinker = (tx: DbOrTx, guest: GuestRow, user: UserRow) => Promise<void>

/** What the account service needs; built once in app.ts. */
export interface AccountDeps {
  db: Db
  tokens: TokenService
  changes: Changes
  linkGuest: GuestLinker
}

export class AccountService {
  /** Told of each new account after it is committed (the verification mail). */
  onRegistered: ((user: UserRow) => void) | null = null

  constructor(
    private readonly d: AccountDeps,
  ) {}

  /**
   * A new account. Presenting a guest token carries that guest's work into
   * it (see linkGuest).
   */
  async register(
    input: { email: string; password: string; name: string },
    presenting: ResolvedPrincipal | null = null,
  ): Promise<{ user: User; token: string }> {
    const email = normalizeEmail(input.email)
    checkPassword(input.password)
    const name = normalizeDisplayName(input.name)
    if (!name.ok) throw badRequest(`name ${name.reason}`)
    const passwordHash = await hashPassword(input.password)
    const guest = presenting?.kind === 'guest' ? presenting.guest : null
    const row = await this.d.db.transaction(async (tx) => {
      const [created] = await tx
        .insert(users)
        .values({ id: nanoid(), email, name: name.name, passwordHash })
        .onConflictDoNothing({ target: users.email })
        .returning(accountColumns(users))
      if (!created) throw conflict('An account with this email already exists', ErrorCode.emailTaken)
      if (guest) await this.d.linkGuest(tx, guest, created)
      return created
    })
    if (guest) this.announceLink(guest, row)
    this.onRegistered?.(row)
    return { user: presentUser(row), token: await this.userToken(row) }
  }

  /** Presenting a guest token at login carries its work into the existing account too. */
  async login(input: { email: string; password: string }, presenting: ResolvedPrincipal | null = null): Promise<{ user: User; token: string }> {
    const email = input.email.normalize('NFC').trim().toLowerCase()
    const found = await loadLogin(this.d.db, email)
    const ok = await verifyPassword(input.password, found?.passwordHash)
    if (!found || !ok) throw new AppError(401, ErrorCode.invalidCredentials, 'Wrong email or password')
    return this.signIn(found.user, presenting)
  }

  /** A token for an account whose owner proved who they are (a password, single sign-on); a guest token presented with it brings its work along. */
  async signIn(row: UserRow, presenting: ResolvedPrincipal | null): Promise<{ user: User; token: string }> {
    if (presenting?.kind === 'guest') {
      const guest = presenting.guest
      await this.d.db.transaction((tx) => this.d.linkGuest(tx, guest, row))
      this.announceLink(guest, row)
    }
    return { user: presentUser(row), token: await this.userToken(row) }
  }

  /**
   * The identity provider vouches for the account's address. If the account
   * had never proved it, whoever registered it may not own it (someone can
   * sign up with another's address before they do): its password and every
   * session end, and the address counts as verified from now on.
   */
  async addressProvenByProvider(row: UserRow): Promise<UserRow> {
    if (row.emailVerifiedAt !== null) return row
    return this.bumpTokenVersion(row.id, { passwordHash: null, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
  }

  private userToken(row: UserRow): Promise<string> {
    return this.d.tokens.issue({ kind: 'user', id: row.id, tokenVersion: row.tokenVersion })
  }

  /**
   * A new password; every token issued before stops working, on every
   * instance, and live connections opened with them close. The caller stays
   * signed in with the fresh token returned.
   */
  async changePassword(user: UserRow, input: { currentPassword: string; newPassword: string }): Promise<{ user: User; token: string }> {
    // The stored hash, not the one read when the token was checked: a
    // concurrent change must be proven with the password it set.
    const [current] = await this.d.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, user.id)).limit(1)
    if (current && current.passwordHash === null) throw conflict('This account has no password yet (it signs in with single sign-on); set one with a reset link: "Forgot your password?"')
    const ok = await verifyPassword(input.currentPassword, current?.passwordHash)
    if (!current || !ok) throw new AppError(401, ErrorCode.invalidCredentials, 'The current password is wrong')
    checkPassword(input.newPassword, 'newPassword')
    const passwordHash = await hashPassword(input.newPassword)
    const row = await this.bumpTokenVersion(user.id, { passwordHash })
    return { user: presentUser(row), token: await this.userToken(row) }
  }

  /**
   * A password set through a reset link (auth/account-links.ts): like a
   * change, every earlier token stops working; and the link, mailed to
   * `email`, proved the address while it is still the account's.
   */
  async resetPassword(userId: string, newPassword: string, email: string): Promise<{ user: User; token: string }> {
    checkPassword(newPassword)
    const passwordHash = await hashPassword(newPassword)
    const row = await this.bumpTokenVersion(userId, {
      passwordHash,
      emailVerifiedAt: sql`CASE WHEN ${users.email} = ${email} THEN coalesce(${users.emailVerifiedAt}, now()) ELSE ${users.emailVerifiedAt} END`,
    })
    return { user: presentUser(row), token: await this.userToken(row) }
  }

  /** Signs the user out everywhere: every token issued so far, this one included, stops working. */
  async logoutAll(user: UserRow): Promise<void> {
    await this.bumpTokenVersion(user.id, {})
  }

  private async bumpTokenVersion(userId: string, set: { passwordHash?: string | null; emailVerifiedAt?: SQL }): Promise<UserRow> {
    const [row] = await this.d.db
      .update(users)
      .set({ ...set, tokenVersion: sql`${users.tokenVersion} + 1` })
      .where(eq(users.id, userId))
      .returning(accountColumns(users))
    if (!row) throw new AppError(401, ErrorCode.unauthenticated, 'The token is invalid or has expired')
    // After the commit: instances that hear it close what older tokens opened;
    // those that miss it (Redis down) re-check from the database when it is back.
    this.d.changes.record({ type: 'user.signed_out', userId, tokenVersion: row.tokenVersion })
    return row
  }

  private announceLink(guest: GuestRow, user: UserRow): void {
    // Its client ids follow it into the account, and its live connections end
    // (the guest token is superseded); the user reconnects.
    this.d.changes.record({ type: 'guest.linked', boardId: guest.boardId, guestId: guest.id, guestName: guest.name, userId: user.id })
  }

  async setPlan(userId: string, plan: Plan): Promise<User> {
    const [row] = await this.d.db.update(users).set({ plan }).where(eq(users.id, userId)).returning(accountColumns(users))
    if (!row) throw notFound('User')
    // Tier follows the owner's plan: guest caps on their boards change with it.
    const owned = await this.d.db.select({ id: boards.id }).from(boards).where(eq(boards.ownerId, userId))
    this.d.changes.record({ type: 'plan.changed', boardIds: owned.map((b) => b.id) })
    return presentUser(row)
  }
}
