// Temporary boards without an account (issue 14): capped per client address
// and for the whole server per hour, 429 rate_limited with Retry-After; with
// Redis the counters are shared by all instances; accounts are not limited.
import { request } from 'node:http'
import { count } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'
import { boards } from '../src/store/schema.js'
import { apiClient, registerUser } from './helpers/api.js'
import { startServer, type TestServer } from './helpers/server.js'
import { redisBaseUrl, uniqueRedisPrefix } from './helpers/services.js'

/** POST /api/boards as a guest from a chosen loopback address (127.0.0.x all reach a 127.0.0.1 listener on Linux). */
function createFrom(server: TestServer, localAddress: string, guestName = 'Gus') {
  const url = new URL('/api/boards', server.url)
  const payload = JSON.stringify({ guestName })
  return new Promise<{ status: number; retryAfter: string | undefined; body: any }>((resolve, reject) => {
    const req = request(url, { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body: JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end(payload)
  })
}

const boardCount = async (server: TestServer) => (await server.store.db.select({ n: count() }).from(boards))[0]!.n

function expectLimited(res: { status: number; retryAfter: string | undefined; body: any }, what: string) {
  expect(res.status).toBe(429)
  expect(res.body.error.code).toBe('rate_limited')
  expect(res.body.error.message).toContain(what)
  const seconds = Number(res.retryAfter)
  expect(seconds).toBeGreaterThan(0)
  expect(seconds).toBeLessThanOrEqual(3600)
}

async function withServer(env: Record<string, string>, run: (server: TestServer) => Promise<void>) {
  const server = await startServer(env)
  try {
    await run(server)
  } finally {
    await server.stop()
  }
}

describe('guest board limits', () => {
  it('caps temporary boards per client address; other addresses and accounts are not affected', async () => {
    await withServer({ GUEST_BOARDS_PER_IP_PER_HOUR: '3', GUEST_BOARDS_PER_HOUR: '1000' }, async (server) => {
      for (let i = 0; i < 3; i++) expect((await createFrom(server, '127.0.0.1')).status).toBe(201)
      const before = await boardCount(server)
      expectLimited(await createFrom(server, '127.0.0.1'), 'from your address')
      expectLimited(await createFrom(server, '127.0.0.1'), 'from your address')
      expect(await boardCount(server)).toBe(before)
      // The cap belongs to the request's address.
      expect((await createFrom(server, '127.0.0.2')).status).toBe(201)
      // Accounts create boards from the limited address as usual, and do not count.
      const api = apiClient(server.url)
      const user = await registerUser(api)
      for (let i = 0; i < 5; i++) expect((await api.post('/api/boards', { token: user.token, body: { title: `B${i}` } })).status).toBe(201)
      for (let i = 0; i < 2; i++) expect((await createFrom(server, '127.0.0.3')).status).toBe(201)
    })
  })

  it('caps temporary boards for the whole server, whatever the address', async () => {
    await withServer({ GUEST_BOARDS_PER_IP_PER_HOUR: '1000', GUEST_BOARDS_PER_HOUR: '3' }, async (server) => {
      expect((await createFrom(server, '127.0.0.1')).status).toBe(201)
      expect((await createFrom(server, '127.0.0.2')).status).toBe(201)
      expect((await createFrom(server, '127.0.0.3')).status).toBe(201)
      const before = await boardCount(server)
      expectLimited(await createFrom(server, '127.0.0.4'), 'on this server')
      expect(await boardCount(server)).toBe(before)
      const api = apiClient(server.url)
      const user = await registerUser(api)
      expect((await api.post('/api/boards', { token: user.token, body: {} })).status).toBe(201)
    })
  })

  it('validates the settings', () => {
    for (const name of ['GUEST_BOARDS_PER_IP_PER_HOUR', 'GUEST_BOARDS_PER_HOUR']) {
      for (const value of ['0', '-1', 'ten', '1.5']) {
        expect(() => loadConfig({ DATA_DIR: '/tmp/unused', TOKEN_SECRET: 's'.repeat(32), [name]: value }), `${name}=${value}`).toThrow(ConfigError)
      }
    }
    const config = loadConfig({ DATA_DIR: '/tmp/unused', TOKEN_SECRET: 's'.repeat(32) })
    expect([config.guestBoardsPerIpPerHour, config.guestBoardsPerHour]).toEqual([10, 500])
  })
})

const redisUrl = redisBaseUrl()
describe.skipIf(!redisUrl)('guest board limits across instances (Redis)', () => {
  it('two instances share the per-address and the server-wide counters', async () => {
    const env = { REDIS_URL: redisUrl!, REDIS_PREFIX: uniqueRedisPrefix(), TOKEN_SECRET: 'r'.repeat(40), GUEST_BOARDS_PER_IP_PER_HOUR: '2', GUEST_BOARDS_PER_HOUR: '3' }
    const a = await startServer(env)
    const b = await startServer(env)
    try {
      expect((await createFrom(a, '127.0.0.1')).status).toBe(201)
      expect((await createFrom(b, '127.0.0.1')).status).toBe(201)
      expectLimited(await createFrom(a, '127.0.0.1'), 'from your address')
      expectLimited(await createFrom(b, '127.0.0.1'), 'from your address')
      expect((await createFrom(b, '127.0.0.2')).status).toBe(201)
      expectLimited(await createFrom(a, '127.0.0.3'), 'on this server')
    } finally {
      await a.stop()
      await b.stop()
    }
  })
})
