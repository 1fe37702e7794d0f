// How busy this process's event loop has been lately: its utilisation,
// smoothed over about a window. Batching that trades latency for CPU (commit
// pacing, merged broadcast frames) asks here, so a lightly loaded server adds
// no wait to anything and a busy one still gathers work into fewer writes.
import { performance } from 'node:perf_hooks'

export class LoopLoad {
  private mark = performance.eventLoopUtilization()
  private smoothed = 0

  constructor(private readonly windowMs = 100) {}

  /** The busy share (0…1) of the loop over about the last window. */
  busy(): number {
    const now = performance.eventLoopUtilization()
    const since = performance.eventLoopUtilization(now, this.mark)
    this.mark = now
    const weight = Math.min(1, (since.idle + since.active) / this.windowMs)
    this.smoothed = this.smoothed * (1 - weight) + since.utilization * weight
    return this.smoothed
  }
}

/** The process's one loop, shared by whoever asks. */
export const loopLoad = new LoopLoad()
