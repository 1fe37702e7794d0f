// Personal API keys, used and attacked: made only by signed-in users, shown
// once, stored hashed, limited to read or write and to some boards on HTTP,
// /collab and socket.io alike, revoked at once (live connections included),
// never able to manage keys or the account, and never in a log line.
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { apiKeys } from '../src/store/schema.js'
import { apiClient, registerUser } from './helpers/api.js'
import { RawClient, waitFor } from './helpers/collab.js'
import { createBoard, createInvite, joinAsGuest } from './helpers/fixtures.js'
import { connectError, eventSocket } from './helpers/sockets.js'
import { useServer } from './helpers/suite.js'
import { startLoggedServer } from './helpers/logged-server.js'

const suite = useServer()
const { api } = suite

async function makeKey(token: string, body: { name?: string; scope: 'read' | 'write'; boards?: string[] | null }) {
  const res = await api.post('/api/api-keys', { token, body: { name: 'script', ...body } })
  if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body as { key: { id: string; name: string; scope: string; boards: string[] | null; createdAt: string; lastUsedAt: string | null }; secret: string }
}

/** A user with two boards (one with a shape on it). */
async function owner() {
  const { user, token } = await registerUser(api, 'Key Owner')
  const board = await createBoard(api, token, 'Reached')
  const other = await createBoard(api, token, 'Not reached')
  return { user, token, board, other }
}

/** How /collab answers a credential: the welcome (role) when it lets it in, else the close code. */
async function collabAnswer(boardId: string, token: string): Promise<{ role: string } | number> {
  const c = suite.track(await RawClient.connect(suite.server.url, boardId, token))
  await c.until(() => c.ext.some((e) => e.kind === 'welcome') || c.closeCode !== null)
  const welcome = c.ext.find((e) => e.kind === 'welcome')
  return welcome?.kind === 'welcome' ? { role: welcome.role } : c.closeCode!
}

describe('managing keys', () => {
  it('shows the secret once, lists keys without it, and stores only a hash', async () => {
    const { token, board } = await owner()
    const created = await makeKey(token, { name: 'CI export', scope: 'read', boards: [board.id] })
    expect(created.secret).toMatch(/^dbk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
    expect(created.key).toMatchObject({ name: 'CI export', scope: 'read', boards: [board.id], lastUsedAt: null })
    const listed = await api.get('/api/api-keys', { token })
    expect(listed.status).toBe(200)
    expect(listed.body.keys).toEqual([created.key])
    const secretPart = created.secret.split('_').slice(2).join('_')
    expect(JSON.stringify(listed.body)).not.toContain(secretPart)
    const rows = await suite.server.store.db.select().from(apiKeys).where(eq(apiKeys.id, created.key.id))
    expect(rows).toHaveLength(1)
    expect(rows[0]!.secretHash).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(rows)).not.toContain(secretPart)
  })

  it('refuses guests (403 guest_forbidden)', async () => {
    const { token, board } = await owner()
    const guest = await joinAsGuest(api, (await createInvite(api, token, board.id, 'editor')).token)
    const res = await api.post('/api/api-keys', { token: guest.token, body: { name: 'mine', scope: 'write' } })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('guest_forbidden')
    expect((await api.get('/api/api-keys', { token: guest.token })).body.error.code).toBe('guest_forbidden')
  })

  it('refuses a key managing keys, the password or sign-outs (403 api_key_forbidden)', async () => {
    const { token } = await owner()
    const { key, secret } = await makeKey(token, { scope: 'write' })
    const attempts = [
      api.post('/api/api-keys', { token: secret, body: { name: 'minted', scope: 'write' } }),
      api.get('/api/api-keys', { token: secret }),
      api.del(`/api/api-keys/${key.id}`, { token: secret }),
      api.post('/api/auth/password', { token: secret, body: { currentPassword: 'correct horse', newPassword: 'stolen horse' } }),
      api.post('/api/auth/logout-all', { token: secret }),
    ]
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe('api_key_forbidden')
    }
    expect((await api.get('/api/api-keys', { token })).body.keys).toHaveLength(1)
    expect((await api.get('/api/me', { token: secret })).status).toBe(200)
  })

  it('checks names, scopes and boards (a board the user cannot reach is refused)', async () => {
    const { token, board } = await owner()
    const stranger = await registerUser(api, 'Stranger')
    const foreign = await createBoard(api, stranger.token)
    const bad = async (body: unknown, status: number) => {
      const res = await api.post('/api/api-keys', { token, body })
      expect(res.status, JSON.stringify(body)).toBe(status)
      expect(res.body.error.code).toBe(status === 400 ? 'invalid_request' : 'forbidden')
    }
    await bad({ name: 'x', scope: 'admin' }, 400)
    await bad({ name: '', scope: 'read' }, 400)
    await bad({ name: 'x', scope: 'read', boards: [] }, 400)
    await bad({ name: 'x', scope: 'read', boards: [board.id, foreign.id] }, 403)
    await bad({ name: 'x', scope: 'read', boards: ['no-such-board'] }, 403)
    const raw = await api.post('/api/api-keys', { token, rawBody: '{"name": "x", "scope":' })
    expect(raw.status).toBe(400)
    expect(raw.body.error.code).toBe('invalid_request')
  })

  it("revokes only the user's own keys", async () => {
    const { token } = await owner()
    const other = await registerUser(api, 'Other')
    const { key, secret } = await makeKey(token, { scope: 'read' })
    expect((await api.del(`/api/api-keys/${key.id}`, { token: other.token })).status).toBe(404)
    expect((await api.get('/api/me', { token: secret })).status).toBe(200)
    expect((await api.del(`/api/api-keys/${key.id}`, { token })).status).toBe(204)
    expect((await api.del(`/api/api-keys/${key.id}`, { token })).status).toBe(404)
    expect((await api.get('/api/api-keys', { token })).body.keys).toEqual([])
  })
})

describe('a write key', () => {
  it('acts as its user on HTTP, /collab and socket.io, and records when it was used', async () => {
    const { user, token, board } = await owner()
    const { key, secret } = await makeKey(token, { scope: 'write' })
    const me = await api.get('/api/me', { token: secret })
    expect(me.body.principal).toMatchObject({ kind: 'user', id: user.id })
    expect((await api.patch(`/api/boards/${board.id}`, { token: secret, body: { title: 'Renamed by script' } })).status).toBe(200)
    expect((await api.post('/api/boards', { token: secret, body: { title: 'Made by script' } })).status).toBe(201)
    expect(await collabAnswer(board.id, secret)).toEqual({ role: 'owner' })
    const writer = suite.provider(board.id, secret)
    const reader = suite.provider(board.id, token)
    await Promise.all([writer.synced(), reader.synced()])
    writer.doc.getMap('shapes').set('from-key', new Y.Map())
    await waitFor(() => reader.doc.getMap('shapes').has('from-key'))
    await suite.events(secret, board.id)
    const listed = (await api.get('/api/api-keys', { token })).body.keys as { id: string; lastUsedAt: string | null }[]
    const used = listed.find((k) => k.id === key.id)!.lastUsedAt
    expect(used).not.toBeNull()
    expect(Date.parse(used!)).toBeGreaterThanOrEqual(Date.parse(key.createdAt))
  })
})

describe('a read key', () => {
  it('reads but changes nothing over HTTP (403 on every write route)', async () => {
    const { token, board } = await owner()
    const { secret } = await makeKey(token, { scope: 'read' })
    expect((await api.get(`/api/boards/${board.id}`, { token: secret })).status).toBe(200)
    expect((await api.get('/api/boards', { token: secret })).status).toBe(200)
    const writes = [
      api.patch(`/api/boards/${board.id}`, { token: secret, body: { title: 'Hijacked' } }),
      api.del(`/api/boards/${board.id}`, { token: secret }),
      api.post(`/api/boards/${board.id}/invites`, { token: secret, body: { role: 'editor' } }),
      api.post(`/api/boards/${board.id}/comments`, { token: secret, body: { body: 'hi', anchor: { x: 0, y: 0 } } }),
      api.post('/api/boards', { token: secret, body: { title: 'New' } }),
    ]
    for (const res of await Promise.all(writes)) {
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe('forbidden')
    }
    expect((await api.get(`/api/boards/${board.id}`, { token })).body.board.title).toBe('Reached')
  })

  it('joins /collab as a Reader: a crafted update is refused (4422 read_only) and not stored', async () => {
    const { token, board } = await owner()
    const { secret } = await makeKey(token, { scope: 'read' })
    const editor = suite.provider(board.id, token)
    const observer = suite.provider(board.id, token)
    await Promise.all([editor.synced(), observer.synced()])
    const raw = suite.track(await RawClient.connect(suite.server.url, board.id, secret))
    const welcome = await raw.until(() => raw.ext.find((e) => e.kind === 'welcome'))
    expect(welcome).toMatchObject({ role: 'reader' })
    await raw.syncWithServer()
    const doc = raw.docFromServer()
    const before = Y.encodeStateVector(doc)
    doc.getMap('shapes').set('forged', new Y.Map())
    raw.sendUpdate(Y.encodeStateAsUpdate(doc, before))
    expect(await raw.waitClose()).toBe(4422)
    expect(raw.ext.find((e) => e.kind === 'refused')).toMatchObject({ reason: 'read_only' })
    // A write after it reaches the observer: had the forged one been accepted, it would have come first.
    editor.doc.getMap('meta').set('barrier', 1)
    await waitFor(() => observer.doc.getMap('meta').get('barrier') === 1)
    expect(observer.doc.getMap('shapes').has('forged')).toBe(false)
    const fresh = suite.provider(board.id, token)
    await fresh.synced()
    expect(fresh.doc.getMap('meta').get('barrier')).toBe(1)
    expect(fresh.doc.getMap('shapes').has('forged')).toBe(false)
  })
})

describe('a key limited to some boards', () => {
  it('refuses every other board on HTTP, /collab and socket.io, and lists only its boards', async () => {
    const { token, board, other } = await owner()
    const { secret } = await makeKey(token, { scope: 'write', boards: [board.id] })
    const stranger = await registerUser(api, 'Stranger')
    const invite = await createInvite(api, stranger.token, (await createBoard(api, stranger.token)).id, 'editor')
    expect((await api.get(`/api/boards/${board.id}`, { token: secret })).status).toBe(200)
    expect((await api.patch(`/api/boards/${board.id}`, { token: secret, body: { title: 'Still reached' } })).status).toBe(200)
    for (const res of [
      await api.get(`/api/boards/${other.id}`, { token: secret }),
      await api.patch(`/api/boards/${other.id}`, { token: secret, body: { title: 'Reached anyway' } }),
      await api.post('/api/boards', { token: secret, body: { title: 'Outside the list' } }),
      await api.post(`/api/boards/${board.id}/duplicate`, { token: secret }),
      await api.post(`/api/invites/${invite.token}/join`, { token: secret }),
    ]) {
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe('forbidden')
    }
    expect((await api.get('/api/boards', { token: secret })).body.boards.map((b: { id: string }) => b.id)).toEqual([board.id])
    expect(await collabAnswer(board.id, secret)).toEqual({ role: 'owner' })
    expect(await collabAnswer(other.id, secret)).toBe(4403)
    const socket = await suite.events(secret)
    expect(await socket.subscribe(board.id)).toEqual({ ok: true })
    expect(await socket.subscribe(other.id)).toMatchObject({ error: { code: 'forbidden' } })
  })
})

describe('a key limited to some boards and notifications', () => {
  it('hears no notifications, live or listed: they are about every board of its user', async () => {
    const { token, board, other } = await owner()
    const { secret } = await makeKey(token, { scope: 'write', boards: [board.id] })
    expect((await api.get('/api/notifications', { token: secret })).status).toBe(403)
    expect((await api.post('/api/notifications/read', { token: secret, body: { all: true } })).status).toBe(403)
    // An unlimited key still hears them, as the user's own token does.
    const { secret: everywhere } = await makeKey(token, { scope: 'read' })
    expect((await api.get('/api/notifications', { token: everywhere })).status).toBe(200)
    const limitedSocket = await suite.events(secret)
    const userSocket = await suite.events(token)
    const guest = await joinAsGuest(api, (await createInvite(api, token, other.id, 'reviewer')).token, 'Gil')
    const thread = (await api.post(`/api/boards/${other.id}/comments`, { token, body: { anchor: { x: 0, y: 0 }, body: 'Thoughts?' } })).body.thread
    expect((await api.post(`/api/boards/${other.id}/comments/${thread.id}/replies`, { token: guest.token, body: { body: 'About the other board' } })).status).toBe(201)
    expect(await userSocket.next('notification', (n) => n.type === 'reply')).toMatchObject({ boardId: other.id })
    // Sent to both at once: by now the limited key's socket would have it.
    await expect(limitedSocket.next('notification', undefined, 300)).rejects.toThrow()
  })
})

describe('forged and revoked keys', () => {
  it('refuses a key with the right prefix and a wrong secret, an unknown id, or a bad shape (401, 4401, socket.io)', async () => {
    const { token, board } = await owner()
    const { key, secret } = await makeKey(token, { scope: 'write' })
    const last = secret.at(-1) === 'A' ? 'B' : 'A'
    const forged = [
      secret.slice(0, -1) + last,
      `dbk_${key.id}_${'A'.repeat(43)}`,
      `dbk_${'0'.repeat(16)}_${secret.slice(-43)}`,
      `dbk_${key.id}`,
      secret + 'x',
    ]
    for (const t of forged) {
      const res = await api.get('/api/me', { token: t })
      expect(res.status, t).toBe(401)
      expect(res.body.error.code).toBe('unauthenticated')
      expect(await collabAnswer(board.id, t)).toBe(4401)
      expect((await connectError(suite.server.url, t))?.message).toBe('unauthenticated')
    }
    expect((await api.get('/api/api-keys', { token })).body.keys[0].lastUsedAt).toBeNull()
  })

  it('stops working at once when revoked, closing its live /collab and socket.io connections', async () => {
    const { token, board } = await owner()
    const { key, secret } = await makeKey(token, { scope: 'write' })
    const kept = await makeKey(token, { scope: 'write' })
    const provider = suite.provider(board.id, secret)
    const bystander = suite.provider(board.id, kept.secret)
    const signedIn = suite.provider(board.id, token)
    await Promise.all([provider.synced(), bystander.synced(), signedIn.synced()])
    const socket = await suite.events(secret, board.id)
    const socketGone = new Promise((resolve) => socket.once('disconnect', resolve))
    expect((await api.del(`/api/api-keys/${key.id}`, { token })).status).toBe(204)
    expect(await provider.closed()).toBe(4401)
    await socketGone
    const res = await api.get('/api/me', { token: secret })
    expect(res.status).toBe(401)
    expect(await collabAnswer(board.id, secret)).toBe(4401)
    expect((await connectError(suite.server.url, secret))?.message).toBe('unauthenticated')
    // Only that key: the user's token and other keys stay.
    expect(bystander.closes).toEqual([])
    expect(signedIn.closes).toEqual([])
  })

  it('survive a password change and "sign out everywhere", live connections included', async () => {
    const { token, board } = await owner()
    const { secret } = await makeKey(token, { scope: 'write' })
    const byKey = suite.provider(board.id, secret)
    const byToken = suite.provider(board.id, token)
    await Promise.all([byKey.synced(), byToken.synced()])
    const changed = await api.post('/api/auth/password', { token, body: { currentPassword: 'correct horse', newPassword: 'another horse' } })
    expect(changed.status).toBe(200)
    // The same signal closed the token's connection; the key's was judged then too.
    expect(await byToken.closed()).toBe(4401)
    expect(byKey.closes).toEqual([])
    expect((await api.post('/api/auth/logout-all', { token: changed.body.token })).status).toBe(204)
    expect((await api.get('/api/me', { token: changed.body.token })).status).toBe(401)
    expect((await api.get('/api/me', { token: secret })).status).toBe(200)
    expect(await collabAnswer(board.id, secret)).toEqual({ role: 'owner' })
    expect(byKey.closes).toEqual([])
  })
})

describe('logs', () => {
  it('never hold a key secret, at trace level, whatever the key does', async () => {
    const { running, lines, stop } = await startLoggedServer({}, 'trace')
    try {
      const http = apiClient(running.url)
      const { token } = await registerUser(http)
      const board = await createBoard(http, token)
      const created = await http.post('/api/api-keys', { token, body: { name: 'logged', scope: 'read' } })
      const secret = created.body.secret as string
      expect((await http.get('/api/me', { token: secret })).status).toBe(200)
      expect((await http.patch(`/api/boards/${board.id}`, { token: secret, body: { title: 'no' } })).status).toBe(403)
      expect((await http.get('/api/me', { token: `${secret.slice(0, 21)}${'A'.repeat(43)}` })).status).toBe(401)
      const raw = await RawClient.connect(running.url, board.id, secret)
      await raw.until(() => raw.ext.find((e) => e.kind === 'welcome'))
      const socket = await eventSocket(running.url, secret)
      socket.disconnect()
      expect((await http.del(`/api/api-keys/${created.body.key.id}`, { token })).status).toBe(204)
      await raw.waitClose()
      expect(lines.length).toBeGreaterThan(0)
      const all = lines.join('\n')
      expect(all).not.toContain(secret.slice(21))
      expect(all).not.toContain(secret.slice(0, 30))
    } finally {
      await stop()
    }
  })
})
