// A kick leaves nothing in the database (the person may come back), so the
// database re-check a /collab join or a board:subscribe makes after a signal
// it may have missed (see LiveAccess) cannot see one. Each instance therefore remembers the kicks it
// heard for a while, numbered in order: a join that began before a kick and
// finished after it is taken out too, while one that begins after it (the
// person coming back) is not.
const KEEP_MS = 60_000

export class RecentKicks {
  private seq = 0
  private readonly kicks = new Map<string, number>()

  /** A mark of the kicks heard so far, taken when a join begins. */
  mark(): number {
    return this.seq
  }

  record(boardId: string, principalKey: string): void {
    const key = `${boardId}\n${principalKey}`
    const seq = ++this.seq
    this.kicks.set(key, seq)
    setTimeout(() => {
      if (this.kicks.get(key) === seq) this.kicks.delete(key)
    }, KEEP_MS).unref()
  }

  /** Whether this person was kicked from the board after `mark`. */
  since(mark: number, boardId: string, principalKey: string): boolean {
    return (this.kicks.get(`${boardId}\n${principalKey}`) ?? 0) > mark
  }
}
