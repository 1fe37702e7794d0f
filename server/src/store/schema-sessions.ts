// What people do on a board beside the document: comments, notifications,
// activity, votes, private notes, summons.
import { bigserial, boolean, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core'
import { ts } from './schema-columns.js'
import { boards, users } from './schema-boards.js'

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
