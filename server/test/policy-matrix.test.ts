// The whole role × action matrix, tried over HTTP against a real server.
import { beforeAll, describe, expect, it } from 'vitest'
import { ACTIONS, CAPABILITIES, capability } from '../../shared/capabilities.js'
import { type Actor, type Cast, castBoard, createInvite, joinAsGuest } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'

let cast: Cast
let creator: Actor
let ownerless: string

const SUBJECTS = [
  'owner',
  'memberEditor',
  'memberReviewer',
  'memberReader',
  'guestEditor',
  'guestReviewer',
  'guestReader',
  'creatorGuest',
  'stranger',
] as const
type SubjectName = (typeof SUBJECTS)[number]

function actor(name: SubjectName): Actor {
  return name === 'creatorGuest' ? creator : cast[name]
}
function boardOf(name: SubjectName): string {
  return name === 'creatorGuest' ? ownerless : cast.boardId
}

const suite = useServer()
const { api } = suite

beforeAll(async () => {
  cast = await castBoard(api)
  const made = await api.post('/api/boards', { body: { guestName: 'Cora Creator' } })
  creator = { token: made.body.token, kind: 'guest', id: made.body.guest.id, name: 'Cora Creator' }
  ownerless = made.body.board.id
})

/** A fresh guest to act on, so destructive attempts never disturb the cast. */
async function victim(name: SubjectName): Promise<Actor> {
  const token = name === 'creatorGuest' ? creator.token : cast.owner.token
  const link = await createInvite(api, token, boardOf(name), 'reader')
  return joinAsGuest(api, link.token, 'Victim')
}

type Attempt = (name: SubjectName) => Promise<{ status: number; body: any }>

const attempts: Record<string, Attempt> = {
  'view board': (n) => api.get(`/api/boards/${boardOf(n)}`, { token: actor(n).token }),
  rename: (n) => api.patch(`/api/boards/${boardOf(n)}`, { token: actor(n).token, body: { title: `Renamed by ${n}` } }),
  lock: (n) => api.patch(`/api/boards/${boardOf(n)}`, { token: actor(n).token, body: { locked: false } }),
  archive: (n) => api.patch(`/api/boards/${boardOf(n)}`, { token: actor(n).token, body: { archived: false } }),
  'change access': (n) => api.patch(`/api/boards/${boardOf(n)}`, { token: actor(n).token, body: { accessMode: 'link' } }),
  'create invite': (n) => api.post(`/api/boards/${boardOf(n)}/invites`, { token: actor(n).token, body: { role: 'reader' } }),
  'list invites': (n) => api.get(`/api/boards/${boardOf(n)}/invites`, { token: actor(n).token }),
  'list participants': (n) => api.get(`/api/boards/${boardOf(n)}/participants`, { token: actor(n).token }),
  'change a role': async (n) => {
    const v = await victim(n)
    return api.patch(`/api/boards/${boardOf(n)}/participants/guest/${v.id}`, { token: actor(n).token, body: { role: 'reader' } })
  },
  duplicate: (n) => api.post(`/api/boards/${boardOf(n)}/duplicate`, { token: actor(n).token }),
  'read activity': (n) => api.get(`/api/boards/${boardOf(n)}/activity`, { token: actor(n).token }),
  claim: (n) => api.post(`/api/boards/${boardOf(n)}/claim`, { token: actor(n).token }),
  comment: (n) => api.post(`/api/boards/${boardOf(n)}/comments`, { token: actor(n).token, body: { anchor: { x: 0, y: 0 }, body: `by ${n}` } }),
  'read comments': (n) => api.get(`/api/boards/${boardOf(n)}/comments`, { token: actor(n).token }),
  'remove a participant': async (n) => {
    const v = await victim(n)
    return api.del(`/api/boards/${boardOf(n)}/participants/guest/${v.id}`, { token: actor(n).token })
  },
}

const ok = (status = 200) => ({ status })
const refused = (code: string) => ({ status: 403, code })
const F = refused('forbidden')
const G = refused('guest_forbidden')

// Rows follow SUBJECTS: owner, mEditor, mReviewer, mReader, gEditor, gReviewer, gReader, creatorGuest, stranger
const expected: Record<string, { status: number; code?: string }[]> = {
  'view board': [ok(), ok(), ok(), ok(), ok(), ok(), ok(), ok(), F],
  rename: [ok(), ok(), F, F, G, G, G, G, F],
  lock: [ok(), F, F, F, G, G, G, G, F],
  archive: [ok(), F, F, F, G, G, G, G, F],
  'change access': [ok(), F, F, F, G, G, G, G, F],
  'create invite': [ok(201), ok(201), F, F, G, G, G, ok(201), F],
  'list invites': [ok(), ok(), F, F, G, G, G, ok(), F],
  'list participants': [ok(), ok(), ok(), ok(), ok(), ok(), ok(), ok(), F],
  'change a role': [ok(), ok(), F, F, G, G, G, G, F],
  'remove a participant': [ok(204), ok(204), F, F, G, G, G, G, F],
  duplicate: [ok(201), ok(201), F, F, G, G, G, G, F],
  'read activity': [ok(), ok(), F, F, G, G, G, G, F],
  // The cast board has an owner: members may try, and learn it is taken.
  claim: [{ status: 409, code: 'already_owned' }, { status: 409 }, { status: 409 }, { status: 409 }, G, G, G, G, F],
  comment: [ok(201), ok(201), ok(201), F, ok(201), ok(201), F, ok(201), F],
  'read comments': [ok(), ok(), ok(), ok(), ok(), ok(), ok(), ok(), F],
}

describe('role × action matrix over HTTP', () => {
  const cases = Object.keys(attempts).flatMap((action) =>
    SUBJECTS.map((subject, i) => ({ action, subject, want: expected[action]![i]! })),
  )
  it.each(cases)('$subject: $action → $want.status', async ({ action, subject, want }) => {
    const res = await attempts[action]!(subject)
    expect(res.status, JSON.stringify(res.body)).toBe(want.status)
    if (want.code) expect(res.body.error.code).toBe(want.code)
  })

  it('deleting: everyone but the owner is refused, then the owner succeeds', async () => {
    for (const subject of SUBJECTS) {
      if (subject === 'owner' || subject === 'creatorGuest') continue
      const res = await api.del(`/api/boards/${cast.boardId}`, { token: actor(subject).token })
      expect(res.status, subject).toBe(403)
      expect(res.body.error.code).toBe(actor(subject).kind === 'guest' ? 'guest_forbidden' : 'forbidden')
    }
    const byCreator = await api.del(`/api/boards/${ownerless}`, { token: creator.token })
    expect(byCreator.body.error.code).toBe('guest_forbidden')
    expect((await api.del(`/api/boards/${cast.boardId}`, { token: cast.owner.token })).status).toBe(204)
  })
})

describe('the shared capability matrix', () => {
  it('covers every action and refuses guests what the contract reserves for members', () => {
    for (const action of ACTIONS) expect(CAPABILITIES[action]).toBeDefined()
    const guestEditor = { role: 'editor' as const, guest: true, creatorGuest: false }
    for (const action of ['board.rename', 'board.delete', 'board.lock', 'board.archive', 'board.duplicate', 'board.setAccess', 'participant.manage', 'board.claim', 'comment.mention'] as const) {
      expect(capability(guestEditor, action), action).toBe('guest_forbidden')
    }
    expect(capability({ ...guestEditor, creatorGuest: true }, 'invite.manage')).toBe('allow')
    expect(capability(guestEditor, 'content.write')).toBe('allow')
    expect(capability({ role: 'reviewer', guest: false, creatorGuest: false }, 'content.write')).toBe('role_too_weak')
    expect(capability({ role: 'reader', guest: false, creatorGuest: false }, 'comment.write')).toBe('role_too_weak')
  })
})
