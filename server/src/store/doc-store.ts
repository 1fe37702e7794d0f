// Durable board documents: an append-only update log (its group commit in
// append-queue.ts) folded into a compacted snapshot, and the client id →
// principal map of the guard (client-ids.ts).
import { eq, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type * as Y from 'yjs'
import { type Db, queryRows } from './db.js'
import { boards, docSnapshots, docUpdates } from './schema.js'
import { RecentSnapshots } from './recent-snapshots.js'
import type { DocLog, LoadedDoc, Owner } from './doc-log.js'
import { AppendQueue, type PendingRow } from './append-queue.js'
import { claimClientIds, loadOwners } from './client-ids.js'
import { type CompactionEdge, type CompactionReader, INLINE_MERGE, type InlineBudget, type LogRead, LogReader } from './compaction-read.js'
import { MergeWorker } from './merge-worker.js'
import type { UnfoldedRows } from './unfolded-rows.js'
import { type LiveBoard, liveSnapshot } from './live-snapshot.js'
import { dropSnapshotParts, dropStaleSnapshotParts, landSnapshot, SNAPSHOT_PART_BYTES, storedSnapshotSql } from './snapshot-write.js'

export class BoardGoneError extends Error {
  constructor(boardId: string) {
    super(`board ${boardId} no longer exists`)
    this.name = 'BoardGoneError'
  }
}

export interface DocStoreOptions {
  compactAfterUpdates: number
  /**
   * The database runs in this thread (the embedded PGlite): a commit holds
   * the event loop for its whole length, so nothing can gather while it is
   * "in flight". Commits are then paced (see run()).
   */
  inProcess?: boolean
  /**
   * PostgreSQL's URL: compactions then read the log in the merge worker,
   * over one connection of its own (see MergeWorker.readAndMerge).
   */
  readerUrl?: string
  /** A board at most this big is merged on this thread when this thread reads the log (no readerUrl); INLINE_MERGE unless given, null: never. */
  inlineMerge?: InlineBudget | null
  /**
   * Snapshots bigger than this are written in parts of this size (see
   * snapshot-write.ts). Default: SNAPSHOT_PART_BYTES on an in-process
   * database, never on PostgreSQL (whose writes run in its own processes).
   */
  snapshotPartBytes?: number | null
  /** Threshold compactions' spacing; COMPACTION_SPACING_MS, COMPACTION_SHARE and COMPACTION_SPACING_MAX_MS unless given. */
  compactionSpacing?: { minMs: number; share: number; maxMs: number }
}

/**
 * Threshold compactions of one board are at least this far apart. Each one
 * reads the whole log since the snapshot into this thread and rebuilds the
 * document in the merge worker, on the same core as live traffic; on a board
 * taking thousands of updates a second back-to-back compactions cost more
 * than the traffic (on PostgreSQL they stalled updates past 100 ms at 3,000
 * updates/s). A room that unloads is compacted at once regardless.
 */
export const COMPACTION_SPACING_MS = 10_000
/**
 * A threshold compaction's work beyond the loop (the merge worker rebuilding
 * a big board's document, its collections) still takes the core the room is
 * served from: on one core, B's board's compactions cost its ramp a step
 * (docs/PERFORMANCE.md, "What B's ceiling measures"). So the next one of the
 * board waits at least 1 / share times as long as the last one took, start to
 * landing; the worker runs at the lowest priority, so under load it takes
 * longer and the board is compacted less often. A quick compaction (under
 * spacing × share) changes nothing. Never more than COMPACTION_SPACING_MAX_MS:
 * a longer wait folds more rows and takes longer in turn, and the log since
 * the snapshot is what a load after a crash reads.
 */
export const COMPACTION_SHARE = 0.05
export const COMPACTION_SPACING_MAX_MS = 60_000

export interface DocStoreMetrics {
  onBatch?(size: number, ms: number): void
  /** One update became durable this long after it was accepted. */
  onLag?(ms: number): void
  /** Whether the merge worker read the log itself or this thread did, and which of them merged it. */
  onCompaction?(boardId: string, updates: number, ms: number, readBy: CompactionReader, mergedBy: CompactionReader): void
}

interface LiveCompaction extends LogRead {
  /** Called with whether the snapshot landed. */
  settle(landed: boolean): void
}

export class DocStore implements DocLog {
  /** Per board, how many batches failed to store (see compactLive). */
  private readonly appendFailures = new Map<string, number>()
  /**
   * Boards whose loaded document may differ from the log until the room is
   * dropped (forget): an append failed, or the board was loaded while rows of
   * it were still queued (a dropped room's last edits), which the load did
   * not see. Their compactions read the log.
   */
  private readonly notLive = new Set<string>()
  /** Big boards' rows appended since their last live snapshot (see compactLive). */
  private readonly unfolded = new Map<string, UnfoldedRows>()
  /**
   * Set by the hub when this process alone writes the log (one instance): a
   * loaded board's document, which then holds every row of its log (each
   * applied before it was appended) and nothing that was not appended. Used
   * on the embedded database only, see compactLive.
   */
  liveDocument: ((boardId: string) => Y.Doc | null) | null = null
  private readonly logCounts = new Map<string, number>()
  /** Bytes in the log since the snapshot, and the snapshot's size, per board. */
  private readonly logBytes = new Map<string, number>()
  private readonly snapshotBytes = new Map<string, number>()
  private readonly compactions = new Map<string, Promise<void>>()
  private readonly recent = new RecentSnapshots()
  metrics: DocStoreMetrics = {}
  private readonly merger: MergeWorker
  private readonly appends: AppendQueue
  private readonly logReader: LogReader

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly options: DocStoreOptions,
  ) {
    this.appends = new AppendQueue(db, logger, options.inProcess ?? false, {
      stored: (rows) => this.counted(rows),
      failed: (boardId) => {
        this.appendFailures.set(boardId, (this.appendFailures.get(boardId) ?? 0) + 1)
        this.notLive.add(boardId)
      },
      batch: (size, ms) => this.metrics.onBatch?.(size, ms),
    })
    this.merger = new MergeWorker({ onWarning: (warning) => logger.warn({ warning }, 'merge worker warning') })
    this.logReader = new LogReader(db, this.merger, logger, options.readerUrl ?? null)
  }

  private get snapshotPartBytes(): number | null {
    const given = this.options.snapshotPartBytes
    return given === undefined ? (this.options.inProcess ? SNAPSHOT_PART_BYTES : null) : given
  }

  private get inlineBudget(): InlineBudget | null {
    return this.options.inlineMerge === undefined ? INLINE_MERGE : this.options.inlineMerge
  }

  /** The board's stored document; throws BoardGoneError when the board no longer exists. */
  async load(boardId: string): Promise<LoadedDoc> {
    this.appends.reopen(boardId)
    // Queued rows are written after this read: the document built from it lacks them.
    if (this.appends.queued(boardId)) this.notLive.add(boardId)
    const cached = this.recent.get(boardId)
    // One statement, so one consistent view without a transaction: a
    // compaction committing meanwhile cannot make us miss the entries it
    // folded in. The snapshot's bytes come back only when the copy we keep
    // in memory is not the stored one. One round trip matters: every join
    // of an unloaded board waits for it, and on the embedded database each
    // statement costs the event loop about a millisecond.
    const rows = await queryRows<{ kind: number; seq: string | number | bigint | null; data: Uint8Array | null }>(
      this.db,
      sql`
        WITH head AS (
          SELECT b.id, s.last_seq FROM ${boards} b
          LEFT JOIN ${docSnapshots} s ON s.board_id = b.id
          WHERE b.id = ${boardId}
        )
        SELECT 0 AS kind, head.last_seq AS seq,
          CASE WHEN head.last_seq IS NOT DISTINCT FROM ${cached?.lastSeq ?? -1}::bigint THEN NULL ELSE ${storedSnapshotSql('s')} END AS data
        FROM head LEFT JOIN ${docSnapshots} s ON s.board_id = head.id
        UNION ALL
        SELECT 1, u.seq, u.data FROM ${docUpdates} u, head
        WHERE u.board_id = head.id AND u.seq > COALESCE(head.last_seq, 0)
        ORDER BY kind, seq`,
    )
    const head = rows[0]
    if (!head || Number(head.kind) !== 0) throw new BoardGoneError(boardId)
    const lastSeq = head.seq === null ? null : Number(head.seq)
    let snapshot: Uint8Array | null = null
    let snapshotFrame: Uint8Array | undefined
    if (lastSeq !== null) {
      const kept = head.data ? this.recent.remember(boardId, new Uint8Array(head.data), lastSeq) : cached!
      snapshot = kept.data
      snapshotFrame = kept.frame
    }
    const updates = rows.slice(1).map((r) => new Uint8Array(r.data!))
    const logBytes = updates.reduce((n, u) => n + u.length, 0)
    this.logCounts.set(boardId, updates.length)
    this.logBytes.set(boardId, logBytes)
    this.snapshotBytes.set(boardId, snapshot?.length ?? 0)
    return { snapshot, snapshotFrame, updates, bytes: (snapshot?.length ?? 0) + logBytes, logCount: updates.length }
  }

  /** Who owns which client id on the board (client-ids.ts). */
  loadOwners(boardId: string): Promise<Map<number, Owner>> {
    return loadOwners(this.db, boardId)
  }

  /** Claims client ids for a principal unless someone already has them; answers who owns each (client-ids.ts). */
  claim(boardId: string, ids: number[], owner: Owner): Promise<Map<number, Owner>> {
    return claimClientIds(this.db, boardId, ids, owner)
  }

  /** Resolves true once the update is durable; false if its board was deleted meanwhile. */
  append(boardId: string, update: Uint8Array, actor?: string): Promise<boolean> {
    this.unfolded.get(boardId)?.add(update)
    return this.appends.append(boardId, update, actor ?? null)
  }

  /** Waits until everything appended so far is durable. */
  flush(): Promise<void> {
    return this.appends.flush()
  }

  /** The board is gone: queued writes for it are dropped, not retried. */
  discard(boardId: string): void {
    this.appends.discard(boardId)
    this.forget(boardId)
    this.appendFailures.delete(boardId)
    this.recent.drop(boardId)
  }

  /** What the board takes in the database: its snapshot and the log since. */
  storedBytes(boardId: string): number {
    return (this.snapshotBytes.get(boardId) ?? 0) + (this.logBytes.get(boardId) ?? 0)
  }

  /** Called after a compaction landed, with the board's stored size measured again. */
  onCompacted: ((boardId: string, storedBytes: number) => void) | null = null

  /** Drops per-board bookkeeping (the room unloaded); load() rebuilds it. */
  forget(boardId: string): void {
    this.notLive.delete(boardId)
    this.unfolded.delete(boardId)
    this.nextCompaction.delete(boardId)
    this.logCounts.delete(boardId)
    this.logBytes.delete(boardId)
    this.snapshotBytes.delete(boardId)
  }

  /** When each board's next threshold compaction may start (performance.now()). */
  private readonly nextCompaction = new Map<string, number>()

  // Compaction rewrites the whole snapshot, so it waits until the log is
  // both long (compactAfterUpdates) and at least as big as the snapshot:
  // the rewrite cost is then paid for by the bytes it folds in, and a big
  // board is not rewritten every few hundred small edits.
  private counted(items: readonly PendingRow[]): void {
    const now = performance.now()
    for (const p of items) {
      this.metrics.onLag?.(now - p.at)
      const n = (this.logCounts.get(p.boardId) ?? 0) + 1
      this.logCounts.set(p.boardId, n)
      const bytes = (this.logBytes.get(p.boardId) ?? 0) + p.update.length
      this.logBytes.set(p.boardId, bytes)
      const due = n >= this.options.compactAfterUpdates && bytes >= (this.snapshotBytes.get(p.boardId) ?? 0)
      // A busy board is compacted at most every few seconds (its log
      // meanwhile stays short enough to load quickly), and a big one less
      // often still: see COMPACTION_SPACING_MS and COMPACTION_SHARE.
      const spaced = now >= (this.nextCompaction.get(p.boardId) ?? -Infinity)
      if (due && spaced && !this.compactions.has(p.boardId)) this.compactOnThreshold(p.boardId, now)
    }
  }

  private compactOnThreshold(boardId: string, started: number): void {
    const { minMs, share, maxMs } = this.options.compactionSpacing ?? { minMs: COMPACTION_SPACING_MS, share: COMPACTION_SHARE, maxMs: COMPACTION_SPACING_MAX_MS }
    // Until this one's time is known, the next waits for the cap: an append
    // can be counted between the compaction leaving `compactions` and
    // `spaced` running (the log's appends resolve in fewer steps on PGlite).
    this.nextCompaction.set(boardId, started + maxMs)
    const spaced = () => {
      // Not after forget(): the room is gone, and a new one starts afresh.
      const took = performance.now() - started
      if (this.nextCompaction.has(boardId)) this.nextCompaction.set(boardId, started + Math.min(maxMs, Math.max(minMs, took / share)))
    }
    this.compact(boardId)
      .then(spaced, (err: unknown) => {
        spaced()
        this.logger.warn({ err, boardId }, 'compaction failed')
      })
  }

  /**
   * Folds the log into the snapshot, once at a time per board. Works from
   * the database alone (never an in-memory document, which on another
   * instance may lag): a consistent read, the merge in a worker thread, then
   * a short write transaction that only lands if no other compaction moved
   * the snapshot meanwhile (the board row lock orders concurrent writers).
   */
  compact(boardId: string): Promise<void> {
    // One at a time; a caller that wants everything folded (a room unloading)
    // gets another round for what was logged while the running one worked.
    const running = this.compactions.get(boardId)
    if (running) return running.then(() => this.compact(boardId))
    // Nothing was logged here since the board was loaded: nothing to fold.
    // (Only this instance's appends are counted; another instance compacts
    // what it appended, at its threshold or when its room unloads.)
    if (this.logCounts.get(boardId) === 0) return Promise.resolve()
    const job = this.compactNow(boardId).finally(() => this.compactions.delete(boardId))
    this.compactions.set(boardId, job)
    return job
  }

  private async compactNow(boardId: string): Promise<void> {
    const started = performance.now()
    // How far the log goes, read under a FOR UPDATE lock of the board row:
    // every append holds KEY SHARE on it from before its row is numbered
    // until its commit (log-append.ts), so once we have the lock no row at
    // or below `upto` is still in flight, on any instance. The lock is held
    // for this one short read only. Then the board's live document is
    // encoded (compactLive), or the snapshot and the log are read in slices
    // and merged, off this thread where the database allows (see LogReader in compaction-read.ts):
    // one read of a busy board's 30,000 rows held this thread (and its
    // collector) for 60-140 ms, which every live update waited behind. A big
    // snapshot is written in parts first (snapshot-write.ts). Rows above the
    // snapshot are never deleted, and if another compaction lands meanwhile
    // this one does not (checked when writing).
    const edge = await this.db.transaction(async (tx) => {
      const [board] = await tx.select({ id: boards.id }).from(boards).where(eq(boards.id, boardId)).for('update')
      if (!board) return null
      const [row] = await queryRows<{ last_seq: string | number | null; upto: string | number | null }>(
        tx,
        sql`SELECT s.last_seq, (SELECT max(u.seq) FROM ${docUpdates} u WHERE u.board_id = ${boardId} AND u.seq > COALESCE(s.last_seq, 0)) AS upto
            FROM ${boards} b LEFT JOIN ${docSnapshots} s ON s.board_id = b.id WHERE b.id = ${boardId}`,
      )
      return row ?? null
    })
    if (!edge || edge.upto === null) return
    const at = { lastSeq: edge.last_seq === null ? null : Number(edge.last_seq), upto: Number(edge.upto) }
    // A document that may not match the log (see notLive) is never the snapshot.
    const live = this.options.inProcess && !this.notLive.has(boardId) ? (this.liveDocument?.(boardId) ?? null) : null
    const budget = this.inlineBudget
    const small = budget !== null && this.storedBytes(boardId) <= budget.bytes && (this.logCounts.get(boardId) ?? 0) <= budget.rows
    const { merged, readBy, mergedBy, settle } = live
      ? await this.compactLive(boardId, live, at)
      : { ...(await this.logReader.read(boardId, at, small ? budget : null)), settle: null }
    // 'stale': another compaction landed since, and folded this log already.
    if (merged === 'stale' || merged.folded === 0) return settle?.(false)
    const { data, lastSeq, folded, foldedBytes } = merged
    const partBytes = this.snapshotPartBytes
    const replacesParts = partBytes !== null && (this.snapshotBytes.get(boardId) ?? 0) > partBytes
    let written: { landed: boolean; parts: number }
    try {
      written = await landSnapshot(this.db, boardId, at.lastSeq, data, lastSeq, partBytes)
    } catch (err) {
      settle?.(false)
      throw err
    }
    const { landed, parts } = written
    settle?.(landed)
    if (!landed) {
      if (parts > 0) await dropSnapshotParts(this.db, boardId, lastSeq).catch((err: unknown) => this.logger.warn({ err, boardId }, 'could not delete snapshot parts'))
      return
    }
    this.snapshotBytes.set(boardId, data.length)
    // The next threshold compaction comes once the log is at least as big as
    // this snapshot; with as many bytes as this one folded, it will be past
    // the inline budget and need the worker. Booting it now, at low
    // priority, keeps its start (tens of ms of this thread, ~200 ms of the
    // core) from landing while that compaction and live traffic wait for it.
    if (mergedBy === 'thread' && budget && data.length + Math.max(data.length, foldedBytes) > budget.bytes) this.merger.prepare()
    this.recent.remember(boardId, data, lastSeq)
    this.logCounts.set(boardId, Math.max(0, (this.logCounts.get(boardId) ?? 0) - folded))
    this.logBytes.set(boardId, Math.max(0, (this.logBytes.get(boardId) ?? 0) - foldedBytes))
    this.metrics.onCompaction?.(boardId, folded, performance.now() - started, readBy, mergedBy)
    this.onCompacted?.(boardId, this.storedBytes(boardId))
    this.logger.debug({ boardId, folded, bytes: data.length, parts }, 'compacted board log')
    // The replaced snapshot's parts, and left-overs of attempts that did not land.
    if (parts > 0 || replacesParts) {
      await dropStaleSnapshotParts(this.db, boardId, lastSeq).catch((err: unknown) => this.logger.warn({ err, boardId }, 'could not delete snapshot parts'))
    }
  }

  /** The live document as the snapshot (live-snapshot.ts), with what this store knows of the board. */
  private async compactLive(boardId: string, doc: Y.Doc, edge: CompactionEdge): Promise<LiveCompaction> {
    const failures = this.appendFailures.get(boardId) ?? 0
    const board: LiveBoard = {
      boardId,
      doc,
      edge,
      kept: this.recent.get(boardId),
      folded: Math.max(1, this.logCounts.get(boardId) ?? 0),
      foldedBytes: this.logBytes.get(boardId) ?? 0,
      // The snapshot holds everything appended before this moment; the last
      // of it still queued or in flight decides whether it all got stored.
      stored: this.appends.lastStored(boardId),
      clean: () => (this.appendFailures.get(boardId) ?? 0) === failures,
    }
    const { merged, from, settle } = await liveSnapshot(board, this.unfolded, this.merger, this.logger)
    return { merged, readBy: from, mergedBy: from === 'memory' ? 'worker' : 'live', settle }
  }

  /** Whether a compaction needed the merge worker (it starts on first use). */
  get mergeWorkerStarted(): boolean {
    return this.merger.started
  }

  /** Flushes writes and waits for running compactions. */
  async close(): Promise<void> {
    await this.flush()
    await Promise.allSettled(this.compactions.values())
    await this.merger.close()
  }
}
