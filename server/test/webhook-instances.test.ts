// Webhooks with two instances on the machine's real PostgreSQL and Redis:
// each event is queued once, by the instance where it happened, and
// delivered once although both instances' delivery workers poll the same
// queue, retries included; a delivery's log is the same from either instance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Api, apiClient, registerUser } from './helpers/api.js'
import { waitFor } from './helpers/collab.js'
import { createBoard, createInvite, joinAsGuest, makePro } from './helpers/fixtures.js'
import { startServer, type TestServer } from './helpers/server.js'
import { createTestDatabase, postgresBaseUrl, redisBaseUrl, type TestDatabase, uniqueRedisPrefix } from './helpers/services.js'
import { type Receiver, startReceiver } from './helpers/webhook-receiver.js'

const pgBase = postgresBaseUrl()
const redisUrl = redisBaseUrl()
const available = Boolean(pgBase && redisUrl)
if (!available) process.stdout.write('webhook-instances.test.ts: SKIPPED (needs DATABASE_URL and REDIS_URL)\n')

describe.skipIf(!available)('webhooks on two instances', () => {
  let db: TestDatabase
  let receiver: Receiver
  let a: TestServer
  let b: TestServer
  let apiA: Api
  let apiB: Api
  beforeAll(async () => {
    db = await createTestDatabase(pgBase!)
    receiver = await startReceiver()
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl!,
      REDIS_PREFIX: uniqueRedisPrefix(),
      TOKEN_SECRET: 'w'.repeat(40),
      WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32',
      WEBHOOK_RETRY_DELAYS: '50ms,50ms,50ms,50ms,50ms',
      WEBHOOK_TIMEOUT: '2s',
    }
    a = await startServer(env)
    b = await startServer(env)
    apiA = apiClient(a.url)
    apiB = apiClient(b.url)
  }, 60_000)
  afterAll(async () => {
    await a?.stop()
    await b?.stop()
    await receiver?.close()
    await db?.drop()
  })

  /** Requests per webhook-id at `path`, and how many of them were answered 2xx. */
  const byMessage = (path: string) => {
    const seen = new Map<string, number>()
    for (const r of receiver.received.filter((x) => x.path === path)) {
      const id = String(r.headers['webhook-id'])
      seen.set(id, (seen.get(id) ?? 0) + 1)
    }
    return seen
  }

  it('events from both instances reach the receiver once each, failed attempts retried once each', async () => {
    const owner = await registerUser(apiA, 'Two Instance Owner')
    await makePro(apiA, owner.user.id)
    const board = await createBoard(apiA, owner.token, 'Twice hooked')
    const path = '/two-instances'
    const created = await apiB.post(`/api/boards/${board.id}/webhooks`, {
      token: owner.token,
      body: { url: `${receiver.url}${path}`, events: ['participant.joined', 'comment.created'] },
    })
    expect(created.status).toBe(201)
    // The first attempts fail: whichever worker takes a delivery, it is retried, not duplicated.
    receiver.answer(...Array.from({ length: 6 }, () => ({ status: 503, body: 'busy' })))
    const invite = (await createInvite(apiA, owner.token, board.id, 'reviewer')).token
    const events: Promise<unknown>[] = []
    for (let i = 0; i < 6; i++) {
      const api = i % 2 === 0 ? apiA : apiB
      events.push(
        joinAsGuest(api, invite, `Guest ${i}`).then((g) =>
          api.post(`/api/boards/${board.id}/comments`, { token: g.token, body: { anchor: { x: i, y: i }, body: `from ${i % 2 === 0 ? 'A' : 'B'}` } }),
        ),
      )
    }
    await Promise.all(events)
    // 6 joins + 6 comments.
    await waitFor(async () => {
      const list = await apiA.get(`/api/boards/${board.id}/webhooks/${created.body.webhook.id}/deliveries`, { token: owner.token })
      const done = (list.body.deliveries as { status: string }[]).filter((d) => d.status === 'delivered')
      return done.length === 12
    }, 20_000)
    const seen = byMessage(path)
    expect(seen.size).toBe(12)
    // One request per attempt: the 6 failed ones and one success per message; a second worker delivering a message again would add more.
    const attempts = [...seen.values()].reduce((s, n) => s + n, 0)
    expect(attempts).toBe(12 + 6)
    const types = new Map<string, string>()
    for (const r of receiver.received.filter((x) => x.path === path)) types.set(String(r.headers['webhook-id']), (JSON.parse(r.body) as { type: string }).type)
    expect([...types.values()].sort()).toEqual([...Array(6).fill('comment.created'), ...Array(6).fill('participant.joined')])
    // Both instances tell the same log.
    const fromA = await apiA.get(`/api/boards/${board.id}/webhooks/${created.body.webhook.id}/deliveries`, { token: owner.token })
    const fromB = await apiB.get(`/api/boards/${board.id}/webhooks/${created.body.webhook.id}/deliveries`, { token: owner.token })
    expect(fromB.body).toEqual(fromA.body)
    const attemptsLogged = (fromA.body.deliveries as { attempts: unknown[] }[]).reduce((s, d) => s + d.attempts.length, 0)
    expect(attemptsLogged).toBe(18)
  })
})
