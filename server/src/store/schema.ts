// Drizzle schema. The SQL in server/migrations is generated from this file
// (`npx drizzle-kit generate`) and checked in; migrations run at startup.
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core'

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
})

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  /** Null for an account made by single sign-on that never set a password (it signs in through its provider, or sets one by a reset link). */
  passwordHash: text('password_hash'),
  plan: text('plan', { enum: ['free', 'pro'] }).notNull().default('free'),
  /** Bumped by a password change or "sign out everywhere": user tokens carry it, older ones stop working. */
  tokenVersion: integer('token_version').notNull().default(0),
  /** When the user proved the address is theirs (a verification or reset link); null: not yet. */
  emailVerifiedAt: ts('email_verified_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
})

export const boards = pgTable(
  'boards',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    ownerId: text('owner_id').references(() => users.id, { onDelete: 'set null' }),
    /** Set only while the board is ownerless. */
    expiresAt: ts('expires_at'),
    accessMode: text('access_mode', { enum: ['link', 'specific_users'] }).notNull().default('link'),
    locked: boolean('locked').notNull().default(false),
    archived: boolean('archived').notNull().default(false),
    /** The owner lets editors restore versions and revert people (docs/API.md, History). */
    editorsMayRestore: boolean('editors_may_restore').notNull().default(false),
    /** People at once on the board with their own role; newcomers past it join as readers. Null: the server's BOARD_CAPACITY. */
    capacity: integer('capacity'),
    /** Guests wait in the lobby until an owner or editor lets them in. */
    lobby: boolean('lobby').notNull().default(false),
    /** Element types guests may create; null: all a guest may. */
    guestTools: jsonb('guest_tools').$type<string[]>(),
    guestComments: boolean('guest_comments').notNull().default(true),
    /** Frames whose contents guests may not change. */
    lockedFrames: jsonb('locked_frames').$type<string[]>().notNull().default([]),
    /** Private mode: new notes go to the server for their author alone until revealed. */
    privateNotes: boolean('private_notes').notNull().default(false),
    /** Expiry warnings already sent, as minutes-before-deletion (60, 10). */
    warnedMinutes: integer('warned_minutes'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('boards_owner_idx').on(t.ownerId), index('boards_expires_idx').on(t.expiresAt)],
)

export const memberships = pgTable(
  'memberships',
  {
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['editor', 'reviewer', 'reader'] }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.boardId, t.userId] }), index('memberships_user_idx').on(t.userId)],
)

export const invites = pgTable(
  'invites',
  {
    id: text('id').primaryKey(),
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    token: text('token').notNull().unique(),
    role: text('role', { enum: ['editor', 'reviewer', 'reader'] }).notNull(),
    expiresAt: ts('expires_at'),
    maxUses: integer('max_uses'),
    uses: integer('uses').notNull().default(0),
    revokedAt: ts('revoked_at'),
    createdByKind: text('created_by_kind', { enum: ['user', 'guest'] }).notNull(),
    createdById: text('created_by_id').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('invites_board_idx').on(t.boardId)],
)

export const guests = pgTable(
  'guests',
  {
    id: text('id').primaryKey(),
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    role: text('role', { enum: ['editor', 'reviewer', 'reader'] }).notNull(),
    inviteId: text('invite_id').references(() => invites.id, { onDelete: 'set null' }),
    /** The guest that created this (then ownerless) board. */
    isCreator: boolean('is_creator').notNull().default(false),
    removedAt: ts('removed_at'),
    /** Set when the guest registered: its work now belongs to this user. */
    linkedUserId: text('linked_user_id').references(() => users.id, { onDelete: 'set null' }),
    /** The joining browser's own random id (the web app keeps one in localStorage): a ban refuses it again. */
    browserId: text('browser_id'),
    /** A keyed hash of the address it joined from (never the address itself): a ban refuses it for a while. */
    addressHash: text('address_hash'),
    /** `waiting` in the lobby until a host admits (or denies) it; such a guest reaches nothing of the board. */
    admission: text('admission', { enum: ['admitted', 'waiting', 'denied'] }).notNull().default('admitted'),
    /** Its last knock: when, and the short message it left. */
    knockedAt: ts('knocked_at'),
    knockMessage: text('knock_message'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('guests_board_idx').on(t.boardId), index('guests_invite_idx').on(t.inviteId)],
)

/** Who may not come back to a board: a guest, a user, a browser, an address (hashed; for a while). */
export const boardBans = pgTable(
  'board_bans',
  {
    id: text('id').primaryKey(),
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['guest', 'user', 'browser', 'address'] }).notNull(),
    value: text('value').notNull(),
    /** The banned person's name, for the list of bans. */
    name: text('name').notNull(),
    expiresAt: ts('expires_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('board_bans_lookup_idx').on(t.boardId, t.kind, t.value)],
)

/** A board's shared countdown. */
export const boardTimers = pgTable('board_timers', {
  boardId: text('board_id')
    .primaryKey()
    .references(() => boards.id, { onDelete: 'cascade' }),
  state: text('state', { enum: ['running', 'paused', 'stopped'] }).notNull(),
  durationMs: integer('duration_ms').notNull(),
  /** Running: when it reaches zero. */
  endsAt: ts('ends_at'),
  /** Paused: what was left. */
  remainingMs: integer('remaining_ms'),
  actorKind: text('actor_kind', { enum: ['user', 'guest'] }),
  actorId: text('actor_id'),
  actorName: text('actor_name'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
})

/** Accepted Yjs updates not yet folded into the snapshot (the durable log). */
export const docUpdates = pgTable(
  'doc_updates',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    data: bytea('data').notNull(),
    /**
     * The principal key (auth/principals.ts) whose update this is: history
     * attributes deletions by it (Yjs records no author for a delete).
     * Null on rows older than history.
     */
    actor: text('actor'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('doc_updates_board_idx').on(t.boardId, t.seq)],
)

/**
 * Where a board's history starts: the document up to `lastSeq` merged. Log
 * rows after it are kept (compaction no longer deletes them) until the
 * retention sweep folds the old ones in here. No row: history starts empty.
 */
export const docHistoryBase = pgTable('doc_history_base', {
  boardId: text('board_id')
    .primaryKey()
    .references(() => boards.id, { onDelete: 'cascade' }),
  data: bytea('data').notNull(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
})

/** Points in a board's history: the document as the log held it up to `seq`. */
export const boardVersions = pgTable(
  'board_versions',
  {
    id: text('id').primaryKey(),
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    kind: text('kind', { enum: ['auto', 'named', 'restore', 'revert'] }).notNull(),
    reason: text('reason'),
    name: text('name'),
    actorKind: text('actor_kind', { enum: ['user', 'guest'] }),
    actorId: text('actor_id'),
    actorName: text('actor_name'),
    /** Contributors with their counts, and what a restore or revert did. */
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('board_versions_board_idx').on(t.boardId, t.seq)],
)

/**
 * The compacted document: every update up to `lastSeq` merged. In `data`,
 * or, when `parts` is above zero, in that many rows of doc_snapshot_parts
 * with this `lastSeq` (see store/snapshot-write.ts).
 */
export const docSnapshots = pgTable('doc_snapshots', {
  boardId: text('board_id')
    .primaryKey()
    .references(() => boards.id, { onDelete: 'cascade' }),
  data: bytea('data').notNull(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
  parts: integer('parts').notNull().default(0),
  updatedAt: ts('updated_at').notNull().defaultNow(),
})

/**
 * A big snapshot, cut in parts, on the embedded database: each part is
 * written by a statement of its own, so that no one write holds the event
 * loop (which the embedded database shares with every room) for long. Parts
 * whose `lastSeq` is not their snapshot's are left over from a compaction
 * that was replaced or did not land, and are deleted by the next one.
 */
export const docSnapshotParts = pgTable(
  'doc_snapshot_parts',
  {
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
    part: integer('part').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.boardId, t.lastSeq, t.part] })],
)

/**
 * Files elements refer to (images), per board, by the id the client gave
 * them (Excalidraw's content hash). Stored as sniffed, never as declared.
 */
export const boardFiles = pgTable(
  'board_files',
  {
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    id: text('id').notNull(),
    mimeType: text('mime_type').notNull(),
    size: integer('size').notNull(),
    data: bytea('data').notNull(),
    createdByKind: text('created_by_kind', { enum: ['user', 'guest'] }).notNull(),
    createdById: text('created_by_id').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.boardId, t.id] })],
)

/** Which principal owns each Yjs client id on a board (the update guard's map). */
export const clientIds = pgTable(
  'client_ids',
  {
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    clientId: bigint('client_id', { mode: 'number' }).notNull(),
    principalKind: text('principal_kind', { enum: ['user', 'guest'] }).notNull(),
    principalId: text('principal_id').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.boardId, t.clientId] })],
)

export const comments = pgTable(
  'comments',
  {
    id: text('id').primaryKey(),
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    /** null for a thread's first comment; the thread id for a reply. */
    threadId: text('thread_id'),
    anchor: jsonb('anchor'),
    authorKind: text('author_kind', { enum: ['user', 'guest'] }).notNull(),
    authorId: text('author_id').notNull(),
    authorName: text('author_name').notNull(),
    /** Set on comments that came with an imported board: the original author's name, as display text only. */
    importedAuthor: text('imported_author'),
    body: text('body').notNull(),
    mentions: jsonb('mentions').$type<string[]>().notNull().default([]),
    resolved: boolean('resolved').notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at'),
  },
  (t) => [index('comments_board_idx').on(t.boardId, t.createdAt), index('comments_thread_idx').on(t.threadId)],
)

export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    boardId: text('board_id'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    readAt: ts('read_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.createdAt)],
)

export const activity = pgTable(
  'activity',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    actorKind: text('actor_kind'),
    actorId: text('actor_id'),
    actorName: text('actor_name'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('activity_board_idx').on(t.boardId, t.id)],
)

/** Server-wide settings changed at run time (the admin guest switch). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
})

/** Dot votes: one open at a time per board; ballots are kept outside the document so nobody can forge them. */
export const boardVotes = pgTable(
  'board_votes',
  {
    id: text('id').primaryKey(),
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    votesPerPerson: integer('votes_per_person').notNull(),
    anonymous: boolean('anonymous').notNull(),
    endsAt: ts('ends_at').notNull(),
    closedAt: ts('closed_at'),
    actorKind: text('actor_kind', { enum: ['user', 'guest'] }).notNull(),
    actorId: text('actor_id').notNull(),
    actorName: text('actor_name').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('board_votes_board_idx').on(t.boardId, t.createdAt)],
)

export const voteBallots = pgTable(
  'vote_ballots',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    voteId: text('vote_id')
      .notNull()
      .references(() => boardVotes.id, { onDelete: 'cascade' }),
    voterKind: text('voter_kind', { enum: ['user', 'guest'] }).notNull(),
    voterId: text('voter_id').notNull(),
    voterName: text('voter_name').notNull(),
    elementId: text('element_id').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('vote_ballots_vote_idx').on(t.voteId, t.voterKind, t.voterId)],
)

/** Notes kept by the server for their author alone until a facilitator reveals them onto the board. */
export const privateNotes = pgTable(
  'private_notes',
  {
    id: text('id').primaryKey(),
    boardId: text('board_id')
      .notNull()
      .references(() => boards.id, { onDelete: 'cascade' }),
    authorKind: text('author_kind', { enum: ['user', 'guest'] }).notNull(),
    authorId: text('author_id').notNull(),
    authorName: text('author_name').notNull(),
    /** The element as the author drew it (stored fields, docs/WEB.md), placed on the board at reveal. */
    element: jsonb('element').$type<Record<string, unknown>>().notNull(),
    revealedAt: ts('revealed_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('private_notes_board_idx').on(t.boardId, t.authorKind, t.authorId)],
)

/** "Bring everyone to me" in force on a board, so that people who join or reconnect meanwhile follow too. */
export const boardSummons = pgTable('board_summons', {
  boardId: text('board_id')
    .primaryKey()
    .references(() => boards.id, { onDelete: 'cascade' }),
  summon: jsonb('summon').$type<Record<string, unknown>>().notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
})

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
