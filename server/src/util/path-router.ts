// One HTTP server carries Fastify, the Yjs hub (/collab) and socket.io
// (/socket.io). Both WebSocket stacks would otherwise each grab every
// `upgrade` event, so requests and upgrades are routed by path here.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void

function matches(url: string | undefined, prefix: string): boolean {
  if (!url) return false
  return url === prefix || url.startsWith(prefix + '/') || url.startsWith(prefix + '?')
}

export class PathRouter {
  private readonly requests: [string, RequestHandler][] = []
  private readonly upgrades: [string, UpgradeHandler][] = []

  /** Plain HTTP requests under `prefix` bypass Fastify (socket.io's long-polling). */
  onRequest(prefix: string, handler: RequestHandler): void {
    this.requests.push([prefix, handler])
  }

  onUpgrade(prefix: string, handler: UpgradeHandler): void {
    this.upgrades.push([prefix, handler])
  }

  /** Wraps Fastify's request handler; used as Fastify's serverFactory handler. */
  request(fallback: RequestHandler): RequestHandler {
    return (req, res) => {
      for (const [prefix, handler] of this.requests) {
        if (matches(req.url, prefix)) return handler(req, res)
      }
      fallback(req, res)
    }
  }

  upgrade: UpgradeHandler = (req, socket, head) => {
    for (const [prefix, handler] of this.upgrades) {
      if (matches(req.url, prefix)) return handler(req, socket, head)
    }
    socket.on('error', () => {})
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
  }
}
