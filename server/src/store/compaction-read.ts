// A compaction's read: the board's snapshot and its log up to a given seq,
// merged into one update. On PostgreSQL the merge worker reads the rows
// itself over a connection of its own; on the embedded database (which lives
// in this thread) and whenever the worker cannot, the rows are read here, in
// slices, and merged as they come: on the embedded database here when the
// board is small, else in the worker.
import { and, asc, eq, gt, lte, type Placeholder, type SQL, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import { type Db, queryRows } from './db.js'
import { inlineJob, mergeInline, unpackRows } from './merge-inline.js'
import type { LogReadRequest, MergedLog, MergeWorker } from './merge-worker.js'
import { docSnapshots, docUpdates } from './schema.js'
import { storedSnapshotSql } from './snapshot-write.js'

/** Log rows a compaction reads at once in the merge worker (PostgreSQL). */
export const COMPACTION_SLICE_ROWS = 2_000
/**
 * Log rows a compaction reads at once on this thread (the embedded database,
 * or PostgreSQL when the worker cannot reach it). Every live update on the
 * server waits while a slice is read, and a busy room then needs about as
 * long again to catch up: at A 200's 400 updates/s, slices of 2,000 rows
 * held the loop 54 and 22 ms, and a 99 ms stall followed.
 */
export const THREAD_SLICE_ROWS = 500
/**
 * And at most about this many bytes (the row that crosses it is the last): a
 * slice comes back as one value, which PostgreSQL caps at 1 GB, and which the
 * embedded database builds inside its heap (a WebAssembly heap only grows).
 * Updates go up to WS_MAX_MESSAGE_BYTES each, so 500 of them could be far
 * more than one slice should hold.
 */
export const THREAD_SLICE_BYTES = 1024 * 1024

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
    .select({ data: storedSnapshotSql('"doc_snapshots"'), lastSeq: docSnapshots.lastSeq })
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

/**
 * One slice of the log as one row: the updates end to end, their lengths
 * (4 bytes each, big-endian), the last seq and how many. On the embedded
 * database every row and bytea of a result is built in JavaScript on this
 * thread; one row per 2,000 log rows took ~5 ms to read instead of 24-31.
 * The byte cap's running sum costs that back in part (in slices of 500:
 * 11-17 ms per 2,000 rows instead of 5.5-8.4), the price of never building
 * one value of hundreds of megabytes.
 */
function sliceStatement(boardId: string, from: number, upto: number): SQL {
  return sql`SELECT string_agg(w.data, ''::bytea ORDER BY w.seq) AS packed,
      string_agg(int4send(length(w.data)), ''::bytea ORDER BY w.seq) AS lengths,
      max(w.seq) AS last, count(*) AS n
    FROM (SELECT l.seq, l.data, sum(length(l.data)) OVER (ORDER BY l.seq ROWS UNBOUNDED PRECEDING) AS upto_here
      FROM (SELECT ${docUpdates.seq} AS seq, ${docUpdates.data} AS data FROM ${docUpdates}
        WHERE ${docUpdates.boardId} = ${boardId} AND ${docUpdates.seq} > ${from} AND ${docUpdates.seq} <= ${upto}
        ORDER BY ${docUpdates.seq} LIMIT ${THREAD_SLICE_ROWS}) l) w
    WHERE w.upto_here - length(w.data) < ${THREAD_SLICE_BYTES}`
}

interface PackedSlice {
  packed: Uint8Array
  lengths: Uint32Array
}


/** Logs up to this size (snapshot included) are merged on this thread, see inlineJob. */
export interface InlineBudget {
  rows: number
  bytes: number
}

/**
 * A board this small is merged here, where the merge worker's first start
 * and merge cost ~100 ms of the same core (see inlineJob). Measured warm on one core: a 60 KB
 * snapshot applied in ~2 ms, 500 shape moves in ~1 ms, the result encoded in
 * ~1 ms, each step in a turn of its own with live traffic between them; a
 * 240 KB snapshot took 20-37 ms in one step. Bigger boards go to the worker,
 * so that no single step holds the event loop for long.
 */
export const INLINE_MERGE: InlineBudget = { rows: 1_000, bytes: 64 * 1024 }
/** Rows an inline merge applies per turn of the event loop. */
const INLINE_STEP_ROWS = 100

export type ThreadMerged = MergedLog & { mergedBy: 'thread' | 'worker' }

/**
 * Reads in this thread, and merges here too when the log fits `inline`,
 * else in the worker (here should the worker fail). The caller's estimate
 * of the log's size counts only its own instance's appends, so the budget is
 * checked again as the rows come: a log that outgrows it is handed, from
 * its start, to the worker.
 */
export async function readInThread(
  db: Db,
  merger: MergeWorker,
  boardId: string,
  edge: CompactionEdge,
  inline: InlineBudget | null = null,
): Promise<ThreadMerged | 'stale'> {
  const [stored] = await db
    .select({ data: storedSnapshotSql('"doc_snapshots"'), lastSeq: docSnapshots.lastSeq })
    .from(docSnapshots)
    .where(eq(docSnapshots.boardId, boardId))
  if ((stored?.lastSeq ?? null) !== edge.lastSeq) return 'stale'
  const snapshot = stored ? [stored.data] : []
  const snapshotBytes = snapshot[0]?.length ?? 0
  let budget = inline && snapshotBytes <= inline.bytes ? inline : null
  let job = budget ? inlineJob() : merger.job()
  job.add(snapshot)
  // Kept for the in-process merge, should the worker fail, and for a hand-over to it.
  const slices: PackedSlice[] = []
  let lastSeq = stored?.lastSeq ?? 0
  let folded = 0
  let foldedBytes = 0
  try {
    while (lastSeq < edge.upto) {
      // Live traffic goes between two slices' reads: a timer runs only after
      // the loop has polled its sockets and run what that scheduled (commits,
      // broadcasts), where an immediate could run first.
      if (folded > 0) await new Promise((resolve) => setTimeout(resolve, 1))
      const [row] = await queryRows<{ packed: Uint8Array | null; lengths: Uint8Array | null; last: string | number | null; n: string | number }>(
        db,
        sliceStatement(boardId, lastSeq, edge.upto),
      )
      if (!row || Number(row.n) === 0 || !row.packed || !row.lengths) break
      const view = new DataView(row.lengths.buffer, row.lengths.byteOffset, row.lengths.byteLength)
      const lengths = new Uint32Array(row.lengths.byteLength / 4)
      for (let i = 0; i < lengths.length; i++) lengths[i] = view.getUint32(i * 4)
      slices.push({ packed: row.packed, lengths })
      folded += lengths.length
      foldedBytes += row.packed.length
      lastSeq = Number(row.last)
      if (budget && (folded > budget.rows || snapshotBytes + foldedBytes > budget.bytes)) {
        job.cancel()
        budget = null
        job = merger.job()
        job.add(snapshot)
        for (const slice of slices) job.addPacked(slice.packed, slice.lengths)
      } else if (budget) {
        // Cold code (this thread's first compaction) applied 500 rows in
        // ~20 ms at once: a few rows per turn keep every step short.
        const rows = unpackRows(row.packed, lengths)
        for (let i = 0; i < rows.length; i += INLINE_STEP_ROWS) {
          if (i > 0) await new Promise((resolve) => setTimeout(resolve, 1))
          job.add(rows.slice(i, i + INLINE_STEP_ROWS))
        }
      } else {
        job.addPacked(row.packed, lengths)
      }
    }
  } catch (err) {
    job.cancel()
    throw err
  }
  if (folded === 0) {
    // Nothing to fold (the rows went meanwhile).
    job.cancel()
    return { data: new Uint8Array(0), lastSeq, folded, foldedBytes, mergedBy: budget ? 'thread' : 'worker' }
  }
  if (budget) return { data: await job.finish(), lastSeq, folded, foldedBytes, mergedBy: 'thread' }
  let mergedBy: ThreadMerged['mergedBy'] = 'worker'
  const data = await job.finish().catch(() => {
    mergedBy = 'thread'
    return mergeInline([...snapshot, ...slices.flatMap((slice) => unpackRows(slice.packed, slice.lengths))])
  })
  return { data, lastSeq, folded, foldedBytes, mergedBy }
}

/**
 * Who read or merged a compaction's document: the merge worker or this
 * thread; 'live': the board's live document was the snapshot
 * (DocStore.compactLive), nothing was read or merged; read by 'memory': its
 * last snapshot and the rows appended since, kept in memory, merged by the
 * worker.
 */
export type CompactionReader = 'worker' | 'thread' | 'live' | 'memory'

export interface LogRead {
  merged: MergedLog | 'stale'
  readBy: CompactionReader
  mergedBy: CompactionReader
}

/**
 * The snapshot and the log up to the edge, merged: read by the worker where
 * it can (PostgreSQL), else read here, and then merged here for a small
 * board and in the worker for a big one. On PostgreSQL small boards go to
 * the worker too: read and merged on the main thread, A 200 on PostgreSQL
 * showed stalls of 0.2-1.1 s in about one run of four, never seen with the
 * worker reading (docs/PERFORMANCE.md, "Small boards merged on the main
 * thread"); the cause was not found, so that path is not taken there.
 */
export class LogReader {
  /** What the merge worker needs to read a log itself; null when this thread reads it. */
  private readonly request: Omit<LogReadRequest, 'boardId' | 'expectSeq' | 'upto'> | null
  private workerFailed = false

  constructor(
    private readonly db: Db,
    private readonly merger: MergeWorker,
    private readonly logger: Logger,
    readerUrl: string | null,
  ) {
    this.request = readerUrl ? { url: readerUrl, sliceRows: COMPACTION_SLICE_ROWS, ...logReadStatements(db) } : null
  }

  /** `inline`: the budget a merge on this thread must fit, given when the caller's estimate of the log's size is within it. */
  async read(boardId: string, edge: CompactionEdge, inline: InlineBudget | null): Promise<LogRead> {
    if (this.request) {
      try {
        const merged = await this.merger.readAndMerge({ ...this.request, boardId, expectSeq: edge.lastSeq, upto: edge.upto })
        this.workerFailed = false
        return { merged, readBy: 'worker', mergedBy: 'worker' }
      } catch (err) {
        // Said once per outage, not per compaction; this thread reads meanwhile.
        if (!this.workerFailed) this.logger.warn({ err, boardId }, 'the merge worker could not read the log; compacting from this thread')
        this.workerFailed = true
      }
    }
    // Small boards are merged here on the embedded database only (see above).
    const merged = await readInThread(this.db, this.merger, boardId, edge, this.request ? null : inline)
    return { merged, readBy: 'thread', mergedBy: merged === 'stale' ? 'thread' : merged.mergedBy }
  }
}
