import { describe, expect, it } from 'vitest'
import { registerUser } from './helpers/api.js'
import { castBoard, createBoard, createInvite, joinAsGuest, joinAsMember } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'


const suite = useServer()
const { api } = suite

describe('participants', () => {
  it('lists the owner, members and guests with roles', async () => {
    const cast = await castBoard(api)
    const res = await api.get(`/api/boards/${cast.boardId}/participants`, { token: cast.guestReader.token })
    expect(res.status).toBe(200)
    const byName = Object.fromEntries(res.body.participants.map((p: any) => [p.name, p]))
    expect(byName['Olivia Owner']).toEqual({ kind: 'user', id: cast.owner.id, name: 'Olivia Owner', role: 'owner', guest: false, online: false })
    expect(byName['Eve Editor']).toMatchObject({ kind: 'user', role: 'editor', guest: false })
    expect(byName['Gail Guest-Editor']).toMatchObject({ kind: 'guest', id: cast.guestEditor.id, role: 'editor', guest: true })
    expect(byName['Greg Guest-Reader']).toMatchObject({ kind: 'guest', role: 'reader', guest: true })
    expect(res.body.participants).toHaveLength(7)
    expect(res.body.participants[0].role).toBe('owner')
  })

  it('changes roles of members and guests', async () => {
    const cast = await castBoard(api)
    const base = `/api/boards/${cast.boardId}/participants`
    const up = await api.patch(`${base}/user/${cast.memberReader.id}`, { token: cast.owner.token, body: { role: 'editor' } })
    expect(up.status).toBe(200)
    expect(up.body.participant).toMatchObject({ kind: 'user', id: cast.memberReader.id, role: 'editor' })
    expect((await api.get(`/api/boards/${cast.boardId}`, { token: cast.memberReader.token })).body.board.myRole).toBe('editor')
    const g = await api.patch(`${base}/guest/${cast.guestEditor.id}`, { token: cast.memberEditor.token, body: { role: 'reader' } })
    expect(g.status).toBe(200)
    expect(g.body.participant.role).toBe('reader')
    expect((await api.get('/api/me', { token: cast.guestEditor.token })).body.principal.role).toBe('reader')
  })

  it('caps guest promotions by the tier', async () => {
    const owner = await registerUser(api)
    const board = await createBoard(api, owner.token)
    const guest = await joinAsGuest(api, (await createInvite(api, owner.token, board.id, 'reader')).token)
    const res = await api.patch(`/api/boards/${board.id}/participants/guest/${guest.id}`, { token: owner.token, body: { role: 'editor' } })
    expect(res.status).toBe(200)
    expect(res.body.participant.role).toBe('reviewer')
  })

  it('answers 400, 403 and 404 where it should', async () => {
    const cast = await castBoard(api)
    const base = `/api/boards/${cast.boardId}/participants`
    expect((await api.patch(`${base}/user/${cast.memberReader.id}`, { token: cast.owner.token, body: { role: 'owner' } })).status).toBe(400)
    expect((await api.patch(`${base}/robot/${cast.memberReader.id}`, { token: cast.owner.token, body: { role: 'reader' } })).status).toBe(400)
    expect((await api.patch(`${base}/user/nobody`, { token: cast.owner.token, body: { role: 'reader' } })).status).toBe(404)
    expect((await api.patch(`${base}/guest/nobody`, { token: cast.owner.token, body: { role: 'reader' } })).status).toBe(404)
    const ownerChange = await api.patch(`${base}/user/${cast.owner.id}`, { token: cast.memberEditor.token, body: { role: 'reader' } })
    expect(ownerChange.status).toBe(403)
    expect((await api.del(`${base}/user/${cast.owner.id}`, { token: cast.owner.token })).status).toBe(403)
    const byGuest = await api.patch(`${base}/user/${cast.memberReader.id}`, { token: cast.guestEditor.token, body: { role: 'editor' } })
    expect(byGuest.body.error.code).toBe('guest_forbidden')
    expect((await api.del(`${base}/guest/${cast.guestReader.id}`, { token: cast.memberReviewer.token })).status).toBe(403)
  })

  it('removes members and guests; their tokens stop working on the board at once', async () => {
    const cast = await castBoard(api)
    const base = `/api/boards/${cast.boardId}/participants`
    expect((await api.del(`${base}/user/${cast.memberReviewer.id}`, { token: cast.owner.token })).status).toBe(204)
    expect((await api.get(`/api/boards/${cast.boardId}`, { token: cast.memberReviewer.token })).status).toBe(403)
    expect((await api.del(`${base}/guest/${cast.guestReviewer.id}`, { token: cast.memberEditor.token })).status).toBe(204)
    const gone = await api.get(`/api/boards/${cast.boardId}`, { token: cast.guestReviewer.token })
    expect(gone.status).toBe(403)
    expect((await api.get('/api/me', { token: cast.guestReviewer.token })).status).toBe(403)
    expect((await api.del(`${base}/guest/${cast.guestReviewer.id}`, { token: cast.owner.token })).status).toBe(404)
    const left = (await api.get(base, { token: cast.owner.token })).body.participants.map((p: any) => p.id)
    expect(left).not.toContain(cast.guestReviewer.id)
    expect(left).not.toContain(cast.memberReviewer.id)
  })

  it('lets a member leave a board by removing itself', async () => {
    const owner = await registerUser(api)
    const board = await createBoard(api, owner.token)
    const m = await joinAsMember(api, (await createInvite(api, owner.token, board.id, 'reader')).token, 'Leaver')
    expect((await api.del(`/api/boards/${board.id}/participants/user/${m.id}`, { token: m.token })).status).toBe(204)
    expect((await api.get(`/api/boards/${board.id}`, { token: m.token })).status).toBe(403)
  })
})

describe('guest token validity', () => {
  it('works only on its own board', async () => {
    const cast = await castBoard(api)
    const other = await registerUser(api)
    const otherBoard = await createBoard(api, other.token)
    const res = await api.get(`/api/boards/${otherBoard.id}`, { token: cast.guestEditor.token })
    expect(res.status).toBe(403)
    expect((await api.get(`/api/boards/${otherBoard.id}/participants`, { token: cast.guestEditor.token })).status).toBe(403)
  })

  it('stops working when its invite is revoked', async () => {
    const owner = await registerUser(api)
    const board = await createBoard(api, owner.token)
    const link = await createInvite(api, owner.token, board.id, 'reviewer')
    const keep = await createInvite(api, owner.token, board.id, 'reviewer')
    const guest = await joinAsGuest(api, link.token)
    const unaffected = await joinAsGuest(api, keep.token)
    expect((await api.get(`/api/boards/${board.id}`, { token: guest.token })).status).toBe(200)
    await api.del(`/api/boards/${board.id}/invites/${link.id}`, { token: owner.token })
    expect((await api.get(`/api/boards/${board.id}`, { token: guest.token })).status).toBe(403)
    expect((await api.get(`/api/boards/${board.id}`, { token: unaffected.token })).status).toBe(200)
  })

  it('is refused on a board switched to specific users', async () => {
    const owner = await registerUser(api)
    const board = await createBoard(api, owner.token)
    const guest = await joinAsGuest(api, (await createInvite(api, owner.token, board.id, 'reader')).token)
    await api.patch(`/api/boards/${board.id}`, { token: owner.token, body: { accessMode: 'specific_users' } })
    const res = await api.get(`/api/boards/${board.id}`, { token: guest.token })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('guests_not_allowed')
    await api.patch(`/api/boards/${board.id}`, { token: owner.token, body: { accessMode: 'link' } })
    expect((await api.get(`/api/boards/${board.id}`, { token: guest.token })).status).toBe(200)
  })
})
