// Webhooks attacked: targets inside the server's own network (SSRF) refused
// when saved and again at delivery, whoever is not a pro owner signed in
// with a user token refused, other people's webhooks out of reach, bad
// input answered in the contract's format, and no secret in any log line.
import { describe, expect, it } from 'vitest'
import { webhooks } from '../src/store/schema.js'
import { AddressPolicy } from '../src/webhooks/address-policy.js'
import { send } from '../src/webhooks/sender.js'
import { apiClient, registerUser } from './helpers/api.js'
import { waitFor } from './helpers/collab.js'
import { createBoard, createInvite, joinAsGuest, joinAsMember, makePro } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'
import { startLoggedServer } from './helpers/logged-server.js'
import { startReceiver } from './helpers/webhook-receiver.js'

// No allow list here: the defaults a real server has.
const suite = useServer({ WEBHOOK_RETRY_DELAYS: '50ms', WEBHOOK_TIMEOUT: '2s' })
const { api } = suite

async function proOwner() {
  const owner = await registerUser(api, 'Pro Owner')
  await makePro(api, owner.user.id)
  const board = await createBoard(api, owner.token, 'Hooked')
  return { ...owner, board }
}

const INTERNAL = [
  'http://localhost/',
  'http://127.0.0.1/',
  'http://127.1.2.3:8080/x',
  'http://2130706433/',
  'http://0x7f.0.0.1/',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:a00:1]/',
  'http://10.1.2.3/',
  'http://172.16.0.1/',
  'http://192.168.1.1/',
  'http://169.254.169.254/latest/meta-data/',
  'http://100.64.0.1/',
  'http://0.0.0.0/',
  'http://[::]/',
  'http://[fd00::1]/',
  'http://[fe80::1]/',
  'http://224.0.0.1/',
  'http://[ff02::1]/',
  'http://255.255.255.255/',
]

describe('target addresses', () => {
  it('refuses private, loopback, link-local, unique-local, multicast and unspecified targets when saved', async () => {
    const { token, board } = await proOwner()
    for (const url of INTERNAL) {
      for (const path of ['/api/webhooks', `/api/boards/${board.id}/webhooks`]) {
        const res = await api.post(path, { token, body: { url } })
        expect([url, res.status, res.body?.error?.code]).toEqual([url, 400, 'invalid_request'])
      }
    }
    // Only http(s), without credentials in it.
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'gopher://example.com', 'http://user:pw@example.com/', 'not a url']) {
      const res = await api.post('/api/webhooks', { token, body: { url } })
      expect([url, res.status]).toEqual([url, 400])
    }
    const patched = await api.post('/api/webhooks', { token, body: { url: 'http://93.184.215.14/hook' } })
    expect(patched.status).toBe(201)
    const res = await api.patch(`/api/webhooks/${patched.body.webhook.id}`, { token, body: { url: 'http://169.254.169.254/' } })
    expect(res.status).toBe(400)
    expect((await api.get('/api/webhooks', { token })).body.webhooks[0].url).toBe('http://93.184.215.14/hook')
  })

  it('judges each address by the range it is in (IPv4-mapped IPv6 as its IPv4)', () => {
    const policy = new AddressPolicy()
    for (const a of ['8.8.8.8', '93.184.215.14', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect([a, policy.addressAllowed(a)]).toEqual([a, true])
    for (const a of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::7f00:1', 'fc00::1', 'fe80::1', 'ff02::1', '::', '64:ff9b::a00:1', '2002:7f00:1::1', 'not-an-ip']) {
      expect([a, policy.addressAllowed(a)]).toEqual([a, false])
    }
    const allowed = new AddressPolicy(['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8'])
    for (const a of ['127.0.0.1', '::ffff:127.0.0.1', '10.9.9.9', 'fd00::5']) expect([a, allowed.addressAllowed(a)]).toEqual([a, true])
    expect(allowed.addressAllowed('127.0.0.2')).toBe(false)
  })

  it('resolves host names and refuses one that resolves inside', async () => {
    const policy = new AddressPolicy()
    await expect(policy.check('http://localhost:1/')).rejects.toThrow(/private, loopback/)
    await expect(new AddressPolicy(['localhost']).check('http://localhost:1/')).resolves.toMatchObject({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) })
  })

  it('connects to the address it checked, whatever the name resolves to afterwards (DNS rebinding)', async () => {
    const receiver = await startReceiver()
    try {
      // The check's answer stands in for a resolver that said 127.0.0.1; the system resolver knows no .invalid name at all.
      class Checked extends AddressPolicy {
        override async check(raw: string) {
          return { url: this.parse(raw), address: '127.0.0.1', family: 4 as const }
        }
      }
      const url = `http://rebind.invalid:${new URL(receiver.url).port}/pinned`
      const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`
      const { ok, attempt } = await send({ id: 'msg_pinned', url, secret, payload: '{}' }, { policy: new Checked(), timeoutMs: 2000 })
      expect([ok, attempt.statusCode, attempt.error]).toEqual([true, 200, null])
      expect(receiver.received.map((r) => [r.path, r.headers.host])).toEqual([['/pinned', `rebind.invalid:${new URL(receiver.url).port}`]])
    } finally {
      await receiver.close()
    }
  })

  it('checks again at delivery: a target that became internal gets nothing', async () => {
    const { token, board } = await proOwner()
    const receiver = await startReceiver()
    try {
      // As if the name had resolved to a public address when saved and to a loopback one now.
      const saved = await api.post(`/api/boards/${board.id}/webhooks`, { token, body: { url: 'http://93.184.215.14/hook', events: ['participant.joined'] } })
      expect(saved.status).toBe(201)
      const { eq } = await import('drizzle-orm')
      await suite.server.store.db.update(webhooks).set({ url: `${receiver.url}/hook` }).where(eq(webhooks.id, saved.body.webhook.id))
      await createInvite(api, token, board.id, 'reader').then((i) => joinAsGuest(api, i.token))
      const log = await waitFor(async () => {
        const d = (await api.get(`/api/boards/${board.id}/webhooks/${saved.body.webhook.id}/deliveries`, { token })).body.deliveries
        return d[0]?.status === 'failed' && d
      })
      expect(log[0].attempts).toHaveLength(2)
      expect(log[0].attempts[0].error).toMatch(/private, loopback/)
      expect(receiver.received).toEqual([])
    } finally {
      await receiver.close()
    }
  })
})

describe('who may', () => {
  it('refuses a free plan, a guest, a member who is not the owner, and every API key', async () => {
    const free = await registerUser(api, 'Free')
    const freeBoard = await createBoard(api, free.token)
    for (const path of ['/api/webhooks', `/api/boards/${freeBoard.id}/webhooks`]) {
      const res = await api.post(path, { token: free.token, body: { url: 'http://93.184.215.14/' } })
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe('plan_required')
    }
    const { token, board } = await proOwner()
    const invite = await createInvite(api, token, board.id, 'editor')
    const guest = await joinAsGuest(api, invite.token)
    const member = await joinAsMember(api, invite.token, 'Member')
    await makePro(api, member.id)
    const base = `/api/boards/${board.id}/webhooks`
    const guestRes = await api.post(base, { token: guest.token, body: { url: 'http://93.184.215.14/' } })
    expect([guestRes.status, guestRes.body.error.code]).toEqual([403, 'guest_forbidden'])
    expect((await api.get('/api/webhooks', { token: guest.token })).status).toBe(403)
    for (const [method, body] of [['post', { url: 'http://93.184.215.14/' }], ['get', undefined]] as const) {
      const res = await api[method](base, { token: member.token, body })
      expect([res.status, res.body.error.code]).toEqual([403, 'forbidden'])
    }
    const key = await api.post('/api/api-keys', { token, body: { name: 'script', scope: 'write' } })
    expect(key.status).toBe(201)
    const mine = await api.post(base, { token, body: { url: 'http://93.184.215.14/' } })
    for (const [method, path] of [
      ['get', '/api/webhooks'],
      ['post', '/api/webhooks'],
      ['get', base],
      ['post', base],
      ['patch', `${base}/${mine.body.webhook.id}`],
      ['del', `${base}/${mine.body.webhook.id}`],
      ['get', `${base}/${mine.body.webhook.id}/deliveries`],
      ['post', `${base}/${mine.body.webhook.id}/test`],
    ] as const) {
      const res = await api[method](path, { token: key.body.secret, body: method === 'get' || method === 'del' ? undefined : { url: 'http://93.184.215.14/' } })
      expect([path, res.status, res.body.error.code]).toEqual([path, 403, 'api_key_forbidden'])
    }
    expect((await api.get(base, { token })).body.webhooks).toHaveLength(1)
  })

  it("keeps other people's webhooks, and a board's under another board, out of reach", async () => {
    const a = await proOwner()
    const b = await proOwner()
    const other = await createBoard(api, a.token, 'Other')
    const hook = await api.post(`/api/boards/${a.board.id}/webhooks`, { token: a.token, body: { url: 'http://93.184.215.14/' } })
    const id = hook.body.webhook.id as string
    for (const path of [`/api/webhooks/${id}`, `/api/boards/${other.id}/webhooks/${id}`]) {
      expect((await api.patch(path, { token: a.token, body: { enabled: false } })).status).toBe(404)
    }
    for (const [path, status] of [
      [`/api/webhooks/${id}`, 404],
      [`/api/boards/${a.board.id}/webhooks/${id}`, 403],
      [`/api/boards/${b.board.id}/webhooks/${id}`, 404],
    ] as const) {
      expect([path, (await api.del(path, { token: b.token })).status]).toEqual([path, status])
      expect([path, (await api.get(`${path}/deliveries`, { token: b.token })).status]).toEqual([path, status])
    }
    expect((await api.get(`/api/boards/${a.board.id}/webhooks`, { token: a.token })).body.webhooks).toHaveLength(1)
  })

  it('answers bad input in the contract format', async () => {
    const { token, board } = await proOwner()
    const base = `/api/boards/${board.id}/webhooks`
    for (const body of [{}, { url: 'http://93.184.215.14/', events: ['board.exploded'] }, { url: 'http://93.184.215.14/', events: [] }, { url: 'http://93.184.215.14/', secret: 'mine' }, { url: 42 }]) {
      const res = await api.post(base, { token, body })
      expect([JSON.stringify(body), res.status, res.body.error.code]).toEqual([JSON.stringify(body), 400, 'invalid_request'])
    }
    const bad = await api.post(base, { token, rawBody: '{"url": ' })
    expect(bad.status).toBe(400)
    expect(Object.keys(bad.body.error)).toEqual(['code', 'message'])
    expect((await api.post('/api/boards/nope/webhooks', { token, body: { url: 'http://93.184.215.14/' } })).status).toBe(404)
    expect((await api.get('/api/webhooks')).status).toBe(401)
  })
})

describe('logs', () => {
  it('never hold a webhook secret, at trace level, through creation and delivery', async () => {
    const receiver = await startReceiver()
    const { running, lines, stop } = await startLoggedServer({ WEBHOOK_ALLOW_PRIVATE: '127.0.0.1', WEBHOOK_RETRY_DELAYS: '50ms' }, 'trace')
    try {
      const http = apiClient(running.url)
      const { user, token } = await registerUser(http)
      await makePro(http, user.id)
      const board = await createBoard(http, token)
      receiver.answer({ status: 500 })
      const created = await http.post(`/api/boards/${board.id}/webhooks`, { token, body: { url: `${receiver.url}/h` } })
      expect(created.status).toBe(201)
      expect((await http.post(`/api/boards/${board.id}/webhooks/${created.body.webhook.id}/test`, { token })).status).toBe(202)
      await waitFor(() => receiver.received.length === 2)
      expect(lines.length).toBeGreaterThan(0)
      const all = lines.join('\n')
      const secret = created.body.secret as string
      expect(all).not.toContain(secret.slice(6))
      expect(all).not.toContain(secret.slice(6, 30))
      // Nor the signatures made with it.
      for (const r of receiver.received) expect(all).not.toContain(String(r.headers['webhook-signature']).slice(3))
    } finally {
      await stop()
      await receiver.close()
    }
  })
})
