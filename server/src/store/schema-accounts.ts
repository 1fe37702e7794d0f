// Accounts' credentials and what reaches outside: API keys, e-mailed links,
// the outbox, claim reminders, webhooks, single sign-on identities.
import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import { ts } from './schema-columns.js'
import { boards, guests, users } from './schema-boards.js'

/**
 * Personal API keys: a bearer credential a user made for scripts, limited to
 * read or write and to all or some of the user's boards. Only a SHA-256 of
 * the secret is kept; the key itself is shown once, when it is made.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    scope: text('scope', { enum: ['read', 'write'] }).notNull(),
    /** Board ids the key reaches; null: every board the user can reach. */
    boardIds: jsonb('board_ids').$type<string[]>(),
    secretHash: text('secret_hash').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at'),
  },
  (t) => [index('api_keys_user_idx').on(t.userId)],
)

/**
 * Single-use links sent by e-mail (password reset, e-mail verification).
 * Only a SHA-256 of the token is kept. A spent row (used or superseded) stays
 * a day so that the per-address limit can count what was sent.
 */
export const accountTokens = pgTable(
  'account_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** sso: the one-time code a single sign-on hands the web app, spent for a token (auth/sso-accounts.ts). */
    purpose: text('purpose', { enum: ['reset', 'verify', 'sso'] }).notNull(),
    /** The address the link went to: verification confirms this one only. */
    email: text('email').notNull(),
    expiresAt: ts('expires_at').notNull(),
    spentAt: ts('spent_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('account_tokens_user_idx').on(t.userId, t.purpose, t.createdAt)],
)

/** Mail the server would have sent without SMTP_URL: the operator's outbox (`npm run admin -- mail`), the newest few kept. */
export const mailOutbox = pgTable('mail_outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  toAddress: text('to_address').notNull(),
  subject: text('subject').notNull(),
  body: text('body').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
})

/** A guest's address, to be reminded an hour before its temporary board is deleted; forgotten once sent (or the board is claimed or gone). */
export const claimReminders = pgTable(
  'claim_reminders',
  {
    guestId: text('guest_id')
      .primaryKey()
      .references(() => guests.id, { onDelete: 'cascade' }),
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('claim_reminders_board_idx').on(t.boardId)],
)

/**
 * Signed webhooks (docs/API.md, Webhooks): a pro user's subscription to the
 * events of one board they own (`boardId`) or of all their boards (null).
 * The secret is kept as is: every delivery is signed with it.
 */
export const webhooks = pgTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    boardId: text('board_id').references(() => boards.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: jsonb('events').$type<string[]>().notNull(),
    secret: text('secret').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    description: text('description').notNull().default(''),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('webhooks_user_idx').on(t.userId), index('webhooks_board_idx').on(t.boardId)],
)

/**
 * The delivery queue and its log: one row per event per webhook, retried
 * with backoff until it is delivered or out of attempts; the newest few per
 * webhook are kept with the responses of their attempts.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    /** The `webhook-id` header: the same on every attempt, so receivers can drop repeats. */
    id: text('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    event: text('event').notNull(),
    /** The body exactly as sent (and signed). */
    payload: text('payload').notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    /** An instance is sending it until then; another may take it over after. */
    lockedUntil: ts('locked_until'),
    /** Each attempt: when, status code, the start of the response body, duration, error. */
    log: jsonb('log').$type<WebhookAttemptRow[]>().notNull().default([]),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('webhook_deliveries_due_idx').on(t.status, t.nextAttemptAt), index('webhook_deliveries_webhook_idx').on(t.webhookId, t.createdAt)],
)

export interface WebhookAttemptRow {
  at: string
  statusCode: number | null
  body: string | null
  durationMs: number
  error: string | null
}

/** An account's identity at the OpenID Connect provider: who `sub` at `issuer` is here (auth/sso-accounts.ts). */
export const userIdentities = pgTable(
  'user_identities',
  {
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The address the provider gave when the identity was linked or last used. */
    email: text('email'),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] }), index('user_identities_user_idx').on(t.userId)],
)
