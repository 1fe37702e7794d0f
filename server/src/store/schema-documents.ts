// A board's document: the durable log, its snapshots and history, its files,
// and who owns which Yjs client id.
import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import { bytea, ts } from './schema-columns.js'
import { boards } from './schema-boards.js'

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
