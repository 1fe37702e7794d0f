// Comment threads and notifications: rights, stamped authors, mentions,
// stored and live notifications, hostile bodies, rate limit, lifecycle.
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { comments } from '../src/store/schema.js'
import { apiClient, registerUser } from './helpers/api.js'
import { castBoard, createBoard, createInvite, joinAsGuest, joinAsMember } from './helpers/fixtures.js'
import { startServer } from './helpers/server.js'
import { useServer } from './helpers/suite.js'

const suite = useServer({ COMMENT_RATE_LIMIT: '1000' })
const { api, events } = suite

const post = (boardId: string, token: string, body: unknown) => api.post(`/api/boards/${boardId}/comments`, { token, body })

describe('threads', () => {
  it('lets owner, editors and reviewers comment, readers only read', async () => {
    const cast = await castBoard(api)
    for (const who of [cast.owner, cast.memberEditor, cast.guestEditor, cast.memberReviewer, cast.guestReviewer]) {
      expect((await post(cast.boardId, who.token, { anchor: { x: 1, y: 2 }, body: `from ${who.name}` })).status).toBe(201)
    }
    for (const who of [cast.memberReader, cast.guestReader]) {
      const res = await post(cast.boardId, who.token, { anchor: { x: 1, y: 2 }, body: 'hi' })
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe('forbidden')
    }
    const list = await api.get(`/api/boards/${cast.boardId}/comments`, { token: cast.guestReader.token })
    expect(list.status).toBe(200)
    expect(list.body.threads).toHaveLength(5)
  })

  it('stamps the author from the token, whatever the body says', async () => {
    const cast = await castBoard(api)
    const res = await post(cast.boardId, cast.guestReviewer.token, {
      anchor: { shapeId: 'shape-1' },
      body: 'Looks good',
      author: { kind: 'user', id: cast.owner.id, name: 'Olivia Owner', guest: false },
    })
    expect(res.status).toBe(201)
    expect(res.body.thread).toMatchObject({
      anchor: { shapeId: 'shape-1' },
      author: { kind: 'guest', id: cast.guestReviewer.id, name: 'Gwen Guest-Reviewer', guest: true },
      body: 'Looks good',
      mentions: [],
      resolved: false,
      replies: [],
    })
    const reply = await api.post(`/api/boards/${cast.boardId}/comments/${res.body.thread.id}/replies`, {
      token: cast.owner.token,
      body: { body: 'Thanks', author: { name: 'Someone else' } },
    })
    expect(reply.status).toBe(201)
    expect(reply.body.reply.author).toEqual({ kind: 'user', id: cast.owner.id, name: 'Olivia Owner', guest: false })
  })

  it('resolves, edits (author or owner) and deletes (author or owner)', async () => {
    const cast = await castBoard(api)
    const t = (await post(cast.boardId, cast.memberReviewer.token, { anchor: { x: 0, y: 0 }, body: 'v1' })).body.thread
    const base = `/api/boards/${cast.boardId}/comments/${t.id}`
    expect((await api.patch(base, { token: cast.guestEditor.token, body: { resolved: true } })).body.thread.resolved).toBe(true)
    expect((await api.patch(base, { token: cast.memberEditor.token, body: { body: 'edited by editor' } })).status).toBe(403)
    expect((await api.patch(base, { token: cast.memberReviewer.token, body: { body: 'v2' } })).body.thread.body).toBe('v2')
    expect((await api.patch(base, { token: cast.owner.token, body: { body: 'moderated' } })).body.thread.body).toBe('moderated')
    const r = (await api.post(`${base}/replies`, { token: cast.guestEditor.token, body: { body: 'reply' } })).body.reply
    expect((await api.patch(`${base}/replies/${r.id}`, { token: cast.memberReviewer.token, body: { body: 'x' } })).status).toBe(403)
    expect((await api.patch(`${base}/replies/${r.id}`, { token: cast.guestEditor.token, body: { body: 'reply 2' } })).body.reply.body).toBe('reply 2')
    expect((await api.del(`${base}/replies/${r.id}`, { token: cast.memberEditor.token })).status).toBe(403)
    expect((await api.del(`${base}/replies/${r.id}`, { token: cast.owner.token })).status).toBe(204)
    expect((await api.del(base, { token: cast.memberReviewer.token })).status).toBe(204)
    expect((await api.get(`/api/boards/${cast.boardId}/comments`, { token: cast.owner.token })).body.threads).toEqual([])
    expect((await api.patch(base, { token: cast.owner.token, body: { resolved: false } })).status).toBe(404)
    expect((await api.post(`${base}/replies`, { token: cast.owner.token, body: { body: 'late' } })).status).toBe(404)
  })

  it('allows comments on a locked board, not on an archived one', async () => {
    const cast = await castBoard(api)
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { locked: true } })
    expect((await post(cast.boardId, cast.guestReviewer.token, { anchor: { x: 0, y: 0 }, body: 'still ok' })).status).toBe(201)
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { locked: false, archived: true } })
    expect((await post(cast.boardId, cast.owner.token, { anchor: { x: 0, y: 0 }, body: 'no' })).status).toBe(403)
  })
})

describe('hostile input', () => {
  it('stores HTML as plain text and refuses control characters and over-long bodies', async () => {
    const cast = await castBoard(api)
    const html = '<img src=x onerror=alert(1)><script>alert(2)</script>'
    const ok = await post(cast.boardId, cast.memberEditor.token, { anchor: { x: 0, y: 0 }, body: html })
    expect(ok.body.thread.body).toBe(html)
    expect((await post(cast.boardId, cast.memberEditor.token, { anchor: { x: 0, y: 0 }, body: 'tabs\tand\nnewlines' })).status).toBe(201)
    for (const body of ['bell\u0007', 'nul\u0000', 'esc\u001b[31m', '', '   ', 'x'.repeat(10_001), 42]) {
      const res = await post(cast.boardId, cast.memberEditor.token, { anchor: { x: 0, y: 0 }, body })
      expect(res.status, JSON.stringify(body).slice(0, 30)).toBe(400)
      expect(res.body.error.message).toContain('body')
    }
    expect((await post(cast.boardId, cast.memberEditor.token, { anchor: { x: 0, y: 0 }, body: 'x'.repeat(10_000) })).status).toBe(201)
    for (const anchor of [{}, { x: 'a', y: 1 }, { shapeId: '' }, { x: 1 }, null]) {
      expect((await post(cast.boardId, cast.memberEditor.token, { anchor, body: 'a' })).status).toBe(400)
    }
  })

  it('rate-limits comment creation per principal with 429', async () => {
    const limited = await startServer({ COMMENT_RATE_LIMIT: '5' })
    try {
      const a = apiClient(limited.url)
      const cast = await castBoard(a)
      for (let i = 0; i < 5; i++) expect((await a.post(`/api/boards/${cast.boardId}/comments`, { token: cast.guestReviewer.token, body: { anchor: { x: 0, y: 0 }, body: `c${i}` } })).status).toBe(201)
      const res = await a.post(`/api/boards/${cast.boardId}/comments`, { token: cast.guestReviewer.token, body: { anchor: { x: 0, y: 0 }, body: 'too many' } })
      expect(res.status).toBe(429)
      expect(res.body.error.code).toBe('rate_limited')
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      // Another principal is not affected.
      expect((await a.post(`/api/boards/${cast.boardId}/comments`, { token: cast.owner.token, body: { anchor: { x: 0, y: 0 }, body: 'fine' } })).status).toBe(201)
    } finally {
      await limited.stop()
    }
  })
})

describe('mentions and notifications', () => {
  it('mentions members only; guests may not mention; strangers may not be mentioned', async () => {
    const cast = await castBoard(api)
    const stranger = await registerUser(api, 'Nobody')
    const byGuest = await post(cast.boardId, cast.guestEditor.token, { anchor: { x: 0, y: 0 }, body: `@[Eve](user:${cast.memberEditor.id})` })
    expect(byGuest.status).toBe(403)
    expect(byGuest.body.error.code).toBe('guest_forbidden')
    const outsider = await post(cast.boardId, cast.owner.token, { anchor: { x: 0, y: 0 }, body: `hey @[Nobody](user:${stranger.user.id})` })
    expect(outsider.status).toBe(400)
    const guestMention = await post(cast.boardId, cast.owner.token, { anchor: { x: 0, y: 0 }, body: `@[G](user:${cast.guestEditor.id})` })
    expect(guestMention.status).toBe(400)
    const ok = await post(cast.boardId, cast.owner.token, { anchor: { x: 0, y: 0 }, body: `ping @[Eve](user:${cast.memberEditor.id})` })
    expect(ok.status).toBe(201)
    expect(ok.body.thread.mentions).toEqual([cast.memberEditor.id])
    const inbox = await api.get('/api/notifications', { token: cast.memberEditor.token })
    expect(inbox.body.notifications[0]).toMatchObject({ type: 'mention', boardId: cast.boardId, read: false, data: { threadId: ok.body.thread.id, from: 'Olivia Owner' } })
  })

  it('a reviewer guest and the owner converse live; the owner is notified of replies, the guest is not', async () => {
    const owner = await registerUser(api, 'Owen')
    const board = await createBoard(api, owner.token, 'Review')
    const guest = await joinAsGuest(api, (await createInvite(api, owner.token, board.id, 'reviewer')).token, 'Rhea')
    const ownerSocket = await events(owner.token, board.id)
    const guestSocket = await events(guest.token, board.id)
    const t = (await post(board.id, owner.token, { anchor: { x: 10, y: 20 }, body: 'What do you think?' })).body.thread
    expect((await guestSocket.next('comment:created')).thread.id).toBe(t.id)
    const r1 = await api.post(`/api/boards/${board.id}/comments/${t.id}/replies`, { token: guest.token, body: { body: 'Love it' } })
    const seen = await ownerSocket.next('comment:updated', (p) => p.thread.replies.length === 1)
    expect(seen.thread.replies[0]).toMatchObject({ body: 'Love it', author: { kind: 'guest', name: 'Rhea', guest: true } })
    const note = await ownerSocket.next('notification', (n) => n.type === 'reply')
    expect(note).toMatchObject({ type: 'reply', boardId: board.id, read: false, data: { threadId: t.id, from: 'Rhea', excerpt: 'Love it' } })
    expect(r1.status).toBe(201)
    await api.post(`/api/boards/${board.id}/comments/${t.id}/replies`, { token: owner.token, body: { body: 'Thanks!' } })
    await guestSocket.next('comment:updated', (p) => p.thread.replies.length === 2)
    await new Promise((r) => setTimeout(r, 100))
    expect(guestSocket.received.filter(([e]) => e === 'notification')).toEqual([])
    expect((await api.get('/api/notifications', { token: guest.token })).status).toBe(403)
    const stored = (await api.get('/api/notifications', { token: owner.token })).body.notifications
    expect(stored.map((n: any) => n.type)).toEqual(['reply'])
  })

  it('notifies everyone who wrote in the thread, newest first, paginated, and marks read', async () => {
    const cast = await castBoard(api)
    const t = (await post(cast.boardId, cast.memberEditor.token, { anchor: { x: 0, y: 0 }, body: 'start' })).body.thread
    const reply = (token: string, body: string) => api.post(`/api/boards/${cast.boardId}/comments/${t.id}/replies`, { token, body: { body } })
    await reply(cast.memberReviewer.token, 'one')
    await reply(cast.owner.token, 'two')
    await reply(cast.guestReviewer.token, 'three')
    const editorInbox = (await api.get('/api/notifications?limit=2', { token: cast.memberEditor.token })).body
    expect(editorInbox.notifications.map((n: any) => n.data.excerpt)).toEqual(['three', 'two'])
    const rest = (await api.get(`/api/notifications?limit=2&cursor=${editorInbox.nextCursor}`, { token: cast.memberEditor.token })).body
    expect(rest.notifications.map((n: any) => n.data.excerpt)).toEqual(['one'])
    expect(rest.nextCursor).toBeNull()
    const reviewerInbox = (await api.get('/api/notifications', { token: cast.memberReviewer.token })).body.notifications
    expect(reviewerInbox.map((n: any) => n.data.excerpt)).toEqual(['three', 'two'])
    const read = await api.post('/api/notifications/read', { token: cast.memberEditor.token, body: { ids: [editorInbox.notifications[0].id] } })
    expect(read.body).toEqual({ updated: 1 })
    const after = (await api.get('/api/notifications', { token: cast.memberEditor.token })).body.notifications
    expect(after.map((n: any) => n.read)).toEqual([true, false, false])
    expect((await api.post('/api/notifications/read', { token: cast.memberEditor.token, body: { all: true } })).body).toEqual({ updated: 2 })
    expect((await api.post('/api/notifications/read', { token: cast.memberEditor.token, body: { all: false } })).status).toBe(400)
  })
})

describe('lifecycle', () => {
  it('comments go with their board', async () => {
    const cast = await castBoard(api)
    await post(cast.boardId, cast.owner.token, { anchor: { x: 0, y: 0 }, body: 'doomed' })
    await api.del(`/api/boards/${cast.boardId}`, { token: cast.owner.token })
    expect(await suite.server.store.db.select().from(comments).where(eq(comments.boardId, cast.boardId))).toEqual([])
  })

  it('notifies a mentioned member who joined by link', async () => {
    const owner = await registerUser(api, 'Owner')
    const board = await createBoard(api, owner.token)
    const m = await joinAsMember(api, (await createInvite(api, owner.token, board.id, 'reader')).token, 'Mia')
    const live = await events(m.token)
    await post(board.id, owner.token, { anchor: { x: 0, y: 0 }, body: `@[Mia](user:${m.id}) have a look` })
    expect(await live.next('notification')).toMatchObject({ type: 'mention', boardId: board.id })
  })
})
