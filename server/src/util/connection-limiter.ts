import type { IncomingMessage } from 'node:http'
import proxyAddr from 'proxy-addr'
import type { TrustProxy } from '../config.js'

export type TrustFunction = (address: string, hop: number) => boolean

/**
 * Whether the address `hop` places from the socket's peer is a proxy of ours.
 * Fastify gets the same function, so `request.ip` (HTTP rate limits) and the
 * connection caps below always name the same client.
 */
export function trustFunction(trust: TrustProxy): TrustFunction {
  if (trust === false) return () => false
  if ('hops' in trust) {
    const hops = trust.hops
    return (_address, hop) => hop < hops
  }
  return proxyAddr.compile(trust.addresses)
}

/** The client's address as seen through the trusted proxies (the socket's peer without any). */
export function clientAddress(req: IncomingMessage, trust: TrustFunction): string {
  // A socket destroyed before we look has no address any more.
  if (req.socket.remoteAddress === undefined) return 'unknown'
  return proxyAddr(req, trust) || 'unknown'
}

/** Open long-lived connections per client address (WebSockets, socket.io). */
export class ConnectionLimiter {
  private readonly open = new Map<string, number>()
  private readonly trust: TrustFunction

  constructor(
    private readonly maxPerIp: number,
    trustProxy: TrustProxy,
  ) {
    this.trust = trustFunction(trustProxy)
  }

  address(req: IncomingMessage): string {
    return clientAddress(req, this.trust)
  }

  /** Takes a slot for this address; null when it already has the maximum. Release it exactly once. */
  acquire(ip: string): Slot | null {
    const n = this.open.get(ip) ?? 0
    if (n >= this.maxPerIp) return null
    this.open.set(ip, n + 1)
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        const left = (this.open.get(ip) ?? 1) - 1
        if (left <= 0) this.open.delete(ip)
        else this.open.set(ip, left)
      },
    }
  }
}

/** One connection's place under its address's cap; releasing twice is harmless. */
export interface Slot {
  release(): void
}
