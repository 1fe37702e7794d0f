// Access changes and Redis outages: a signal published while Redis is
// unreachable is sent once it is back, every instance re-checks its live
// subscriptions against the database on reconnect, and a sign-out on one
// instance closes what the old token opened on another.
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisBus } from '../src/bus/redis-bus.js'
import type { BoardSignal } from '../src/bus/signals.js'
import { apiClient, registerUser } from './helpers/api.js'
import { providerClient, type ProviderClient, waitFor } from './helpers/collab.js'
import { createBoard, createInvite, joinAsGuest } from './helpers/fixtures.js'
import { startServer, type TestServer } from './helpers/server.js'
import { createTestDatabase, postgresBaseUrl, redisBaseUrl, startPrivateRedis, type TestDatabase, uniqueRedisPrefix } from './helpers/services.js'
import { type EventSocket, eventSocket } from './helpers/sockets.js'

const pgBase = postgresBaseUrl()
const redisUrl = redisBaseUrl()
const available = Boolean(pgBase && redisUrl)
if (!available) process.stdout.write('redis-outage-access.test.ts: SKIPPED (needs DATABASE_URL and REDIS_URL)\n')

const logger = pino({ level: 'silent' })

describe.skipIf(!redisUrl)('signals published while this instance cannot reach Redis', () => {
  it('are kept and sent once it can, in order', async () => {
    const prefix = uniqueRedisPrefix()
    const [a, b] = await Promise.all([RedisBus.connect({ url: redisUrl!, prefix, logger }), RedisBus.connect({ url: redisUrl!, prefix, logger })])
    try {
      const heard: BoardSignal[] = []
      b.subscribe((s) => heard.push(s))
      // Only A loses Redis: B never notices an outage, so nothing but A's
      // own replay can tell it.
      a.client.disconnect()
      await waitFor(() => !a.healthy, 5000, 'A down')
      const sent: BoardSignal[] = [
        { type: 'access.changed', boardId: 'outage-1', target: { kind: 'guest', id: 'g1' } },
        { type: 'user.signed_out', userId: 'u1', tokenVersion: 3 },
      ]
      for (const s of sent) a.publish(s)
      await waitFor(() => a.unsentSignals === 2, 5000, 'signals kept')
      await a.client.connect()
      await waitFor(() => heard.length === 2, 5000, 'B hears the kept signals')
      expect(heard).toEqual(sent)
      expect(a.unsentSignals).toBe(0)
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe.skipIf(!available)('two instances, one PostgreSQL, a Redis that goes away', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase(pgBase!)
  })
  afterAll(async () => {
    await db?.drop()
  })

  it('a guest removed through one instance while Redis is down loses its socket.io subscription on the other once Redis is back', async () => {
    const redis = await startPrivateRedis()
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_PREFIX: uniqueRedisPrefix(), TOKEN_SECRET: 'o'.repeat(40) }
    const servers: TestServer[] = []
    const sockets: EventSocket[] = []
    try {
      servers.push(await startServer(env), await startServer(env))
      const [i3, i4] = servers as [TestServer, TestServer]
      const api3 = apiClient(i3.url)
      const owner = await registerUser(api3)
      const board = await createBoard(api3, owner.token)
      const guest = await joinAsGuest(api3, (await createInvite(api3, owner.token, board.id, 'reviewer')).token)
      const guestEvents = await eventSocket(i4.url, guest.token)
      const ownerEvents = await eventSocket(i4.url, owner.token)
      sockets.push(guestEvents, ownerEvents)
      expect(await guestEvents.subscribe(board.id)).toEqual({ ok: true })
      expect(await ownerEvents.subscribe(board.id)).toEqual({ ok: true })
      const comment = async (body: string) => {
        const res = await api3.post(`/api/boards/${board.id}/comments`, { token: owner.token, body: { anchor: { x: 1, y: 1 }, body } })
        expect(res.status).toBe(201)
      }
      await comment('before the outage')
      await guestEvents.next('comment:created', (p) => p.thread.body === 'before the outage')

      await redis.stop()
      await waitFor(() => !i3.bus.healthy && !i4.bus.healthy, 10_000, 'both instances see Redis down')
      expect((await api3.del(`/api/boards/${board.id}/participants/guest/${guest.id}`, { token: owner.token })).status).toBe(204)
      // The removal could not cross: the guest is still in the board's room on I4.
      const inRoom = async () => (await i4.events.io.local.in(`board:${board.id}`).fetchSockets()).some((s) => s.data.key === `guest:${guest.id}`)
      expect(await inRoom()).toBe(true)

      await redis.start()
      await waitFor(() => i3.bus.healthy && i4.bus.healthy, 20_000, 'both instances see Redis back')
      expect(await guestEvents.next('board:unsubscribed', (p) => p.boardId === board.id, 15_000)).toMatchObject({ boardId: board.id, reason: 'forbidden' })

      await comment('after the outage')
      await ownerEvents.next('comment:created', (p) => p.thread.body === 'after the outage', 15_000)
      // I4 sent the comment to its room in one go; an ack the guest asks for
      // afterwards arrives behind anything sent to it then.
      expect(await guestEvents.subscribe(board.id)).toMatchObject({ error: { code: 'forbidden' } })
      expect(guestEvents.received.filter(([e, p]) => e === 'comment:created' && p.thread.body === 'after the outage')).toEqual([])
    } finally {
      for (const s of sockets) s.disconnect()
      for (const s of servers) await s.stop()
      await redis.stop()
    }
  }, 90_000)

  it('a sign-out through one instance closes the /collab and socket.io connections the old token opened on the other', async () => {
    const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl!, REDIS_PREFIX: uniqueRedisPrefix(), TOKEN_SECRET: 'p'.repeat(40) }
    const servers: TestServer[] = []
    const clients: ProviderClient[] = []
    let events: EventSocket | undefined
    try {
      servers.push(await startServer(env), await startServer(env))
      const [a, b] = servers as [TestServer, TestServer]
      const api = apiClient(a.url)
      const user = await registerUser(api)
      const board = await createBoard(api, user.token)
      const provider = providerClient(b.url, board.id, user.token)
      clients.push(provider)
      await provider.synced()
      events = await eventSocket(b.url, user.token)
      expect(await events.subscribe(board.id)).toEqual({ ok: true })
      const socket = events
      const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve))
      expect((await api.post('/api/auth/logout-all', { token: user.token })).status).toBe(204)
      expect(await provider.closed()).toBe(4401)
      expect(await gone).toBe('io server disconnect')
      expect((await apiClient(b.url).get('/api/me', { token: user.token })).status).toBe(401)
    } finally {
      events?.disconnect()
      for (const c of clients) c.destroy()
      for (const s of servers) await s.stop()
    }
  }, 60_000)
})
