// What of a room's accepted updates is already stored. The room applies an
// accepted update to its document at once (the guard checks the next update
// against it), but nobody else sees it until it is in the database: no peer,
// no other instance, no joiner's sync. So a crash can only lose what no one
// but its sender has, and its sender was never told "saved" (it re-sends).

export class Durability {
  private acceptedSeq = 0
  private storedSeq = 0
  private readonly waiters: { seq: number; run: () => void }[] = []
  /** Clients with accepted updates not yet stored: their clock as far as it is stored, and how many are pending. */
  private readonly pending = new Map<number, { stored: number; count: number }>()

  /** Everything accepted so far is stored. */
  get settled(): boolean {
    return this.storedSeq === this.acceptedSeq
  }

  /**
   * An update was accepted. `ends`: each client it writes for and its clock
   * after it; `clockOf`: the room's clock for a client before applying it.
   * Returns the update's sequence number, for `stored`.
   */
  accepted(ends: Map<number, number>, clockOf: (client: number) => number): number {
    for (const client of ends.keys()) {
      const p = this.pending.get(client)
      if (p) p.count++
      else this.pending.set(client, { stored: clockOf(client), count: 1 })
    }
    return ++this.acceptedSeq
  }

  /** The update `seq` is stored (or its board is gone). Updates are stored in the order they were accepted. */
  stored(seq: number, ends: Map<number, number>): void {
    this.storedSeq = Math.max(this.storedSeq, seq)
    for (const [client, end] of ends) {
      const p = this.pending.get(client)
      if (!p) continue
      p.stored = Math.max(p.stored, end)
      if (--p.count === 0) this.pending.delete(client)
    }
    while (this.waiters.length > 0 && this.waiters[0]!.seq <= this.storedSeq) this.waiters.shift()!.run()
  }

  /** Runs `run` once everything accepted until now is stored (at once if it is). */
  whenStored(run: () => void): void {
    if (this.settled) return run()
    this.waiters.push({ seq: this.acceptedSeq, run })
  }

  /** A client's clock as far as it is stored; `current` is the room's clock for it. */
  storedClock(client: number, current: number): number {
    return this.pending.get(client)?.stored ?? current
  }

  /** Forget everything pending (the room is being rebuilt from what is stored). */
  reset(): void {
    this.pending.clear()
    this.storedSeq = this.acceptedSeq
    for (const w of this.waiters.splice(0)) w.run()
  }
}
