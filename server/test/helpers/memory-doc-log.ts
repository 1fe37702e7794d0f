// A DocLog in memory, for rooms in tests without a database. Appends become
// "durable" together at the end of the loop turn they were made in, like the
// real group commit; the first claim of a client id wins, as on the database.
import type { DocLog, LoadedDoc, Owner } from '../../src/store/doc-log.js'

interface Board {
  updates: Uint8Array[]
  owners: Map<number, Owner>
}

export class MemoryDocLog implements DocLog {
  private readonly boards = new Map<string, Board>()
  private committing: Promise<void> | null = null
  private queue: { boardId: string; update: Uint8Array; resolve: (saved: boolean) => void }[] = []

  /** A new, empty board (loading one that was never created fails, as for a deleted board). */
  create(boardId: string): void {
    this.boards.set(boardId, { updates: [], owners: new Map() })
  }

  /** The board is gone: later loads fail, later appends resolve false. */
  drop(boardId: string): void {
    this.boards.delete(boardId)
  }

  private board(boardId: string): Board {
    const board = this.boards.get(boardId)
    if (!board) throw new Error(`board ${boardId} no longer exists`)
    return board
  }

  async load(boardId: string): Promise<LoadedDoc> {
    const updates = [...this.board(boardId).updates]
    return { snapshot: null, updates, bytes: updates.reduce((n, u) => n + u.length, 0), logCount: updates.length }
  }

  async loadOwners(boardId: string): Promise<Map<number, Owner>> {
    return new Map(this.board(boardId).owners)
  }

  async claim(boardId: string, ids: number[], owner: Owner): Promise<Map<number, Owner>> {
    const owners = this.board(boardId).owners
    for (const id of ids) if (!owners.has(id)) owners.set(id, owner)
    return new Map(ids.map((id) => [id, owners.get(id)!]))
  }

  append(boardId: string, update: Uint8Array): Promise<boolean> {
    return new Promise((resolve) => {
      this.queue.push({ boardId, update, resolve })
      this.committing ??= new Promise<void>((done) =>
        setImmediate(() => {
          const batch = this.queue
          this.queue = []
          this.committing = null
          for (const p of batch) {
            const board = this.boards.get(p.boardId)
            board?.updates.push(p.update)
            p.resolve(board !== undefined)
          }
          done()
        }),
      )
    })
  }

  async flush(): Promise<void> {
    while (this.committing) await this.committing
  }
}
