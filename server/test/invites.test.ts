import { describe, expect, it } from 'vitest'
import { registerUser } from './helpers/api.js'
import { createBoard, createInvite, joinAsGuest, joinAsMember, makePro } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'


const suite = useServer({ PUBLIC_URL: 'https://draw.example.com' })
const { api } = suite

async function ownerWithBoard(pro = false) {
  const owner = await registerUser(api, 'Owner')
  if (pro) await makePro(api, owner.user.id)
  const board = await createBoard(api, owner.token, 'Invite board')
  return { owner, board }
}

describe('invite links', () => {
  it('creates, lists and revokes links', async () => {
    const { owner, board } = await ownerWithBoard()
    const res = await api.post(`/api/boards/${board.id}/invites`, {
      token: owner.token,
      body: { role: 'reader', expiresInSeconds: 3600, maxUses: 5 },
    })
    expect(res.status).toBe(201)
    const invite = res.body.invite
    expect(invite).toMatchObject({ role: 'reader', guestRole: 'reader', maxUses: 5, uses: 0, revoked: false })
    expect(invite.url).toBe(`https://draw.example.com/join/${invite.token}`)
    expect(Date.parse(invite.expiresAt)).toBeGreaterThan(Date.now() + 3500_000)
    const list = await api.get(`/api/boards/${board.id}/invites`, { token: owner.token })
    expect(list.status).toBe(200)
    expect(list.body.invites).toEqual([invite])
    expect((await api.del(`/api/boards/${board.id}/invites/${invite.id}`, { token: owner.token })).status).toBe(204)
    expect((await api.get(`/api/boards/${board.id}/invites`, { token: owner.token })).body.invites[0].revoked).toBe(true)
    expect((await api.del(`/api/boards/${board.id}/invites/nope`, { token: owner.token })).status).toBe(404)
  })

  it('validates role, expiry and maxUses', async () => {
    const { owner, board } = await ownerWithBoard()
    for (const body of [{}, { role: 'owner' }, { role: 'admin' }, { role: 'reader', maxUses: 0 }, { role: 'reader', expiresInSeconds: -5 }, { role: 'reader', maxUses: 1.5 }]) {
      const res = await api.post(`/api/boards/${board.id}/invites`, { token: owner.token, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.error.code).toBe('invalid_request')
    }
  })

  it('caps guests at reviewer on free boards, not on pro boards', async () => {
    const free = await ownerWithBoard(false)
    const freeLink = await createInvite(api, free.owner.token, free.board.id, 'editor')
    expect(freeLink.guestRole).toBe('reviewer')
    const info = await api.get(`/api/invites/${freeLink.token}`)
    expect(info.status).toBe(200)
    expect(info.body).toEqual({ board: { id: free.board.id, title: 'Invite board' }, role: 'editor', guestRole: 'reviewer', guestsAllowed: true })
    const guest = await api.post(`/api/invites/${freeLink.token}/join`, { body: { name: 'Gina' } })
    expect(guest.status).toBe(201)
    expect(guest.body.guest).toEqual({ id: expect.any(String), name: 'Gina', role: 'reviewer', boardId: free.board.id })
    // Registered users get the link's role.
    const member = await joinAsMember(api, freeLink.token, 'Mo')
    expect((await api.get(`/api/boards/${free.board.id}`, { token: member.token })).body.board.myRole).toBe('editor')

    const pro = await ownerWithBoard(true)
    const proLink = await createInvite(api, pro.owner.token, pro.board.id, 'editor')
    expect(proLink.guestRole).toBe('editor')
    expect((await joinAsGuest(api, proLink.token)).kind).toBe('guest')
    const g = await api.post(`/api/invites/${proLink.token}/join`, { body: { name: 'Pat' } })
    expect(g.body.guest.role).toBe('editor')
  })

  it('answers 404 for unknown tokens and 410 for revoked, expired and used-up links', async () => {
    const { owner, board } = await ownerWithBoard()
    expect((await api.get('/api/invites/unknown-token')).status).toBe(404)
    expect((await api.post('/api/invites/unknown-token/join', { body: { name: 'x' } })).status).toBe(404)

    const revoked = await createInvite(api, owner.token, board.id, 'reader')
    await api.del(`/api/boards/${board.id}/invites/${revoked.id}`, { token: owner.token })
    const expired = await createInvite(api, owner.token, board.id, 'reader', { expiresInSeconds: 1 })
    const once = await createInvite(api, owner.token, board.id, 'reader', { maxUses: 1 })
    await joinAsGuest(api, once.token)
    await new Promise((r) => setTimeout(r, 1100))
    for (const [link, code] of [[revoked, 'invite_revoked'], [expired, 'invite_expired'], [once, 'invite_exhausted']] as const) {
      const info = await api.get(`/api/invites/${link.token}`)
      expect(info.status).toBe(410)
      expect(info.body.error.code).toBe(code)
      const join = await api.post(`/api/invites/${link.token}/join`, { body: { name: 'Late' } })
      expect(join.status).toBe(410)
      expect(join.body.error.code).toBe(code)
      const user = await registerUser(api)
      const userJoin = await api.post(`/api/invites/${link.token}/join`, { token: user.token })
      expect(userJoin.status).toBe(410)
    }
  })

  it('refuses guests on specific_users boards but still admits users', async () => {
    const { owner, board } = await ownerWithBoard()
    const link = await createInvite(api, owner.token, board.id, 'reviewer')
    await api.patch(`/api/boards/${board.id}`, { token: owner.token, body: { accessMode: 'specific_users' } })
    expect((await api.get(`/api/invites/${link.token}`)).body.guestsAllowed).toBe(false)
    const res = await api.post(`/api/invites/${link.token}/join`, { body: { name: 'G' } })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('guests_not_allowed')
    const user = await registerUser(api)
    expect((await api.post(`/api/invites/${link.token}/join`, { token: user.token })).status).toBe(200)
  })

  it('normalises guest names and refuses bad ones', async () => {
    const { owner, board } = await ownerWithBoard()
    const link = await createInvite(api, owner.token, board.id, 'reader')
    const decomposed = 'Zoe\u0308' // e + combining diaeresis
    const ok = await api.post(`/api/invites/${link.token}/join`, { body: { name: `  ${decomposed}\t ` } })
    expect(ok.status).toBe(201)
    expect(ok.body.guest.name).toBe('Zoë')
    expect(ok.body.guest.name.length).toBe(3)
    expect((await api.post(`/api/invites/${link.token}/join`, { body: { name: 'x'.repeat(64) } })).status).toBe(201)
    for (const name of ['', '   ', '\u0000\u0001', 'x'.repeat(65), 'evil\u202Eeman', 'new\nline', undefined]) {
      const res = await api.post(`/api/invites/${link.token}/join`, { body: { name } })
      expect(res.status, JSON.stringify(name)).toBe(400)
      expect(res.body.error.message).toContain('name')
    }
    // A bad name costs no use of the link.
    const once = await createInvite(api, owner.token, board.id, 'reader', { maxUses: 1 })
    expect((await api.post(`/api/invites/${once.token}/join`, { body: { name: '' } })).status).toBe(400)
    expect((await api.post(`/api/invites/${once.token}/join`, { body: { name: 'Real' } })).status).toBe(201)
  })

  it('counts maxUses atomically under concurrent joins', async () => {
    const { owner, board } = await ownerWithBoard()
    for (let round = 0; round < 5; round++) {
      const link = await createInvite(api, owner.token, board.id, 'reader', { maxUses: 1 })
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => api.post(`/api/invites/${link.token}/join`, { body: { name: `Racer ${i}` } })),
      )
      const statuses = results.map((r) => r.status).sort()
      expect(statuses.filter((s) => s === 201)).toHaveLength(1)
      expect(statuses.filter((s) => s === 410)).toHaveLength(7)
      const listed = (await api.get(`/api/boards/${board.id}/invites`, { token: owner.token })).body.invites
      expect(listed.find((i: any) => i.id === link.id).uses).toBe(1)
    }
  })

  it('never lowers a member role and costs no use when nothing changes', async () => {
    const { owner, board } = await ownerWithBoard()
    const editorLink = await createInvite(api, owner.token, board.id, 'editor')
    const readerLink = await createInvite(api, owner.token, board.id, 'reader', { maxUses: 1 })
    const member = await joinAsMember(api, editorLink.token, 'Em')
    const again = await api.post(`/api/invites/${readerLink.token}/join`, { token: member.token })
    expect(again.status).toBe(200)
    expect(again.body.board.myRole).toBe('editor')
    const ownerJoin = await api.post(`/api/invites/${readerLink.token}/join`, { token: owner.token })
    expect(ownerJoin.body.board.myRole).toBe('owner')
    expect((await api.get(`/api/invites/${readerLink.token}`)).status).toBe(200)
  })

  it('lets owners and member editors manage links, nobody else', async () => {
    const { owner, board } = await ownerWithBoard(true)
    const editorLink = await createInvite(api, owner.token, board.id, 'editor')
    const reviewerLink = await createInvite(api, owner.token, board.id, 'reviewer')
    const editor = await joinAsMember(api, editorLink.token, 'Ed')
    const reviewer = await joinAsMember(api, reviewerLink.token, 'Rev')
    const guest = await joinAsGuest(api, editorLink.token, 'Guesty')
    expect((await api.post(`/api/boards/${board.id}/invites`, { token: editor.token, body: { role: 'reviewer' } })).status).toBe(201)
    expect((await api.get(`/api/boards/${board.id}/invites`, { token: editor.token })).status).toBe(200)
    const byReviewer = await api.post(`/api/boards/${board.id}/invites`, { token: reviewer.token, body: { role: 'reader' } })
    expect(byReviewer.status).toBe(403)
    expect(byReviewer.body.error.code).toBe('forbidden')
    const byGuest = await api.post(`/api/boards/${board.id}/invites`, { token: guest.token, body: { role: 'reader' } })
    expect(byGuest.status).toBe(403)
    expect(byGuest.body.error.code).toBe('guest_forbidden')
    expect((await api.del(`/api/boards/${board.id}/invites/${reviewerLink.id}`, { token: guest.token })).status).toBe(403)
  })
})
