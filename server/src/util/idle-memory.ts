// Gives memory back after a burst. V8 collects its old generation when
// allocation pushes the heap to a limit; once a burst of work is over
// (thousands of boards opened and left, a big import), nothing allocates, so
// the garbage the burst left keeps the heap, and the process's RSS, at the
// burst's size for as long as the server stays quiet: 5,000 boards opened and
// left kept ~60 MB of dead rooms for minutes. This runs one full collection
// when the heap holds much more than after the last one and the event loop
// has been nearly idle for a whole check interval. It never runs under load,
// where V8's own schedule is the right one.
import { performance } from 'node:perf_hooks'
import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Logger } from 'pino'

export interface IdleMemoryOptions {
  /** How often to look, and the window the loop must have been quiet over. */
  checkMs: number
  /** Heap growth since the last collection that makes one worth it. */
  growthBytes: number
  /** Event-loop utilisation (0…1) over the window below which the server counts as idle. */
  maxBusy: number
}

// 8 MB, not more: after 5,000 boards opened and left on PostgreSQL, the first
// collection freed 60 MB of heap but gave back only ~18 MB of RSS; a second
// one 30 s later (15 MB of heap) gave back 40 MB more. With 32 MB it never
// came, and RSS stayed 11-12% over idle in two runs of three (issue 17, F).
export const IDLE_MEMORY_DEFAULTS: IdleMemoryOptions = { checkMs: 5_000, growthBytes: 8 * 1024 * 1024, maxBusy: 0.05 }

export class IdleMemory {
  private timer: NodeJS.Timeout | null = null
  private mark = performance.eventLoopUtilization()
  private baseline = getHeapStatistics().used_heap_size
  /** Collections run so far. */
  collections = 0

  constructor(
    private readonly gc: () => void,
    private readonly logger: Logger,
    private readonly options: IdleMemoryOptions = IDLE_MEMORY_DEFAULTS,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.options.checkMs).unref()
  }

  /** One look; true when it collected. */
  check(): boolean {
    const now = performance.eventLoopUtilization()
    const busy = performance.eventLoopUtilization(now, this.mark).utilization
    this.mark = now
    const before = getHeapStatistics().used_heap_size
    // The lowest the heap has been approximates what is alive: V8's own
    // collections lower it too.
    if (before < this.baseline) this.baseline = before
    if (busy > this.options.maxBusy || before < this.baseline + this.options.growthBytes) return false
    const started = performance.now()
    this.gc()
    this.baseline = getHeapStatistics().used_heap_size
    this.collections++
    this.logger.debug({ freedMb: Math.round((before - this.baseline) / 1048576), ms: Math.round(performance.now() - started) }, 'idle: heap collected')
    return true
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }
}

/**
 * V8's full collection, or null. `--expose-gc` cannot be given through
 * `npm start`; set at run time, it applies to contexts made afterwards, so a
 * fresh context hands out the function.
 */
export function fullCollection(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    return typeof gc === 'function' ? (gc as () => void) : null
  } catch {
    return null
  }
}
