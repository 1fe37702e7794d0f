// PGlite runs each statement on this thread and hands the next queued one its
// turn from a promise, so a queue of statements ran back to back without the
// event loop turning: when 2,000 clients joined or left at once, their
// lookups, compactions and versions held it for 0.8-2.4 s, and nobody else's
// edits, timers or sockets moved (docs/PERFORMANCE.md, "Bursts on the
// embedded database"). Statements now wait here instead, in the order they
// were asked, and go to PGlite one at a time: at once while the loop has been
// held for less than a slice, otherwise after a setImmediate (timers and
// sockets first). PGlite ran them one at a time anyway.

/** How long statements may run back to back before the loop gets a turn. */
export const SLICE_MS = 5

export class LoopTurns {
  private readonly queue: (() => void)[] = []
  private busy = false
  /** When the current run of statements without a loop turn began; -1 once the loop has turned. */
  private runStart = -1
  private run = 0

  constructor(
    private readonly sliceMs = SLICE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs `job` (one statement or one transaction) once every job asked before it is done. */
  take<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        let started: Promise<T>
        try {
          started = job()
        } catch (err) {
          started = Promise.reject(err)
        }
        started.then(resolve, reject).then(() => this.next())
      })
      if (!this.busy) this.next()
    })
  }

  private next(): void {
    const start = this.queue.shift()
    if (!start) {
      this.busy = false
      return
    }
    this.busy = true
    if (this.runStart >= 0 && this.now() - this.runStart >= this.sliceMs) {
      this.runStart = -1
      setImmediate(() => {
        this.beginRun()
        start()
      })
      return
    }
    if (this.runStart < 0) this.beginRun()
    start()
  }

  private beginRun(): void {
    this.runStart = this.now()
    const run = ++this.run
    // The loop has turned once this immediate runs: the next statement starts a new run.
    setImmediate(() => {
      if (this.run === run) this.runStart = -1
    })
  }
}
