// The board replayed to its latest log row, kept for a few boards while
// people look at their history: who-did-what, diffs against now and version
// contributors then cost only the rows added since the last question, not a
// replay of the whole history each time (the web app asks again a moment
// after every burst of edits while its History panel is open).
import type * as Y from 'yjs'
import { KeyedLock } from '../util/keyed-lock.js'
import type { HistoryStore } from './history-store.js'
import { buildDoc, type EntryChange, replay } from './replay.js'

export interface Replayed {
  doc: Y.Doc
  /** Every change since the history base, in log order. */
  changes: EntryChange[]
  baseSeq: number
  headSeq: number
}

interface Entry extends Replayed {
  usedAt: number
}

export interface ReplayCacheOptions {
  /** Boards kept at once; the least recently used goes first. */
  maxBoards: number
  /** A board nobody asked about for this long is dropped. */
  idleMs: number
}

export class ReplayCache {
  private readonly entries = new Map<string, Entry>()
  private readonly lock = new KeyedLock()

  constructor(
    private readonly store: HistoryStore,
    private readonly options: ReplayCacheOptions,
  ) {}

  /** Runs `fn` on the board replayed to its latest row (the document must not be changed). */
  use<T>(boardId: string, fn: (r: Replayed) => T): Promise<T> {
    return this.lock.run(boardId, async () => {
      const entry = await this.current(boardId)
      entry.usedAt = Date.now()
      return fn(entry)
    })
  }

  /** Whether the board is kept (background work uses the cache only then). */
  has(boardId: string): boolean {
    return this.entries.has(boardId)
  }

  private async current(boardId: string): Promise<Entry> {
    const kept = this.entries.get(boardId)
    if (kept) {
      const { baseSeq, rows } = await this.store.logAfter(boardId, kept.headSeq)
      // Retention moved the history's start: build afresh.
      if (baseSeq === kept.baseSeq) {
        replay(kept.doc, rows, (c) => kept.changes.push(c))
        if (rows.length) kept.headSeq = rows[rows.length - 1]!.seq
        this.entries.delete(boardId)
        this.entries.set(boardId, kept)
        return kept
      }
      this.drop(boardId)
    }
    const { base, baseSeq, rows } = await this.store.log(boardId)
    const doc = buildDoc(base, [])
    const changes: EntryChange[] = []
    replay(doc, rows, (c) => changes.push(c))
    const entry: Entry = { doc, changes, baseSeq, headSeq: rows.length ? rows[rows.length - 1]!.seq : baseSeq, usedAt: Date.now() }
    this.entries.set(boardId, entry)
    while (this.entries.size > this.options.maxBoards) this.drop(this.entries.keys().next().value!)
    return entry
  }

  drop(boardId: string): void {
    const entry = this.entries.get(boardId)
    if (!entry) return
    entry.doc.destroy()
    this.entries.delete(boardId)
  }

  /** Drops boards nobody asked about lately. */
  expire(now = Date.now()): void {
    for (const [boardId, e] of this.entries) if (now - e.usedAt > this.options.idleMs) this.drop(boardId)
  }

  clear(): void {
    for (const boardId of [...this.entries.keys()]) this.drop(boardId)
  }
}
