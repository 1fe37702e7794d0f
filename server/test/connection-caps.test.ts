// Connection caps per address, attacked: handshakes that fail must not keep
// a slot, a `sid` look-alike must not skip the socket.io check, and behind a
// proxy the leftmost X-Forwarded-For entry (written by the client) must not
// pick the address used for caps and HTTP rate limits.
import { connect as tcpConnect } from 'node:net'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { apiClient, registerUser, uniqueEmail } from './helpers/api.js'
import { RawClient, wsUrl } from './helpers/collab.js'
import { createBoard } from './helpers/fixtures.js'
import { startServer, type TestServer } from './helpers/server.js'
import { connectError } from './helpers/sockets.js'

async function withServer(env: Record<string, string>, run: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer(env)
  try {
    await run(server)
  } finally {
    await server.stop()
  }
}

/**
 * Sends a raw HTTP request and resolves with the response's status line
 * ('' when the server closes without answering). `leave`: the client goes
 * away right after sending, without waiting for an answer.
 */
function rawRequest(url: string, head: string, leave = false): Promise<string> {
  const port = Number(new URL(url).port)
  return new Promise((resolve) => {
    const sock = tcpConnect(port, '127.0.0.1')
    let got = ''
    sock.on('connect', () => {
      sock.write(head)
      if (leave) sock.destroy()
    })
    sock.on('data', (d: Buffer) => {
      got += d.toString('latin1')
      if (got.includes('\r\n')) sock.destroy()
    })
    sock.on('close', () => resolve(got.split('\r\n')[0] ?? ''))
    sock.on('error', () => {})
  })
}

const upgradeHead = (path: string, headers: Record<string, string>) =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('') +
  '\r\n'

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

/** A /collab client that gets in: it is welcomed and stays open. */
async function admitted(client: RawClient): Promise<boolean> {
  await client.until(() => client.ext.some((e) => e.kind === 'welcome') || client.closeCode !== null)
  return client.closeCode === null
}

function collabClient(url: string, boardId: string, token: string, forwardedFor?: string): RawClient {
  const q = new URLSearchParams({ token, ext: '1' })
  const headers = forwardedFor ? { 'x-forwarded-for': forwardedFor } : undefined
  return new RawClient(new WebSocket(`${wsUrl(url)}/collab/${boardId}?${q}`, { headers }))
}

/** A socket.io long-polling handshake: its HTTP status (200 open, 403 refused by the cap). */
async function pollingHandshake(url: string, query = '', forwardedFor?: string): Promise<number> {
  const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling${query}`, { headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} })
  await res.text()
  return res.status
}

describe('failed handshakes', () => {
  it('a failed /collab upgrade keeps no slot: bad Sec-WebSocket-Version, no key, client gone mid-handshake', async () => {
    await withServer({ CONNECTIONS_PER_IP: '2' }, async (server) => {
      const api = apiClient(server.url)
      const owner = await registerUser(api)
      const board = await createBoard(api, owner.token)
      const path = `/collab/${board.id}?token=${owner.token}`
      for (let i = 0; i < 5; i++) {
        expect(await rawRequest(server.url, upgradeHead(path, { 'Sec-WebSocket-Version': '99', 'Sec-WebSocket-Key': KEY }))).toMatch(/^HTTP\/1\.1 400/)
        expect(await rawRequest(server.url, upgradeHead(path, { 'Sec-WebSocket-Version': '13' }))).toMatch(/^HTTP\/1\.1 400/)
        await rawRequest(server.url, upgradeHead(path, { 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': KEY }), true)
      }
      // The address still has both its slots.
      const real = [RawClient.connect(server.url, board.id, owner.token), RawClient.connect(server.url, board.id, owner.token)]
      for (const c of await Promise.all(real)) {
        expect(await admitted(c)).toBe(true)
        c.close()
      }
    })
  })

  it('a failed socket.io handshake keeps no slot: refused WebSocket upgrade, unsupported protocol', async () => {
    await withServer({ CONNECTIONS_PER_IP: '2' }, async (server) => {
      const owner = await registerUser(apiClient(server.url))
      for (let i = 0; i < 4; i++) {
        const head = upgradeHead('/socket.io/?EIO=4&transport=websocket', { 'Sec-WebSocket-Version': '99', 'Sec-WebSocket-Key': KEY })
        expect(await rawRequest(server.url, head)).toMatch(/^HTTP\/1\.1 400/)
        // Engine.IO v3 clients are refused after allowRequest ran.
        const res = await fetch(`${server.url}/socket.io/?EIO=3&transport=polling`)
        expect(res.status).toBe(400)
        await res.text()
      }
      expect(await connectError(server.url, owner.token)).toBeNull()
      expect(await connectError(server.url, owner.token)).toBeNull()
    })
  })
})

describe('socket.io handshakes', () => {
  it('a query parameter merely containing "sid=" does not skip the per-address cap', async () => {
    await withServer({ CONNECTIONS_PER_IP: '2' }, async (server) => {
      expect(await pollingHandshake(server.url, '&xsid=1')).toBe(200)
      expect(await pollingHandshake(server.url, '&xsid=1')).toBe(200)
      expect(await pollingHandshake(server.url, '&xsid=1')).toBe(403)
      expect(await pollingHandshake(server.url, '&notsid=abc&x=1')).toBe(403)
    })
  })
})

// One proxy that overwrites the header (TRUST_PROXY=true / 1), a chain of two
// (the first overwrites, the second appends), and the proxies named by address.
const proxies: [string, (client: string, spoofed: string) => string][] = [
  ['true', (client, spoofed) => `${spoofed}, ${client}`],
  ['2', (client, spoofed) => `${spoofed}, ${client}, 10.1.2.3`],
  ['127.0.0.1, 10.0.0.0/8', (client, spoofed) => `${spoofed}, ${client}, 10.1.2.3`],
]

describe.each(proxies)('behind a proxy (TRUST_PROXY=%s)', (trustProxy, forwarded) => {
  const spoof = (i: number) => `198.51.100.${i}`

  it('spoofed leftmost X-Forwarded-For entries do not change the address HTTP rate limits count', async () => {
    await withServer({ TRUST_PROXY: trustProxy, AUTH_RATE_LIMIT: '3' }, async (server) => {
      const api = apiClient(server.url)
      const login = (xff: string) => api.post('/api/auth/login', { body: { email: uniqueEmail(), password: 'wrong password' }, headers: { 'x-forwarded-for': xff } })
      const statuses: number[] = []
      for (let i = 1; i <= 4; i++) statuses.push((await login(forwarded('203.0.113.7', spoof(i)))).status)
      expect(statuses).toEqual([401, 401, 401, 429])
      // Another client behind the same proxy has its own budget.
      expect((await login(forwarded('203.0.113.8', spoof(9)))).status).toBe(401)
    })
  })

  it('spoofed leftmost X-Forwarded-For entries do not change the address connection caps count', async () => {
    await withServer({ TRUST_PROXY: trustProxy, CONNECTIONS_PER_IP: '2' }, async (server) => {
      const api = apiClient(server.url)
      const owner = await registerUser(api)
      const board = await createBoard(api, owner.token)
      const open = [collabClient(server.url, board.id, owner.token, forwarded('203.0.113.9', spoof(1))), collabClient(server.url, board.id, owner.token, forwarded('203.0.113.9', spoof(2)))]
      for (const c of open) expect(await admitted(c)).toBe(true)
      const third = collabClient(server.url, board.id, owner.token, forwarded('203.0.113.9', spoof(3)))
      expect(await third.waitClose()).toBe(1013)
      const other = collabClient(server.url, board.id, owner.token, forwarded('203.0.113.10', spoof(4)))
      expect(await admitted(other)).toBe(true)

      expect(await pollingHandshake(server.url, '', forwarded('203.0.113.11', spoof(5)))).toBe(200)
      expect(await pollingHandshake(server.url, '', forwarded('203.0.113.11', spoof(6)))).toBe(200)
      expect(await pollingHandshake(server.url, '', forwarded('203.0.113.11', spoof(7)))).toBe(403)
      expect(await pollingHandshake(server.url, '', forwarded('203.0.113.12', spoof(8)))).toBe(200)
      for (const c of [...open, other]) c.close()
    })
  })
})
