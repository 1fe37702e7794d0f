// Writing a compacted snapshot. It lands in a short transaction under the
// board's lock; on the embedded database a big one is first stored in parts
// (doc_snapshot_parts). PGlite runs on the thread that serves every room,
// and writing a snapshot of 1-2.6 MB as one value held that thread 50-100 ms
// (B's board; a stall that a busy room's updates all wait behind). Parts of
// 64 KB are written a statement each, with a turn of the event loop between
// them; the snapshot row then points at them when it lands.
import { and, eq, ne, type SQL, sql } from 'drizzle-orm'
import type { Db } from './db.js'
import { boards, docSnapshotParts, docSnapshots } from './schema.js'

/** Bytes per part: one such insert holds the embedded database's thread for a few milliseconds. */
export const SNAPSHOT_PART_BYTES = 64 * 1024

/**
 * The bytes of the snapshot row `alias` of doc_snapshots, whole or put
 * together from its parts: every reader of a snapshot uses this.
 */
export function storedSnapshotSql(alias: string): SQL<Uint8Array> {
  if (!/^[a-z_"]+$/.test(alias)) throw new Error(`unexpected alias ${alias}`)
  return sql<Uint8Array>`${sql.raw(
    `CASE WHEN ${alias}.parts = 0 THEN ${alias}.data ELSE (SELECT string_agg(p.data, ''::bytea ORDER BY p.part) FROM doc_snapshot_parts p WHERE p.board_id = ${alias}.board_id AND p.last_seq = ${alias}.last_seq) END`,
  )}`
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 1))

/**
 * Writes `data` as the parts of the board's snapshot up to `lastSeq` and
 * answers how many. Nothing reads them until a snapshot row says `parts`
 * with this `lastSeq`, so they are written outside any transaction; a
 * timer between two parts lets the loop poll its sockets first.
 */
export async function writeSnapshotParts(db: Db, boardId: string, lastSeq: number, data: Uint8Array, partBytes = SNAPSHOT_PART_BYTES): Promise<number> {
  // What an earlier attempt at the same seq left.
  await dropSnapshotParts(db, boardId, lastSeq)
  let part = 0
  for (let at = 0; at < data.length; at += partBytes, part++) {
    await turn()
    await db.insert(docSnapshotParts).values({ boardId, lastSeq, part, data: data.slice(at, at + partBytes) })
  }
  return part
}

/** Deletes the parts of the board's snapshot up to `lastSeq` (one that did not land). */
export async function dropSnapshotParts(db: Db, boardId: string, lastSeq: number): Promise<void> {
  await db.delete(docSnapshotParts).where(and(eq(docSnapshotParts.boardId, boardId), eq(docSnapshotParts.lastSeq, lastSeq)))
}

/** Deletes the board's parts that are not of its snapshot up to `keepSeq`, a part per statement. */
export async function dropStaleSnapshotParts(db: Db, boardId: string, keepSeq: number): Promise<number> {
  const stale = await db
    .select({ lastSeq: docSnapshotParts.lastSeq, part: docSnapshotParts.part })
    .from(docSnapshotParts)
    .where(and(eq(docSnapshotParts.boardId, boardId), ne(docSnapshotParts.lastSeq, keepSeq)))
  for (const p of stale) {
    await turn()
    await db
      .delete(docSnapshotParts)
      .where(and(eq(docSnapshotParts.boardId, boardId), eq(docSnapshotParts.lastSeq, p.lastSeq), eq(docSnapshotParts.part, p.part)))
  }
  return stale.length
}

/**
 * Writes the snapshot (its parts first, when it is over `partBytes`) and
 * lands it in a short transaction, unless the board's snapshot is no longer
 * the one up to `expectSeq` (another compaction landed meanwhile) or the
 * board is gone. Parts of a snapshot that did not land are the caller's.
 */
export async function landSnapshot(
  db: Db,
  boardId: string,
  expectSeq: number | null,
  data: Uint8Array,
  lastSeq: number,
  partBytes: number | null,
): Promise<{ landed: boolean; parts: number }> {
  const parts = partBytes !== null && data.length > partBytes ? await writeSnapshotParts(db, boardId, lastSeq, data, partBytes) : 0
  const landed = await db.transaction(async (tx) => {
    if (!(await lockBoardForCompaction(tx, boardId))) return false
    const [current] = await tx.select({ lastSeq: docSnapshots.lastSeq }).from(docSnapshots).where(eq(docSnapshots.boardId, boardId))
    if ((current?.lastSeq ?? 0) !== (expectSeq ?? 0)) return false
    // In parts, the row's own bytes are empty.
    const row = { data: parts > 0 ? new Uint8Array(0) : data, lastSeq, parts }
    await tx
      .insert(docSnapshots)
      .values({ boardId, ...row })
      .onConflictDoUpdate({ target: docSnapshots.boardId, set: { ...row, updatedAt: sql`now()` } })
    // The folded rows stay: they are the board's history until the
    // retention sweep (history/retention.ts) folds them into its base.
    return true
  })
  return { landed, parts }
}

/**
 * Orders the compactions of one board (on every instance) and makes a
 * compaction of a deleted board land nowhere. NO KEY UPDATE, not UPDATE:
 * each append's foreign-key check takes KEY SHARE on the same row, which
 * UPDATE would block until the compaction commits (the whole board's log
 * waiting behind a snapshot write). False when the board is gone.
 */
export async function lockBoardForCompaction(tx: Pick<Db, 'select'>, boardId: string): Promise<boolean> {
  const [board] = await tx.select({ id: boards.id }).from(boards).where(eq(boards.id, boardId)).for('no key update')
  return board !== undefined
}
