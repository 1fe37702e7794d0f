// Users, boards and who may reach them: the tables the policy reads.
import { boolean, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import { ts } from './schema-columns.js'

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

/** Server-wide settings changed at run time (the admin guest switch). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
})
