// Where a webhook may point (docs/SECURITY.md, Webhooks): an http(s) URL
// whose host resolves only to public unicast addresses, so that a webhook
// cannot be used to reach the server's own network (SSRF). The operator's
// WEBHOOK_ALLOW_PRIVATE names the exceptions (CIDRs or host names). The check
// runs when a webhook is saved and again before every delivery, and the
// delivery connects to the very address that was checked (see sender.ts), so
// a DNS answer that changes in between cannot smuggle a private address in.
import { lookup } from 'node:dns/promises'
import ipaddr from 'ipaddr.js'

export interface CheckedTarget {
  url: URL
  /** The address to connect to (already checked). */
  address: string
  family: 4 | 6
}

/** A target the rules refuse; the message is safe to show and to log (no secret is in a webhook URL's host). */
export class TargetRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TargetRefused'
  }
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number]

/** IPv6 global unicast (2000::/3); the rest of the IPv6 space is special or unassigned. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3')

export class AddressPolicy {
  private readonly cidrs: Cidr[] = []
  private readonly hosts = new Set<string>()

  /** `allow`: CIDRs, single addresses or host names allowed although private (WEBHOOK_ALLOW_PRIVATE). */
  constructor(allow: readonly string[] = []) {
    for (const entry of allow) {
      const value = entry.trim().toLowerCase()
      if (!value) continue
      if (value.includes('/')) this.cidrs.push(ipaddr.parseCIDR(value))
      else if (ipaddr.isValid(unbracket(value))) {
        const ip = ipaddr.parse(unbracket(value))
        this.cidrs.push([ip, ip.kind() === 'ipv4' ? 32 : 128])
      } else this.hosts.add(value)
    }
  }

  /** Throws TargetRefused for a URL that is not http(s), carries credentials, or is malformed. */
  parse(raw: string): URL {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new TargetRefused('The webhook URL is not a valid URL')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused('The webhook URL must be http:// or https://')
    // Credentials in a URL would be shown in every listing; the signature is the credential.
    if (url.username || url.password) throw new TargetRefused('The webhook URL must not carry a user name or password')
    return url
  }

  /** Whether the rules let a delivery go to this address (IPv4-mapped IPv6 judged as the IPv4 it carries). */
  addressAllowed(address: string): boolean {
    if (!ipaddr.isValid(address)) return false
    const ip = ipaddr.process(address)
    if (this.cidrs.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits))) return true
    if (ip.kind() === 'ipv4') return ip.range() === 'unicast'
    return ip.range() === 'unicast' && ip.match(GLOBAL_UNICAST_V6)
  }

  /** Resolves the URL's host and checks every address it has; the first is the one to connect to. */
  async check(raw: string): Promise<CheckedTarget> {
    const url = this.parse(raw)
    const host = unbracket(url.hostname.toLowerCase())
    const hostAllowed = this.hosts.has(host)
    let addresses: { address: string; family: number }[]
    if (ipaddr.isValid(host)) addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }]
    else {
      try {
        addresses = await lookup(host, { all: true, verbatim: true })
      } catch {
        throw new TargetRefused(`The webhook host ${host} could not be resolved`)
      }
    }
    if (addresses.length === 0) throw new TargetRefused(`The webhook host ${host} has no address`)
    // Every address must pass: which one the connection would get is not ours to choose otherwise.
    for (const a of addresses) {
      if (!hostAllowed && !this.addressAllowed(a.address)) {
        throw new TargetRefused(`The webhook host ${host} is a private, loopback or otherwise internal address (${a.address}); WEBHOOK_ALLOW_PRIVATE can allow it`)
      }
    }
    const first = addresses[0]!
    return { url, address: first.address, family: first.family === 6 ? 6 : 4 }
  }
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}
