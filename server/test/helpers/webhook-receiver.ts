// A real HTTP server on 127.0.0.1, port 0, that webhooks are sent to in
// tests: it keeps every request and answers what the test lined up (200
// once the line is empty).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  path: string
  headers: IncomingHttpHeaders
  body: string
}

export interface Answer {
  status: number
  body?: string
  headers?: Record<string, string>
}

export interface Receiver {
  url: string
  received: Received[]
  /** Answers for the next requests, in order. */
  answer(...answers: Answer[]): void
  /** Headers as a plain record (what a Standard Webhooks verifier takes). */
  headersOf(r: Received): Record<string, string>
  close(): Promise<void>
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = []
  const queue: Answer[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      const a = queue.shift() ?? { status: 200, body: 'ok' }
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers })
      res.end(a.body ?? '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (...answers) => void queue.push(...answers),
    headersOf: (r) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
