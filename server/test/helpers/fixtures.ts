// Builds the cast of the role × action matrix on one board.
import type { Api } from './api.js'
import { registerUser } from './api.js'
import { TEST_ADMIN_TOKEN } from './server.js'

export interface Actor {
  token: string
  kind: 'user' | 'guest'
  id: string
  name: string
}

export async function makePro(api: Api, userId: string) {
  const res = await api.patch(`/api/admin/users/${userId}`, { token: TEST_ADMIN_TOKEN, body: { plan: 'pro' } })
  if (res.status !== 200) throw new Error(`makePro failed: ${res.status}`)
}

export async function createBoard(api: Api, token: string, title = 'Board') {
  const res = await api.post('/api/boards', { token, body: { title } })
  if (res.status !== 201) throw new Error(`create board failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.board as { id: string; title: string; tier: string }
}

export async function createInvite(api: Api, token: string, boardId: string, role: string, extra: object = {}) {
  const res = await api.post(`/api/boards/${boardId}/invites`, { token, body: { role, ...extra } })
  if (res.status !== 201) throw new Error(`create invite failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.invite as { id: string; token: string; role: string; guestRole: string; url: string }
}

export async function joinAsGuest(api: Api, inviteToken: string, name = 'Guest'): Promise<Actor> {
  const res = await api.post(`/api/invites/${inviteToken}/join`, { body: { name } })
  if (res.status !== 201) throw new Error(`guest join failed: ${res.status} ${JSON.stringify(res.body)}`)
  return { token: res.body.token, kind: 'guest', id: res.body.guest.id, name: res.body.guest.name }
}

export async function joinAsMember(api: Api, inviteToken: string, name: string): Promise<Actor> {
  const u = await registerUser(api, name)
  const res = await api.post(`/api/invites/${inviteToken}/join`, { token: u.token })
  if (res.status !== 200) throw new Error(`member join failed: ${res.status} ${JSON.stringify(res.body)}`)
  return { token: u.token, kind: 'user', id: u.user.id, name }
}

export interface Cast {
  boardId: string
  owner: Actor
  memberEditor: Actor
  memberReviewer: Actor
  memberReader: Actor
  guestEditor: Actor
  guestReviewer: Actor
  guestReader: Actor
  stranger: Actor
}

/** A pro board (so guest editors exist) with one of each kind of participant. */
export async function castBoard(api: Api): Promise<Cast> {
  const o = await registerUser(api, 'Olivia Owner')
  await makePro(api, o.user.id)
  const owner: Actor = { token: o.token, kind: 'user', id: o.user.id, name: 'Olivia Owner' }
  const board = await createBoard(api, owner.token, 'Cast board')
  const links = {
    editor: await createInvite(api, owner.token, board.id, 'editor'),
    reviewer: await createInvite(api, owner.token, board.id, 'reviewer'),
    reader: await createInvite(api, owner.token, board.id, 'reader'),
  }
  const s = await registerUser(api, 'Sam Stranger')
  return {
    boardId: board.id,
    owner,
    memberEditor: await joinAsMember(api, links.editor.token, 'Eve Editor'),
    memberReviewer: await joinAsMember(api, links.reviewer.token, 'Rita Reviewer'),
    memberReader: await joinAsMember(api, links.reader.token, 'Reed Reader'),
    guestEditor: await joinAsGuest(api, links.editor.token, 'Gail Guest-Editor'),
    guestReviewer: await joinAsGuest(api, links.reviewer.token, 'Gwen Guest-Reviewer'),
    guestReader: await joinAsGuest(api, links.reader.token, 'Greg Guest-Reader'),
    stranger: { token: s.token, kind: 'user', id: s.user.id, name: 'Sam Stranger' },
  }
}
