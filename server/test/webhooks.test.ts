// Signed webhooks, delivered to a real receiver started here (allowed by
// WEBHOOK_ALLOW_PRIVATE): Standard Webhooks signatures checked with the
// standardwebhooks library, the events a board and an account hear, retries
// with backoff, and the delivery log. Attacks: webhook-security.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { eq, sql } from 'drizzle-orm'
import { boards } from '../src/store/schema.js'
import { registerUser, uniqueEmail } from './helpers/api.js'
import { waitFor } from './helpers/collab.js'
import { createBoard, createInvite, joinAsGuest, makePro } from './helpers/fixtures.js'
import { TEST_ADMIN_TOKEN } from './helpers/server.js'
import { useServer } from './helpers/suite.js'
import { type Receiver, startReceiver } from './helpers/webhook-receiver.js'

const suite = useServer({ WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32', WEBHOOK_RETRY_DELAYS: '100ms,200ms', WEBHOOK_TIMEOUT: '2s' })
const { api } = suite
let receiver: Receiver

beforeAll(async () => {
  receiver = await startReceiver()
})
afterAll(async () => {
  await receiver.close()
})

async function proOwner() {
  const owner = await registerUser(api, 'Pro Owner')
  await makePro(api, owner.user.id)
  const board = await createBoard(api, owner.token, 'Hooked')
  return { ...owner, board }
}

let hooks = 0
/** A webhook at a path of its own on the receiver. */
async function hook(token: string, path: string, body: Record<string, unknown> = {}) {
  const res = await api.post(path, { token, body: { url: `${receiver.url}/hook-${++hooks}`, ...body } })
  if (res.status !== 201) throw new Error(`create webhook failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body as { webhook: { id: string; url: string; events: string[]; boardId: string | null; enabled: boolean }; secret: string }
}

/** The requests that reached `url` (a webhook's own path) carrying event `type`. */
const arrived = (url: string, type?: string) =>
  receiver.received.filter((r) => new URL(url).pathname === r.path && (type === undefined || (JSON.parse(r.body) as { type: string }).type === type))

async function deliveries(token: string, base: string, id: string) {
  const res = await api.get(`${base}/${id}/deliveries`, { token })
  expect(res.status).toBe(200)
  return res.body.deliveries as { id: string; event: string; status: string; attempts: { statusCode: number | null; body: string | null; durationMs: number; error: string | null }[]; payload: { type: string } }[]
}

describe('board webhooks', () => {
  it('shows the secret once and signs every delivery the Standard Webhooks way', async () => {
    const { token, board } = await proOwner()
    const base = `/api/boards/${board.id}/webhooks`
    const created = await hook(token, base)
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(created.webhook).toMatchObject({ boardId: board.id, enabled: true })
    expect(created.webhook.events).toContain('participant.joined')
    const listed = await api.get(base, { token })
    expect(listed.body.webhooks).toEqual([created.webhook])
    expect(JSON.stringify(listed.body)).not.toContain(created.secret.slice(6))

    const invite = await createInvite(api, token, board.id, 'reviewer')
    const guest = await joinAsGuest(api, invite.token, 'Grace')
    const [req] = await waitFor(() => arrived(created.webhook.url, 'participant.joined').length > 0 && arrived(created.webhook.url, 'participant.joined'))
    const headers = receiver.headersOf(req!)
    expect(headers['webhook-id']).toMatch(/^msg_/)
    expect(Number(headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60)
    expect(headers['webhook-signature']).toMatch(/^v1,/)
    const verified = new Webhook(created.secret).verify(req!.body, headers) as { type: string; data: Record<string, any> }
    expect(verified).toMatchObject({ type: 'participant.joined', data: { boardId: board.id, participant: { kind: 'guest', id: guest.id, name: 'Grace', role: 'reviewer' } } })
    // Another secret, a changed body or a changed id: not from us.
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(req!.body, headers)).toThrow()
    expect(() => new Webhook(created.secret).verify(req!.body.replace('Grace', 'Mallory'), headers)).toThrow()
    expect(() => new Webhook(created.secret).verify(req!.body, { ...headers, 'webhook-id': 'msg_other' })).toThrow()
  })

  it('carries comments, role changes and leaving, each only to webhooks that want it', async () => {
    const { token, board } = await proOwner()
    const base = `/api/boards/${board.id}/webhooks`
    const all = await hook(token, base)
    const some = await hook(token, base, { events: ['comment.created'] })
    const invite = await createInvite(api, token, board.id, 'editor')
    const guest = await joinAsGuest(api, invite.token, 'Gus')
    expect((await api.post(`/api/boards/${board.id}/comments`, { token: guest.token, body: { anchor: { x: 1, y: 1 }, body: 'looks good' } })).status).toBe(201)
    expect((await api.patch(`/api/boards/${board.id}/participants/guest/${guest.id}`, { token, body: { role: 'reader' } })).status).toBe(200)
    expect((await api.del(`/api/boards/${board.id}/participants/guest/${guest.id}`, { token })).status).toBe(204)
    await waitFor(() => arrived(all.webhook.url, 'participant.left').length === 1, 5000, 'participant.left')
    const types = arrived(all.webhook.url).map((r) => (JSON.parse(r.body) as { type: string }).type)
    expect(types).toEqual(expect.arrayContaining(['participant.joined', 'comment.created', 'participant.role_changed', 'participant.left']))
    const role = JSON.parse(arrived(all.webhook.url, 'participant.role_changed')[0]!.body)
    expect(role.data.participant).toMatchObject({ id: guest.id, role: 'reader' })
    const comment = JSON.parse(arrived(all.webhook.url, 'comment.created')[0]!.body)
    expect(comment.data.thread).toMatchObject({ body: 'looks good', replies: [] })
    await waitFor(() => arrived(some.webhook.url).length === 1)
    expect(arrived(some.webhook.url).map((r) => JSON.parse(r.body).type)).toEqual(['comment.created'])
  })

  it('carries knocks at the lobby and restores', async () => {
    const { token, board } = await proOwner()
    const h = await hook(token, `/api/boards/${board.id}/webhooks`, { events: ['guest.knocked', 'board.restored'] })
    expect((await api.patch(`/api/boards/${board.id}`, { token, body: { lobby: true } })).status).toBe(200)
    const invite = await createInvite(api, token, board.id, 'reader')
    const waiting = await api.post(`/api/invites/${invite.token}/join`, { body: { name: 'Kim' } })
    expect(waiting.body.lobby?.status).toBe('waiting')
    const version = await api.post(`/api/boards/${board.id}/versions`, { token, body: { name: 'first' } })
    expect(version.status).toBe(201)
    const restored = await api.post(`/api/boards/${board.id}/versions/${version.body.version.id}/restore`, { token })
    expect(restored.status).toBe(200)
    await waitFor(() => arrived(h.webhook.url).length === 2, 5000, 'knock and restore')
    const knock = JSON.parse(arrived(h.webhook.url, 'guest.knocked')[0]!.body)
    expect(knock.data).toMatchObject({ boardId: board.id, guest: { id: waiting.body.guest.id, name: 'Kim' } })
    const restore = JSON.parse(arrived(h.webhook.url, 'board.restored')[0]!.body)
    expect(restore.data).toMatchObject({ boardId: board.id, kind: 'restore', by: { name: 'Pro Owner' } })
  })

  it('queues nothing while the owner is off the pro plan', async () => {
    const { token, board, user } = await proOwner()
    const h = await hook(token, `/api/boards/${board.id}/webhooks`, { events: ['participant.joined'] })
    const setPlan = async (plan: string) => expect((await api.patch(`/api/admin/users/${user.id}`, { token: TEST_ADMIN_TOKEN, body: { plan } })).status).toBe(200)
    await setPlan('free')
    const invite = await createInvite(api, token, board.id, 'reader')
    await joinAsGuest(api, invite.token, 'While free')
    await setPlan('pro')
    const later = await joinAsGuest(api, invite.token, 'While pro')
    await waitFor(() => arrived(h.webhook.url).length > 0)
    expect(arrived(h.webhook.url).map((r) => JSON.parse(r.body).data.participant.id)).toEqual([later.id])
    expect(await deliveries(token, `/api/boards/${board.id}/webhooks`, h.webhook.id)).toHaveLength(1)
  })

  it('a disabled webhook hears nothing; the test event reaches an enabled one', async () => {
    const { token, board } = await proOwner()
    const base = `/api/boards/${board.id}/webhooks`
    const off = await hook(token, base, { enabled: false })
    const on = await hook(token, base)
    expect((await api.post(`${base}/${off.webhook.id}/test`, { token })).status).toBe(409)
    const test = await api.post(`${base}/${on.webhook.id}/test`, { token })
    expect(test.status).toBe(202)
    await waitFor(() => arrived(on.webhook.url, 'webhook.test').length === 1)
    const req = arrived(on.webhook.url, 'webhook.test')[0]!
    expect(receiver.headersOf(req)['webhook-id']).toBe(test.body.deliveryId)
    await createInvite(api, token, board.id, 'reader').then((i) => joinAsGuest(api, i.token))
    await waitFor(() => arrived(on.webhook.url, 'participant.joined').length === 1)
    expect(arrived(off.webhook.url)).toEqual([])
    const patched = await api.patch(`${base}/${off.webhook.id}`, { token, body: { enabled: true, events: ['board.restored'] } })
    expect(patched.status).toBe(200)
    expect(patched.body.webhook).toMatchObject({ enabled: true, events: ['board.restored'] })
    expect((await api.del(`${base}/${on.webhook.id}`, { token })).status).toBe(204)
    expect((await api.get(base, { token })).body.webhooks.map((w: { id: string }) => w.id)).toEqual([off.webhook.id])
  })
})

describe('account webhooks', () => {
  it('hear every board the user owns, including one being deleted and one claimed', async () => {
    const { token, board } = await proOwner()
    const other = await createBoard(api, token, 'Second')
    const acct = await hook(token, '/api/webhooks')
    expect(acct.webhook.boardId).toBeNull()
    expect((await api.get('/api/webhooks', { token })).body.webhooks).toEqual([acct.webhook])
    for (const b of [board, other]) await createInvite(api, token, b.id, 'reader').then((i) => joinAsGuest(api, i.token))
    expect((await api.del(`/api/boards/${other.id}`, { token })).status).toBe(204)
    const temp = await api.post('/api/boards', { body: { guestName: 'Tess' } })
    expect(temp.status).toBe(201)
    const link = await createInvite(api, temp.body.token, temp.body.board.id, 'editor')
    expect((await api.post(`/api/invites/${link.token}/join`, { token })).status).toBe(200)
    expect((await api.post(`/api/boards/${temp.body.board.id}/claim`, { token })).status).toBe(200)
    await waitFor(() => arrived(acct.webhook.url, 'board.claimed').length === 1 && arrived(acct.webhook.url, 'board.deleted').length === 1, 5000, 'account events')
    const joined = arrived(acct.webhook.url, 'participant.joined').map((r) => JSON.parse(r.body).data.boardId)
    expect(joined.sort()).toEqual([board.id, other.id].sort())
    expect(JSON.parse(arrived(acct.webhook.url, 'board.deleted')[0]!.body).data).toEqual({ boardId: other.id, reason: 'deleted' })
    expect(JSON.parse(arrived(acct.webhook.url, 'board.claimed')[0]!.body).data.boardId).toBe(temp.body.board.id)
  })
})

describe('temporary boards', () => {
  it('reach the account the creating guest became: expiring, then expired', async () => {
    const made = await api.post('/api/boards', { body: { guestName: 'Tia', title: 'Sketch' } })
    expect(made.status).toBe(201)
    const boardId = made.body.board.id as string
    const reg = await api.post('/api/auth/register', { token: made.body.token, body: { email: uniqueEmail('tia'), password: 'correct horse', name: 'Tia' } })
    expect(reg.status).toBe(201)
    await makePro(api, reg.body.user.id)
    const acct = await hook(reg.body.token, '/api/webhooks', { events: ['board.expiring', 'board.deleted'] })
    const expireIn = (at: string) => suite.server.store.db.update(boards).set({ expiresAt: sql`now() + ${at}::interval` }).where(eq(boards.id, boardId))
    await expireIn('9 minutes')
    await suite.server.sweeper.sweep()
    await waitFor(() => arrived(acct.webhook.url, 'board.expiring').length > 0, 5000, 'board.expiring')
    const expiring = JSON.parse(arrived(acct.webhook.url, 'board.expiring')[0]!.body)
    expect(expiring.data.boardId).toBe(boardId)
    expect(Date.parse(expiring.data.expiresAt)).toBeLessThan(Date.now() + 10 * 60_000)
    await expireIn('-1 second')
    await suite.server.sweeper.sweep()
    await waitFor(() => arrived(acct.webhook.url, 'board.deleted').length === 1, 5000, 'board.deleted')
    expect(JSON.parse(arrived(acct.webhook.url, 'board.deleted')[0]!.body).data).toEqual({ boardId, reason: 'expired' })
  })
})

describe('delivery', () => {
  it('retries with backoff after a 500, keeps the same webhook-id, and logs each response', async () => {
    const { token, board } = await proOwner()
    const base = `/api/boards/${board.id}/webhooks`
    const h = await hook(token, base, { events: ['participant.joined'] })
    receiver.answer({ status: 500, body: 'try later' })
    await createInvite(api, token, board.id, 'reader').then((i) => joinAsGuest(api, i.token))
    await waitFor(() => arrived(h.webhook.url).length === 2, 5000, 'the retry')
    const [first, second] = arrived(h.webhook.url)
    expect(receiver.headersOf(first!)['webhook-id']).toBe(receiver.headersOf(second!)['webhook-id'])
    // Each attempt is signed anew (its own timestamp), and both verify.
    for (const r of [first!, second!]) expect(() => new Webhook(h.secret).verify(r.body, receiver.headersOf(r))).not.toThrow()
    const log = await waitFor(async () => {
      const d = await deliveries(token, base, h.webhook.id)
      return d[0]?.status === 'delivered' && d
    })
    expect(log).toHaveLength(1)
    expect(log[0]!.event).toBe('participant.joined')
    expect(log[0]!.payload.type).toBe('participant.joined')
    expect(log[0]!.attempts.map((a) => [a.statusCode, a.body, a.error])).toEqual([
      [500, 'try later', null],
      [200, 'ok', null],
    ])
    expect(log[0]!.attempts.every((a) => a.durationMs >= 0)).toBe(true)
  })

  it('gives up after the last attempt, keeps only the start of a long body, and follows no redirect', async () => {
    const { token, board } = await proOwner()
    const base = `/api/boards/${board.id}/webhooks`
    const h = await hook(token, base, { events: ['participant.joined'] })
    receiver.answer(
      { status: 503, body: 'x'.repeat(5000) },
      { status: 302, headers: { location: `${receiver.url}/redirected` } },
      { status: 500 },
    )
    await createInvite(api, token, board.id, 'reader').then((i) => joinAsGuest(api, i.token))
    const log = await waitFor(async () => {
      const d = await deliveries(token, base, h.webhook.id)
      return d[0]?.status === 'failed' && d
    })
    expect(log[0]!.attempts.map((a) => a.statusCode)).toEqual([503, 302, 500])
    expect(log[0]!.attempts[0]!.body).toHaveLength(1024)
    expect(receiver.received.some((r) => r.path === '/redirected')).toBe(false)
    expect(arrived(h.webhook.url)).toHaveLength(3)
  })

  it('records a target that does not answer as an error', async () => {
    const { token, board } = await proOwner()
    const base = `/api/boards/${board.id}/webhooks`
    // A port nobody listens on (the receiver's, once closed).
    const gone = await startReceiver()
    await gone.close()
    const res = await api.post(base, { token, body: { url: gone.url, events: ['participant.joined'] } })
    expect(res.status).toBe(201)
    await createInvite(api, token, board.id, 'reader').then((i) => joinAsGuest(api, i.token))
    const log = await waitFor(async () => {
      const d = await deliveries(token, base, res.body.webhook.id)
      return d[0]?.status === 'failed' && d
    })
    expect(log[0]!.attempts).toHaveLength(3)
    expect(log[0]!.attempts[0]).toMatchObject({ statusCode: null, body: null })
    expect(log[0]!.attempts[0]!.error).toMatch(/ECONNREFUSED/)
  })
})
