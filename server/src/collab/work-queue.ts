// Bounds on the CPU one sender can take from everyone else: big updates are
// guarded and applied one slice per turn of the event loop (so health checks,
// other rooms and presence get in between), and each client address has a
// budget of struct-work per second. See docs/SECURITY.md.
import { TokenBucket } from '../util/token-bucket.js'

/** Updates with more structs than this wait for a turn of their own. */
export const HEAVY_STRUCTS = 1_000
/** Big updates are guarded and applied in slices of this many structs (a few milliseconds each). */
export const SLICE_STRUCTS = 2_000
/** Messages bigger than this wait for a turn of their own before they are even read. */
export const HEAVY_BYTES = 32 * 1024
/** What arrives costs one work unit per this many bytes, charged before it is read (see Connection). */
export const BYTES_PER_UNIT = 16

/**
 * Hands out turns of the event loop one at a time, first come first served.
 * A turn is granted in a later loop iteration than the one that asked, after
 * the poll phase has read the sockets, so waiting work never starves I/O.
 */
export class HeavyTurns {
  private readonly queue: (() => void)[] = []
  private scheduled = false

  /** Resolves at the start of a turn that belongs to the caller alone. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(resolve)
      this.pump()
    })
  }

  private pump(): void {
    if (this.scheduled || this.queue.length === 0) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      const grant = this.queue.shift()
      // An immediate queued from inside an immediate runs in the next loop
      // iteration: the granted work (which continues in this iteration's
      // microtasks) is alone in this one.
      this.pump()
      grant?.()
    })
  }
}

/** One process-wide queue: the event loop is shared by every room. */
export const heavyTurns = new HeavyTurns()

export interface WorkBudgetOptions {
  /**
   * Units per second per client address: a message costs one unit per 16
   * bytes on arrival, and an update whatever its structs and deletions count
   * beyond that; a sync answer one per KiB.
   */
  rate: number
  burst: number
}

/** Per-address token buckets for update work, forgotten when idle and full. */
export class WorkBudgets {
  private readonly buckets = new Map<string, { bucket: TokenBucket; used: number }>()
  private sweeps = 0

  constructor(private readonly options: WorkBudgetOptions) {}

  /** The budget of one address; connections from the same address share it. */
  of(address: string): WorkBudget {
    return { take: (units) => this.take(address, units) }
  }

  /**
   * Whether the address is nearly out of budget (under a twentieth of its
   * burst): new connections from it are refused until it has refilled.
   */
  spent(address: string): boolean {
    const entry = this.buckets.get(address)
    return entry !== undefined && !entry.bucket.has(this.options.burst / 20)
  }

  private take(address: string, units: number): boolean {
    let entry = this.buckets.get(address)
    if (!entry) {
      entry = { bucket: new TokenBucket(this.options.rate, this.options.burst), used: 0 }
      this.buckets.set(address, entry)
    }
    entry.used = Date.now()
    if ((++this.sweeps & 1023) === 0) this.sweep()
    if (entry.bucket.take(units)) return true
    // Over budget: what is left goes too, so the address waits for a refill
    // (and counts as spent) instead of fitting smaller messages in.
    entry.bucket.drain()
    return false
  }

  // A bucket idle long enough to have refilled is the same as a new one.
  private sweep(): void {
    const idle = Date.now() - (this.options.burst / this.options.rate) * 1000 - 1000
    for (const [address, entry] of this.buckets) if (entry.used < idle) this.buckets.delete(address)
  }
}

export interface WorkBudget {
  /** Takes `units`; false when the address has used its budget. */
  take(units: number): boolean
}

/** For in-process rooms (tests) and anything without an address. */
export const UNLIMITED_WORK: WorkBudget = { take: () => true }
