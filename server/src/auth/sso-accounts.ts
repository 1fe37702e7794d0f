// Who a person signed in by the identity provider is here, and the one-time
// code that hands their session to the web app.
//
// An identity (issuer + subject) once linked always means its account, even
// if the provider's address for it changes later. A first sign-in links to
// the account with the same address only when the provider vouches for the
// address (email_verified); otherwise it would hand anyone who can name an
// address at their provider the account of that address. With no such
// account, a new one is made, without a password.
import { randomBytes } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import { ErrorCode } from '../../../shared/constants.js'
import { normalizeDisplayName } from '../../../shared/names.js'
import type { User } from '../../../shared/types.js'
import { AppError } from '../errors.js'
import type { Db } from '../store/db.js'
import { accountTokens, userIdentities, users } from '../store/schema.js'
import { hashLinkToken, invalidLink, spendAccountToken } from './account-links.js'
import { type AccountService, normalizeEmail } from './account-service.js'
import type { ProviderIdentity } from './oidc-client.js'
import { accountColumns, loadUser, loadUserByEmail, type ResolvedPrincipal, type UserRow } from './principals.js'

/** How long the web app has to spend the code the sign-in hands it. */
const CODE_TTL_S = 120

export interface SsoAccountDeps {
  db: Db
  accounts: AccountService
  /** The provider's name, for messages. */
  providerName: string
}

/** A sign-in that cannot be given an account; `code` is what the web app shows it as. */
export class SsoRefusal extends AppError {}

export class SsoAccounts {
  constructor(private readonly d: SsoAccountDeps) {}

  /** The account for this identity: linked before, linked now by a vouched-for address, or new. */
  async resolve(who: ProviderIdentity): Promise<UserRow> {
    const linked = await this.linkedAccount(who)
    if (linked) return linked
    if (!who.email) throw new SsoRefusal(400, ErrorCode.ssoFailed, `${this.d.providerName} did not share your e-mail address, which an account here needs`)
    let email: string
    try {
      email = normalizeEmail(who.email)
    } catch {
      throw new SsoRefusal(400, ErrorCode.ssoFailed, `${this.d.providerName} gave an e-mail address this server cannot use`)
    }
    const existing = await loadUserByEmail(this.d.db, email)
    if (existing) {
      if (!who.emailVerified) {
        throw new SsoRefusal(
          409,
          ErrorCode.ssoEmailUnverified,
          `An account with ${email} exists, but ${this.d.providerName} has not confirmed that this address is yours, so they cannot be joined. Sign in with your password instead.`,
        )
      }
      return this.link(who, await this.d.accounts.addressProvenByProvider(existing), email)
    }
    const created = await this.create(who, email)
    // Someone else made the account with this address a moment ago: go again, it is now an existing account.
    return created ?? this.resolve(who)
  }

  /** A code the web app trades for a session (the browser comes back with it in the address's fragment, never sent to a server). */
  async codeFor(user: UserRow): Promise<string> {
    const code = randomBytes(32).toString('base64url')
    await this.d.db.insert(accountTokens).values({
      tokenHash: hashLinkToken(code),
      userId: user.id,
      purpose: 'sso',
      email: user.email,
      expiresAt: sql`now() + make_interval(secs => ${CODE_TTL_S})`,
    })
    return code
  }

  /** Spends the code (once, within CODE_TTL_S) for a token; a guest token presented with it brings that guest's work along. */
  async complete(code: string, presenting: ResolvedPrincipal | null): Promise<{ user: User; token: string }> {
    const spent = await spendAccountToken(this.d.db, code, 'sso')
    const row = await loadUser(this.d.db, spent.userId)
    if (!row) throw invalidLink()
    return this.d.accounts.signIn(row, presenting)
  }

  private async linkedAccount(who: ProviderIdentity): Promise<UserRow | null> {
    const [hit] = await this.d.db
      .select({ user: accountColumns(users) })
      .from(userIdentities)
      .innerJoin(users, eq(users.id, userIdentities.userId))
      .where(and(eq(userIdentities.issuer, who.issuer), eq(userIdentities.subject, who.subject)))
      .limit(1)
    if (!hit) return null
    await this.d.db
      .update(userIdentities)
      .set({ lastUsedAt: sql`now()`, email: who.email })
      .where(and(eq(userIdentities.issuer, who.issuer), eq(userIdentities.subject, who.subject)))
    return hit.user
  }

  private async link(who: ProviderIdentity, user: UserRow, email: string): Promise<UserRow> {
    await this.d.db
      .insert(userIdentities)
      .values({ issuer: who.issuer, subject: who.subject, userId: user.id, email })
      .onConflictDoNothing()
    // Two first sign-ins racing: whichever linked first decides.
    return (await this.linkedAccount(who)) ?? user
  }

  /** A new account without a password; null if the address was taken meanwhile. */
  private async create(who: ProviderIdentity, email: string): Promise<UserRow | null> {
    const name = [who.name ?? '', email.split('@')[0]!]
      .map((n) => normalizeDisplayName(n))
      .reduce<string | null>((found, n) => found ?? (n.ok ? n.name : null), null) ?? 'New member'
    const row = await this.d.db.transaction(async (tx) => {
      const [created] = await tx
        .insert(users)
        .values({ id: nanoid(), email, name, passwordHash: null, emailVerifiedAt: who.emailVerified ? new Date() : null })
        .onConflictDoNothing({ target: users.email })
        .returning(accountColumns(users))
      if (!created) return null
      await tx.insert(userIdentities).values({ issuer: who.issuer, subject: who.subject, userId: created.id, email })
      return created
    })
    if (row) this.d.accounts.onRegistered?.(row)
    return row
  }
}
