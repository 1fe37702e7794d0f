import { describe, expect, it } from 'vitest'
import { registerUser } from './helpers/api.js'
import { createBoard, createInvite, joinAsGuest, joinAsMember, makePro } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'


const suite = useServer({ OWNERLESS_TTL: '2h' })
const { api } = suite

describe('boards', () => {
  it('creates, lists, gets, patches and deletes', async () => {
    const { token, user } = await registerUser(api)
    const created = await api.post('/api/boards', { token, body: { title: '  Roadmap ' } })
    expect(created.status).toBe(201)
    const board = created.body.board
    expect(board).toMatchObject({
      title: 'Roadmap',
      ownerId: user.id,
      ownerless: false,
      expiresAt: null,
      accessMode: 'link',
      locked: false,
      archived: false,
      tier: 'free',
      myRole: 'owner',
    })
    expect(new Date(board.createdAt).toISOString()).toBe(board.createdAt)

    const list = await api.get('/api/boards', { token })
    expect(list.status).toBe(200)
    expect(list.body.boards.map((b: any) => b.id)).toContain(board.id)

    expect((await api.get(`/api/boards/${board.id}`, { token })).body.board).toEqual(board)

    const patched = await api.patch(`/api/boards/${board.id}`, {
      token,
      body: { title: 'Roadmap 2', accessMode: 'specific_users', locked: true, archived: true },
    })
    expect(patched.status).toBe(200)
    expect(patched.body.board).toMatchObject({ title: 'Roadmap 2', accessMode: 'specific_users', locked: true, archived: true })

    expect((await api.del(`/api/boards/${board.id}`, { token })).status).toBe(204)
    expect((await api.get(`/api/boards/${board.id}`, { token })).status).toBe(404)
    expect((await api.del(`/api/boards/${board.id}`, { token })).status).toBe(404)
  })

  it('derives tier from the owner plan', async () => {
    const { token, user } = await registerUser(api)
    const board = await createBoard(api, token)
    expect(board.tier).toBe('free')
    await makePro(api, user.id)
    expect((await api.get(`/api/boards/${board.id}`, { token })).body.board.tier).toBe('pro')
  })

  it('lists boards the user is a member of, with their role', async () => {
    const owner = await registerUser(api)
    const board = await createBoard(api, owner.token)
    const link = await createInvite(api, owner.token, board.id, 'reviewer')
    const member = await joinAsMember(api, link.token, 'M')
    const list = await api.get('/api/boards', { token: member.token })
    expect(list.body.boards).toEqual([expect.objectContaining({ id: board.id, myRole: 'reviewer' })])
  })

  it('validates titles', async () => {
    const { token } = await registerUser(api)
    for (const title of ['', '   ', 'x'.repeat(201), 'a\u0000b']) {
      const res = await api.post('/api/boards', { token, body: { title } })
      expect(res.status, JSON.stringify(title)).toBe(400)
      expect(res.body.error.message).toContain('title')
    }
  })

  it('answers 401 without a token, 404 for a missing board, 403 for a stranger', async () => {
    const owner = await registerUser(api)
    const stranger = await registerUser(api)
    const board = await createBoard(api, owner.token)
    expect((await api.get(`/api/boards/${board.id}`)).status).toBe(401)
    expect((await api.get('/api/boards')).status).toBe(401)
    expect((await api.get('/api/boards/does-not-exist', { token: owner.token })).status).toBe(404)
    const res = await api.get(`/api/boards/${board.id}`, { token: stranger.token })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('forbidden')
    expect((await api.patch(`/api/boards/${board.id}`, { token: stranger.token, body: { title: 'x' } })).status).toBe(403)
    expect((await api.del(`/api/boards/${board.id}`, { token: stranger.token })).status).toBe(403)
  })

  it('lets member editors rename only, and keeps the rest to the owner', async () => {
    const owner = await registerUser(api)
    const board = await createBoard(api, owner.token)
    const editor = await joinAsMember(api, (await createInvite(api, owner.token, board.id, 'editor')).token, 'E')
    const renamed = await api.patch(`/api/boards/${board.id}`, { token: editor.token, body: { title: 'By editor' } })
    expect(renamed.status).toBe(200)
    expect(renamed.body.board.myRole).toBe('editor')
    for (const body of [{ locked: true }, { archived: true }, { accessMode: 'specific_users' }]) {
      const res = await api.patch(`/api/boards/${board.id}`, { token: editor.token, body })
      expect(res.status, JSON.stringify(body)).toBe(403)
      expect(res.body.error.code).toBe('forbidden')
    }
    expect((await api.del(`/api/boards/${board.id}`, { token: editor.token })).status).toBe(403)
  })
})

describe('guest-created boards', () => {
  it('creates an ownerless temporary board with a guest editor', async () => {
    const before = Date.now()
    const res = await api.post('/api/boards', { body: { guestName: '  Gus  ', title: 'Sketch' } })
    expect(res.status).toBe(201)
    const { board, guest, token } = res.body
    expect(board).toMatchObject({ title: 'Sketch (temporary)', ownerId: null, ownerless: true, tier: 'free', myRole: 'editor' })
    const expires = Date.parse(board.expiresAt)
    expect(expires).toBeGreaterThanOrEqual(before + 2 * 3600_000 - 1000)
    expect(expires).toBeLessThanOrEqual(Date.now() + 2 * 3600_000 + 1000)
    expect(guest).toEqual({ id: expect.any(String), name: 'Gus', role: 'editor', boardId: board.id })
    const me = await api.get('/api/me', { token })
    expect(me.body.principal).toEqual({ kind: 'guest', id: guest.id, name: 'Gus', boardId: board.id, role: 'editor' })
    expect((await api.get(`/api/boards/${board.id}`, { token })).body.board.id).toBe(board.id)
  })

  it('gives an untitled temporary board a marked default title', async () => {
    const res = await api.post('/api/boards', { body: { guestName: 'Gus' } })
    expect(res.body.board.title).toBe('Untitled (temporary)')
  })

  it('refuses a board without token or guestName, and bad guest names', async () => {
    expect((await api.post('/api/boards', { body: {} })).status).toBe(401)
    for (const guestName of ['', '  ', 'x'.repeat(65), 'a\u001bb', 42]) {
      const res = await api.post('/api/boards', { body: { guestName } })
      expect(res.status, JSON.stringify(guestName)).toBe(400)
      expect(res.body.error.message).toContain('guestName')
    }
  })

  it('does not let guests create boards, rename, delete or change settings', async () => {
    const { board, token } = (await api.post('/api/boards', { body: { guestName: 'Gus' } })).body
    const created = await api.post('/api/boards', { token, body: { title: 'more' } })
    expect(created.status).toBe(403)
    expect(created.body.error.code).toBe('guest_forbidden')
    for (const body of [{ title: 'x' }, { locked: true }, { archived: true }, { accessMode: 'specific_users' }]) {
      const res = await api.patch(`/api/boards/${board.id}`, { token, body })
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe('guest_forbidden')
    }
    const del = await api.del(`/api/boards/${board.id}`, { token })
    expect(del.status).toBe(403)
    expect(del.body.error.code).toBe('guest_forbidden')
    expect((await api.get('/api/boards', { token })).body.error.code).toBe('guest_forbidden')
  })

  it('lets the creating guest share the board so a user can join', async () => {
    const { board, token } = (await api.post('/api/boards', { body: { guestName: 'Gus' } })).body
    const link = await createInvite(api, token, board.id, 'editor')
    expect(link.guestRole).toBe('reviewer')
    const member = await joinAsMember(api, link.token, 'Una')
    expect((await api.get(`/api/boards/${board.id}`, { token: member.token })).body.board.myRole).toBe('editor')
    const other = await joinAsGuest(api, link.token, 'Other guest')
    const res = await api.post(`/api/boards/${board.id}/invites`, { token: other.token, body: { role: 'reader' } })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('guest_forbidden')
  })
})
