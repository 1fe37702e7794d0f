// The durable log's group commit: updates queue up and go to the database
// together, one commit per batch, paced on an in-process database.
import { eq } from 'drizzle-orm'
import type { Logger } from 'pino'
import { type Db } from './db.js'
import { boards } from './schema.js'
import { type AppendRows, rowAppender } from './log-append.js'
import { loopLoad } from '../util/loop-load.js'

export interface PendingRow {
  boardId: string
  update: Uint8Array
  actor: string | null
  /** performance.now() when appended: the durable-log lag is measured from here. */
  at: number
}

interface Pending extends PendingRow {
  resolve: (saved: boolean) => void
  reject: (err: unknown) => void
  /** The promise append() answered: settles with resolve or reject. */
  done: Promise<boolean>
}

/**
 * With an in-process database, commits may take at most this share of the
 * event loop: after a commit that took t ms the next one starts no sooner
 * than t × (1 / share − 1) ms after it ended, so that under load updates
 * gather into fewer, bigger commits (each costs about a millisecond whatever
 * its size). A quiet board's update is committed at once.
 */
export const IN_PROCESS_COMMIT_SHARE = 0.1
/**
 * Pacing pays off only when the event loop is busy: below this share of busy
 * time (see util/loop-load.ts) a commit starts at the end of the loop turn,
 * so a lightly loaded server adds no wait to an update's delivery.
 */
const PACE_ABOVE_BUSY = 0.5
/** A slow commit (a collection, a compaction beside it) must not hold the next one back for long. */
const MAX_COMMIT_PAUSE_MS = 8

export interface AppendQueueEvents {
  /** These rows are stored, in this order. */
  stored(rows: readonly PendingRow[]): void
  /** Rows of this board could not be stored, and the board still exists: their appends rejected. */
  failed(boardId: string): void
  /** A batch was written (or tried) in this many ms. */
  batch(size: number, ms: number): void
}

export class AppendQueue {
  private queue: Pending[] = []
  /** The batch being written. */
  private inFlight: readonly Pending[] = []
  private flushing: Promise<void> | null = null
  /** Boards whose queued rows are dropped, not written (the board is gone). */
  private readonly discarded = new Set<string>()
  /** Earliest time (performance.now()) the next commit may start (in-process databases only). */
  private nextCommitAt = 0
  private readonly appendRows: AppendRows

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    /** The database runs in this thread: commits are paced (see run()). */
    private readonly inProcess: boolean,
    private readonly events: AppendQueueEvents,
  ) {
    this.appendRows = rowAppender(db)
  }

  /** Resolves true once the update is durable; false if its board was deleted meanwhile. */
  append(boardId: string, update: Uint8Array, actor: string | null): Promise<boolean> {
    let pending!: Pending
    const done = new Promise<boolean>((resolve, reject) => {
      pending = { boardId, update, actor, resolve, reject, at: performance.now(), done: null! }
    })
    pending.done = done
    this.queue.push(pending)
    this.flushing ??= this.run()
    return done
  }

  /** Waits until everything appended so far is durable. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing
  }

  /** The board is gone: its queued rows are dropped (their appends answer false) until reopen(). */
  discard(boardId: string): void {
    this.discarded.add(boardId)
  }

  reopen(boardId: string): void {
    this.discarded.delete(boardId)
  }

  /** Whether rows of the board wait in the queue (not yet handed to the database). */
  queued(boardId: string): boolean {
    return this.queue.some((p) => p.boardId === boardId)
  }

  /**
   * Settles once the board's rows appended so far are written or refused:
   * true unless one of them could not be stored (the last one's outcome
   * decides, as a board's rows are written in order and a failure fails
   * every row of that board in its batch).
   */
  async lastStored(boardId: string): Promise<boolean> {
    const last = findLast(this.queue, boardId) ?? findLast(this.inFlight, boardId)
    return last ? last.done.then(() => true, () => false) : true
  }

  // Group commit without a fixed window: a commit starts at the end of the
  // loop turn its first update arrived in, and whatever queues while it is
  // being written goes out together in the next one, as soon as it ends
  // (an in-process database: see IN_PROCESS_COMMIT_SHARE). Nobody sees an
  // update before its commit (see durability.ts), so every millisecond of
  // waiting here would be latency for everyone.
  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // At the end of this loop turn at the earliest, so that one turn's
        // updates go together; later if an in-process commit must wait.
        const pace = this.inProcess && loopLoad.busy() >= PACE_ABOVE_BUSY
        const pause = pace ? this.nextCommitAt - performance.now() : 0
        await new Promise((resolve) => (pause > 0 ? setTimeout(resolve, pause) : setImmediate(resolve)))
        const batch = this.queue
        this.queue = []
        const live = batch.filter((p) => !this.discarded.has(p.boardId))
        for (const p of batch) if (this.discarded.has(p.boardId)) p.resolve(false)
        if (live.length === 0) continue
        const started = performance.now()
        this.inFlight = live
        await this.writeBatch(live).finally(() => (this.inFlight = []))
        if (this.inProcess) {
          const ended = performance.now()
          this.nextCommitAt = ended + Math.min(MAX_COMMIT_PAUSE_MS, (ended - started) * (1 / IN_PROCESS_COMMIT_SHARE - 1))
        }
      }
    } finally {
      this.flushing = null
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const started = performance.now()
    try {
      const gone = await this.appendRows(batch.map((p) => ({ boardId: p.boardId, data: p.update, actor: p.actor })))
      for (const p of batch) p.resolve(!gone.has(p.boardId))
      this.events.stored(gone.size === 0 ? batch : batch.filter((p) => !gone.has(p.boardId)))
    } catch (err) {
      // Most likely a board was deleted under us (on PGlite its foreign key
      // fails the whole batch); write the boards one by one so the others land.
      this.logger.debug({ err }, 'batch append failed; retrying per board')
      const byBoard = new Map<string, Pending[]>()
      for (const p of batch) byBoard.set(p.boardId, [...(byBoard.get(p.boardId) ?? []), p])
      for (const [boardId, items] of byBoard) {
        try {
          const gone = await this.appendRows(items.map((p) => ({ boardId, data: p.update, actor: p.actor })))
          for (const p of items) p.resolve(!gone.has(boardId))
          if (gone.size === 0) this.events.stored(items)
        } catch (boardErr) {
          const [exists] = await this.db.select({ id: boards.id }).from(boards).where(eq(boards.id, boardId))
          if (!exists) {
            for (const p of items) p.resolve(false)
          } else {
            this.events.failed(boardId)
            this.logger.error({ err: boardErr, boardId }, 'could not store updates')
            for (const p of items) p.reject(boardErr)
          }
        }
      }
    }
    this.events.batch(batch.length, performance.now() - started)
  }
}

function findLast(items: readonly Pending[], boardId: string): Pending | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (items[i]!.boardId === boardId) return items[i]
  return undefined
}
