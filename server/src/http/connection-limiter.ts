import type { IncomingMessage } from 'node:http'

/** Open long-lived connections per client address (WebSockets, socket.io). */
export class ConnectionLimiter {
  private readonly open = new Map<string, number>()

  constructor(
    private readonly maxPerIp: number,
    private readonly trustProxy: boolean,
  ) {}

  /** The client's address: the first X-Forwarded-For hop behind a trusted proxy. */
  address(req: IncomingMessage): string {
    if (this.trustProxy) {
      const forwarded = req.headers['x-forwarded-for']
      const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim()
      if (first) return first
    }
    return req.socket.remoteAddress ?? 'unknown'
  }

  /** Takes a slot for this address; false when it already has the maximum. */
  acquire(ip: string): boolean {
    const n = this.open.get(ip) ?? 0
    if (n >= this.maxPerIp) return false
    this.open.set(ip, n + 1)
    return true
  }

  release(ip: string): void {
    const n = (this.open.get(ip) ?? 1) - 1
    if (n <= 0) this.open.delete(ip)
    else this.open.set(ip, n)
  }
}
