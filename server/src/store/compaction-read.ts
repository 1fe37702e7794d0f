// A compaction's read: the board's snapshot and its log up to a given seq,
// merged into one update. On PostgreSQL the merge worker reads the rows
// itself over a connection of its own; on the embedded database (which lives
// in this thread), for a small board, and whenever the worker cannot, the
// rows are read here, in slices. A small board is merged here too; once what
// was read outgrows INLINE_MERGE_MAX_BYTES the rest goes to the worker.
import { and, asc, eq, gt, lte, type Placeholder, sql } from 'drizzle-orm'
import * as Y from 'yjs'
import { plainDoc } from '../util/y-doc.js'
import type { Db } from './db.js'
import { type LogReadRequest, type MergedLog, type MergeJob, type MergeWorker, mergeInline } from './merge-worker.js'
import { docSnapshots, docUpdates } from './schema.js'

/** Log rows a compaction reads at once. */
export const COMPACTION_SLICE_ROWS = 2_000
/**
 * While the server is quiet (INLINE_MERGE_MAX_BUSY), a board whose snapshot
 * and log come to no more than this is merged on this thread, where Yjs is
 * already loaded, a step at a time: about 500 small edits. The merge worker,
 * a thread with an engine of its own, is started only for bigger ones, or
 * when this thread is busy; its first start alone took ~0.3 s of CPU
 * (compiling Yjs and the driver again), more than a quiet board's
 * compactions cost in an hour, and its memory stays for the server's life.
 * (Merged in one piece, the first such merge in a process, its code still
 * cold, held the event loop for ~80 ms: hence the steps.)
 */
export const INLINE_MERGE_MAX_BYTES = 64 * 1024
/**
 * Above this busy share of the event loop (util/loop-load.ts) every merge goes
 * to the worker: on a busy server, work moved onto this thread is work every
 * live update waits behind (A 200 on the embedded database: p99 several
 * times worse with small boards merged here).
 */
export const INLINE_MERGE_MAX_BUSY = 0.3

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

/** Updates a merge on this thread applies per turn of the event loop (a few milliseconds, even while its code is cold). */
const INLINE_MERGE_STEP = 32

/** A merge on this thread, fed as the slices come, a step per turn of the event loop. */
class InlineMerge {
  private readonly doc = plainDoc()

  async add(updates: Uint8Array[]): Promise<void> {
    for (let at = 0; at < updates.length; at += INLINE_MERGE_STEP) {
      if (at > 0) await new Promise((resolve) => setImmediate(resolve))
      Y.transact(this.doc, () => {
        for (const u of updates.slice(at, at + INLINE_MERGE_STEP)) Y.applyUpdate(this.doc, u)
      })
    }
  }

  finish(): Uint8Array {
    const out = Y.encodeStateAsUpdate(this.doc)
    this.doc.destroy()
    return out
  }

  abandon(): void {
    this.doc.destroy()
  }
}

/**
 * Reads in this thread and merges here while what was read is at most
 * `inlineMaxBytes`, else in the worker (here all the same should the worker fail).
 */
export async function readInThread(
  db: Db,
  merger: MergeWorker,
  boardId: string,
  edge: CompactionEdge,
  inlineMaxBytes = INLINE_MERGE_MAX_BYTES,
): Promise<MergedLog | 'stale'> {
  const [stored] = await db.select({ data: docSnapshots.data, lastSeq: docSnapshots.lastSeq }).from(docSnapshots).where(eq(docSnapshots.boardId, boardId))
  if ((stored?.lastSeq ?? null) !== edge.lastSeq) return 'stale'
  let job: MergeJob | null = null
  let inline: InlineMerge | null = new InlineMerge()
  let fedInline = 0
  // Everything read: handed to the worker should the board turn out big, and merged here should the worker fail.
  const inputs: Uint8Array[] = stored ? [stored.data as Uint8Array] : []
  const snapshotBytes = stored ? (stored.data as Uint8Array).length : 0
  let lastSeq = stored?.lastSeq ?? 0
  let folded = 0
  let foldedBytes = 0
  try {
    while (lastSeq < edge.upto) {
      const slice = await db
        .select({ seq: docUpdates.seq, data: docUpdates.data })
        .from(docUpdates)
        .where(and(eq(docUpdates.boardId, boardId), gt(docUpdates.seq, lastSeq), lte(docUpdates.seq, edge.upto)))
        .orderBy(asc(docUpdates.seq))
        .limit(COMPACTION_SLICE_ROWS)
      if (slice.length === 0) break
      const updates = slice.map((r) => r.data as Uint8Array)
      inputs.push(...updates)
      for (const u of updates) foldedBytes += u.length
      folded += updates.length
      if (inline && snapshotBytes + foldedBytes > inlineMaxBytes) {
        // Too big to merge here (another instance's appends, say): the worker takes all of it.
        inline.abandon()
        inline = null
        job = merger.job()
        job.add(inputs)
      } else if (inline) {
        // Whatever it has not had yet: the first time, the snapshot too.
        await inline.add(inputs.slice(fedInline))
        fedInline = inputs.length
      } else {
        job!.add(updates)
      }
      lastSeq = slice[slice.length - 1]!.seq
    }
    if (folded === 0) {
      // Nothing to fold (the rows went meanwhile); a worker's job is let go.
      job?.finish().catch(() => {})
      return { data: new Uint8Array(0), lastSeq, folded, foldedBytes }
    }
    const data = inline ? inline.finish() : await job!.finish().catch(() => mergeInline(inputs))
    inline = null
    return { data, lastSeq, folded, foldedBytes }
  } finally {
    inline?.abandon()
  }
}
