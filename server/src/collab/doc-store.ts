// Durable board documents: an append-only update log with group commit,
// a compacted snapshot, and the client id → principal map of the guard.
import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import * as Y from 'yjs'
import type { Db } from '../store/db.js'
import { boards, clientIds, docSnapshots, docUpdates } from '../store/schema.js'

export interface LoadedDoc {
  /** Snapshot first, then log entries in order. */
  updates: Uint8Array[]
  owners: Map<number, string>
  bytes: number
  logCount: number
}

interface Pending {
  boardId: string
  update: Uint8Array
  resolve: (saved: boolean) => void
  reject: (err: unknown) => void
}

export interface DocStoreOptions {
  compactAfterUpdates: number
}

export interface DocStoreMetrics {
  onBatch?(size: number, ms: number): void
  onCompaction?(boardId: string, updates: number, ms: number): void
}

const splitKey = (key: string): { kind: 'user' | 'guest'; id: string } => {
  const i = key.indexOf(':')
  return { kind: key.slice(0, i) as 'user' | 'guest', id: key.slice(i + 1) }
}

export class DocStore {
  private queue: Pending[] = []
  private flushing: Promise<void> | null = null
  private readonly logCounts = new Map<string, number>()
  private readonly compactions = new Map<string, Promise<void>>()
  private readonly discarded = new Set<string>()
  metrics: DocStoreMetrics = {}

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly options: DocStoreOptions,
  ) {}

  async load(boardId: string): Promise<LoadedDoc> {
    this.discarded.delete(boardId)
    // One consistent view: a compaction committing between the snapshot and
    // the log reads must not make us miss the entries it folded in.
    return this.db.transaction(
      async (tx) => {
        const [snap] = await tx.select().from(docSnapshots).where(eq(docSnapshots.boardId, boardId))
        const rows = await tx
          .select({ data: docUpdates.data })
          .from(docUpdates)
          .where(and(eq(docUpdates.boardId, boardId), gt(docUpdates.seq, snap?.lastSeq ?? 0)))
          .orderBy(asc(docUpdates.seq))
        const owned = await tx
          .select({ clientId: clientIds.clientId, kind: clientIds.principalKind, id: clientIds.principalId })
          .from(clientIds)
          .where(eq(clientIds.boardId, boardId))
        const updates = [...(snap ? [snap.data] : []), ...rows.map((r) => r.data)].map((u) => new Uint8Array(u))
        this.logCounts.set(boardId, rows.length)
        return {
          updates,
          owners: new Map(owned.map((o) => [o.clientId, `${o.kind}:${o.id}`])),
          bytes: updates.reduce((n, u) => n + u.length, 0),
          logCount: rows.length,
        }
      },
      { isolationLevel: 'repeatable read' },
    )
  }

  /**
   * Claims client ids for a principal unless someone already has them, and
   * answers who owns each. The primary key makes the first claim win, on any
   * instance.
   */
  async claim(boardId: string, ids: number[], principalKey: string): Promise<Map<number, string>> {
    const { kind, id } = splitKey(principalKey)
    await this.db
      .insert(clientIds)
      .values(ids.map((clientId) => ({ boardId, clientId, principalKind: kind, principalId: id })))
      .onConflictDoNothing()
    const rows = await this.db
      .select({ clientId: clientIds.clientId, kind: clientIds.principalKind, id: clientIds.principalId })
      .from(clientIds)
      .where(and(eq(clientIds.boardId, boardId), inArray(clientIds.clientId, ids)))
    return new Map(rows.map((r) => [r.clientId, `${r.kind}:${r.id}`]))
  }

  /** Resolves true once the update is durable; false if its board was deleted meanwhile. */
  append(boardId: string, update: Uint8Array): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ boardId, update, resolve, reject })
      this.flushing ??= this.run()
    })
  }

  /** Waits until everything appended so far is durable. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing
  }

  /** The board is gone: queued writes for it are dropped, not retried. */
  discard(boardId: string): void {
    this.discarded.add(boardId)
    this.logCounts.delete(boardId)
  }

  // Group commit: whatever queued while the previous batch was being written
  // goes out together, in one transaction.
  private async run(): Promise<void> {
    await Promise.resolve()
    try {
      while (this.queue.length > 0) {
        const batch = this.queue
        this.queue = []
        const live = batch.filter((p) => !this.discarded.has(p.boardId))
        for (const p of batch) if (this.discarded.has(p.boardId)) p.resolve(false)
        if (live.length > 0) await this.writeBatch(live)
      }
    } finally {
      this.flushing = null
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const started = performance.now()
    try {
      await this.db.insert(docUpdates).values(batch.map((p) => ({ boardId: p.boardId, data: p.update })))
      for (const p of batch) p.resolve(true)
      this.counted(batch)
    } catch (err) {
      // Most likely one board was deleted under us (foreign key); write the
      // boards one by one so the others still land.
      this.logger.debug({ err }, 'batch append failed; retrying per board')
      const byBoard = new Map<string, Pending[]>()
      for (const p of batch) byBoard.set(p.boardId, [...(byBoard.get(p.boardId) ?? []), p])
      for (const [boardId, items] of byBoard) {
        try {
          await this.db.insert(docUpdates).values(items.map((p) => ({ boardId, data: p.update })))
          for (const p of items) p.resolve(true)
          this.counted(items)
        } catch (boardErr) {
          const [exists] = await this.db.select({ id: boards.id }).from(boards).where(eq(boards.id, boardId))
          if (!exists) {
            for (const p of items) p.resolve(false)
          } else {
            this.logger.error({ err: boardErr, boardId }, 'could not store updates')
            for (const p of items) p.reject(boardErr)
          }
        }
      }
    }
    this.metrics.onBatch?.(batch.length, performance.now() - started)
  }

  private counted(items: Pending[]): void {
    for (const p of items) {
      const n = (this.logCounts.get(p.boardId) ?? 0) + 1
      this.logCounts.set(p.boardId, n)
      if (n >= this.options.compactAfterUpdates && !this.compactions.has(p.boardId)) {
        const job = this.compact(p.boardId)
          .catch((err: unknown) => this.logger.warn({ err, boardId: p.boardId }, 'compaction failed'))
          .finally(() => this.compactions.delete(p.boardId))
        this.compactions.set(p.boardId, job)
      }
    }
  }

  /**
   * Folds the log into the snapshot. Works from the database alone (never an
   * in-memory document, which on another instance may lag), under a row lock
   * on the board so two compactions of one board cannot interleave.
   */
  async compact(boardId: string): Promise<void> {
    const started = performance.now()
    const folded = await this.db.transaction(async (tx) => {
      const [board] = await tx.select({ id: boards.id }).from(boards).where(eq(boards.id, boardId)).for('update')
      if (!board) return 0
      const [snap] = await tx.select().from(docSnapshots).where(eq(docSnapshots.boardId, boardId))
      const rows = await tx
        .select({ seq: docUpdates.seq, data: docUpdates.data })
        .from(docUpdates)
        .where(and(eq(docUpdates.boardId, boardId), gt(docUpdates.seq, snap?.lastSeq ?? 0)))
        .orderBy(asc(docUpdates.seq))
      if (rows.length === 0) return 0
      const doc = new Y.Doc()
      if (snap) Y.applyUpdate(doc, new Uint8Array(snap.data))
      for (const r of rows) Y.applyUpdate(doc, new Uint8Array(r.data))
      const data = Y.encodeStateAsUpdate(doc)
      doc.destroy()
      const lastSeq = rows[rows.length - 1]!.seq
      await tx
        .insert(docSnapshots)
        .values({ boardId, data, lastSeq })
        .onConflictDoUpdate({ target: docSnapshots.boardId, set: { data, lastSeq, updatedAt: sql`now()` } })
      await tx.delete(docUpdates).where(and(eq(docUpdates.boardId, boardId), lte(docUpdates.seq, lastSeq)))
      return rows.length
    })
    this.logCounts.set(boardId, Math.max(0, (this.logCounts.get(boardId) ?? 0) - folded))
    if (folded > 0) {
      this.metrics.onCompaction?.(boardId, folded, performance.now() - started)
      this.logger.debug({ boardId, folded }, 'compacted board log')
    }
  }

  /** Flushes writes and waits for running compactions. */
  async close(): Promise<void> {
    await this.flush()
    await Promise.all(this.compactions.values())
  }
}
