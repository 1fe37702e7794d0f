// A compaction's read: the board's snapshot and its log up to a given seq,
// merged into one update. On PostgreSQL the merge worker reads the rows
// itself over a connection of its own; on the embedded database (which lives
// in this thread) and whenever the worker cannot, the rows are read here, in
// slices, and fed to the worker as they come.
import { and, asc, eq, gt, lte, type Placeholder, sql } from 'drizzle-orm'
import type { Db } from './db.js'
import { type LogReadRequest, type MergedLog, type MergeWorker, mergeInline } from './merge-worker.js'
import { docSnapshots, docUpdates } from './schema.js'

/** Log rows a compaction reads at once. */
export const COMPACTION_SLICE_ROWS = 2_000

/** Where the log to fold ends, and the snapshot it starts from (null: none yet). */
export interface CompactionEdge {
  lastSeq: number | null
  upto: number
}

type SliceParam = LogReadRequest['sliceOrder'][number]

/** The worker's two statements, rendered by drizzle from the schema so that they cannot drift from it. */
export function logReadStatements(db: Db): Pick<LogReadRequest, 'snapshotSql' | 'sliceSql' | 'sliceOrder'> {
  const p = (name: SliceParam) => sql.placeholder(name)
  const snapshot = db
    .select({ data: docSnapshots.data, lastSeq: docSnapshots.lastSeq })
    .from(docSnapshots)
    .where(eq(docSnapshots.boardId, p('boardId')))
    .toSQL()
  const slice = db
    .select({ seq: docUpdates.seq, data: docUpdates.data })
    .from(docUpdates)
    .where(and(eq(docUpdates.boardId, p('boardId')), gt(docUpdates.seq, p('from')), lte(docUpdates.seq, p('upto'))))
    .orderBy(asc(docUpdates.seq))
    .limit(p('limit'))
    .toSQL()
  const names = (params: unknown[]) => params.map((x) => (x as Placeholder<SliceParam>).name)
  if (names(snapshot.params).join() !== 'boardId') throw new Error(`unexpected snapshot statement: ${snapshot.sql}`)
  return { snapshotSql: snapshot.sql, sliceSql: slice.sql, sliceOrder: names(slice.params) }
}

/** Reads in this thread and merges in the worker (in this thread should the worker fail). */
export async function readInThread(db: Db, merger: MergeWorker, boardId: string, edge: CompactionEdge): Promise<MergedLog | 'stale'> {
  const [stored] = await db.select({ data: docSnapshots.data, lastSeq: docSnapshots.lastSeq }).from(docSnapshots).where(eq(docSnapshots.boardId, boardId))
  if ((stored?.lastSeq ?? null) !== edge.lastSeq) return 'stale'
  const job = merger.job()
  // Kept for the in-process merge, should the worker fail.
  const inputs: Uint8Array[] = stored ? [stored.data as Uint8Array] : []
  job.add(inputs)
  let lastSeq = stored?.lastSeq ?? 0
  let folded = 0
  let foldedBytes = 0
  while (lastSeq < edge.upto) {
    const slice = await db
      .select({ seq: docUpdates.seq, data: docUpdates.data })
      .from(docUpdates)
      .where(and(eq(docUpdates.boardId, boardId), gt(docUpdates.seq, lastSeq), lte(docUpdates.seq, edge.upto)))
      .orderBy(asc(docUpdates.seq))
      .limit(COMPACTION_SLICE_ROWS)
    if (slice.length === 0) break
    const updates = slice.map((r) => r.data as Uint8Array)
    job.add(updates)
    inputs.push(...updates)
    folded += updates.length
    for (const u of updates) foldedBytes += u.length
    lastSeq = slice[slice.length - 1]!.seq
  }
  if (folded === 0) {
    // Nothing to fold (the rows went meanwhile); the worker's job is let go.
    job.finish().catch(() => {})
    return { data: new Uint8Array(0), lastSeq, folded, foldedBytes }
  }
  const data = await job.finish().catch(() => mergeInline(inputs))
  return { data, lastSeq, folded, foldedBytes }
}
