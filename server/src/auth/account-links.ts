// Links sent by e-mail: password reset and e-mail verification.
//
// A link holds 32 random bytes; only their SHA-256 is stored. A link works
// once (a conditional UPDATE spends it, so two uses racing cannot both win),
// until it expires; issuing a new one spends the older ones of its kind, and
// a completed reset spends every reset link of the account. An address gets
// at most LINKS_PER_HOUR links of a kind an hour; beyond that requests are
// answered the same and nothing is sent.
import { createHash, randomBytes } from 'node:crypto'
import { and, count, eq, isNull, lt, sql } from 'drizzle-orm'
import { ErrorCode } from '../../../shared/constants.js'
import type { User } from '../../../shared/types.js'
import type { EmailVerification } from '../config.js'
import { AppError } from '../errors.js'
import { passwordResetMail, verificationMail } from '../mail/mail-templates.js'
import type { MailSender } from '../mail/mailer.js'
import type { Db } from '../store/db.js'
import { accountTokens, users } from '../store/schema.js'
import { type AccountService, checkPassword, normalizeEmail } from './account-service.js'
import { presentUser } from './present-user.js'
import { accountColumns, loadUserByEmail, type UserRow } from './principals.js'

/** Links of one kind one address may be sent per hour. */
export const LINKS_PER_HOUR = 3
const VERIFY_TTL_MS = 7 * 86_400_000
/** Spent and expired rows are kept this long (the per-hour count needs the last hour), then purged. */
const KEEP_MS = 86_400_000

export type AccountTokenPurpose = (typeof accountTokens.$inferSelect)['purpose']
type Purpose = Exclude<AccountTokenPurpose, 'sso'>

export interface AccountLinkDeps {
  db: Db
  accounts: AccountService
  mail: MailSender
  publicUrl: string
  resetTtlMs: number
  verification: EmailVerification
}

export const hashLinkToken = (token: string): string => createHash('sha256').update(token).digest('hex')

export const invalidLink = (): AppError => new AppError(400, ErrorCode.invalidLink, 'This link is invalid, was already used or has expired; ask for a new one')

export class AccountLinks {
  constructor(private readonly d: AccountLinkDeps) {}

  /**
   * Queues a reset link for the account with this address, if there is one.
   * The caller answers the same at once either way: the lookup runs after the
   * answer, so neither the answer nor its timing tells whether the address
   * has an account.
   */
  requestReset(rawEmail: string): void {
    const email = normalizeEmail(rawEmail)
    this.d.mail.compose('password-reset', async () => {
      const user = await loadUserByEmail(this.d.db, email)
      if (!user) return null
      const token = await this.issue(user, 'reset', this.d.resetTtlMs)
      return token ? passwordResetMail(user.email, `${this.d.publicUrl}/reset-password#token=${token}`, this.d.resetTtlMs) : null
    })
  }

  /** Sets the new password; the account's earlier tokens (and reset links) stop working. Answers a fresh token. */
  async completeReset(token: string, password: string): Promise<{ user: User; token: string }> {
    // Before the link is spent: a too-short password must not cost the user the link.
    checkPassword(password)
    const spent = await spendAccountToken(this.d.db, token, 'reset')
    await this.d.db
      .update(accountTokens)
      .set({ spentAt: sql`now()` })
      .where(and(eq(accountTokens.userId, spent.userId), eq(accountTokens.purpose, 'reset'), isNull(accountTokens.spentAt)))
    return this.d.accounts.resetPassword(spent.userId, password, spent.email)
  }

  /** Sends a verification link to a user's address (after register, or asked again). */
  sendVerification(user: UserRow): void {
    if (this.d.verification === 'off' || user.emailVerifiedAt !== null) return
    this.d.mail.compose('email-verification', async () => {
      const token = await this.issue(user, 'verify', VERIFY_TTL_MS)
      return token ? verificationMail(user.email, user.name, `${this.d.publicUrl}/verify-email#token=${token}`) : null
    })
  }

  /** Marks the address verified; the link is spent. */
  async verify(token: string): Promise<User> {
    const spent = await spendAccountToken(this.d.db, token, 'verify')
    // Only the address the link went to: had the account changed its address since, the link proves nothing.
    const [row] = await this.d.db
      .update(users)
      .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
      .where(and(eq(users.id, spent.userId), eq(users.email, spent.email)))
      .returning(accountColumns(users))
    if (!row) throw invalidLink()
    return presentUser(row)
  }

  /** Drops rows spent or expired a while ago (the sweeper calls it). */
  async purge(): Promise<number> {
    const gone = await this.d.db
      .delete(accountTokens)
      .where(lt(accountTokens.createdAt, new Date(Date.now() - Math.max(KEEP_MS, this.d.resetTtlMs, VERIFY_TTL_MS))))
      .returning({ h: accountTokens.tokenHash })
    return gone.length
  }

  /** A new link of `purpose` for the user, spending older ones; null past the per-hour limit. */
  private async issue(user: UserRow, purpose: Purpose, ttlMs: number): Promise<string | null> {
    const mine = and(eq(accountTokens.userId, user.id), eq(accountTokens.purpose, purpose))
    const [recent] = await this.d.db
      .select({ n: count() })
      .from(accountTokens)
      .where(and(mine, sql`${accountTokens.createdAt} > now() - interval '1 hour'`))
    if ((recent?.n ?? 0) >= LINKS_PER_HOUR) return null
    const token = randomBytes(32).toString('base64url')
    await this.d.db.transaction(async (tx) => {
      await tx.update(accountTokens).set({ spentAt: sql`now()` }).where(and(mine, isNull(accountTokens.spentAt)))
      await tx.insert(accountTokens).values({ tokenHash: hashLinkToken(token), userId: user.id, purpose, email: user.email, expiresAt: sql`now() + make_interval(secs => ${ttlMs / 1000})` })
    })
    return token
  }
}

/** Spends a live link (or sign-on code): one conditional UPDATE, so it works once. */
export async function spendAccountToken(db: Db, token: string, purpose: AccountTokenPurpose): Promise<{ userId: string; email: string }> {
  const [row] = await db
    .update(accountTokens)
    .set({ spentAt: sql`now()` })
    .where(
      and(
        eq(accountTokens.tokenHash, hashLinkToken(token)),
        eq(accountTokens.purpose, purpose),
        isNull(accountTokens.spentAt),
        sql`${accountTokens.expiresAt} > now()`,
      ),
    )
    .returning({ userId: accountTokens.userId, email: accountTokens.email })
  if (!row) throw invalidLink()
  return row
}
