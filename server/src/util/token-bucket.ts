import { performance } from 'node:perf_hooks'

/** A token bucket: `rate` tokens per second, holding at most `burst`. */
export class TokenBucket {
  private tokens: number
  private last = performance.now()

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst
  }

  take(n = 1): boolean {
    if (!this.has(n)) return false
    this.tokens -= n
    return true
  }

  /** Empties the bucket: it refills from now on. */
  drain(): void {
    this.has(0)
    this.tokens = 0
  }

  /** Whether `n` tokens are there now (takes none). */
  has(n: number): boolean {
    const now = performance.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate)
    this.last = now
    return this.tokens >= n
  }
}
