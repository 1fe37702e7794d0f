// The rulebook (shared/rules.ts) is the table: every subject × board state ×
// action is tried over HTTP and, for writing, on a live Yjs connection, and
// both must answer what the rulebook does. The contract's own table for a
// normal board is written out below and checked against both as well.
import { beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { type Action, ACTIONS, CAPABILITIES, capability } from '../../shared/capabilities.js'
import { CloseCode } from '../../shared/constants.js'
import * as rules from '../../shared/rules.js'
import type { Actor } from './helpers/fixtures.js'
import {
  OTHERS_NOTE,
  rawJoin,
  type RuleBoard,
  type RuleBoards,
  ruleBoards,
  type StateName,
  STATES,
  type SubjectName,
  SUBJECTS,
  tryWrite,
  victim,
  whoIs,
} from './helpers/rule-boards.js'
import { TEST_ADMIN_TOKEN } from './helpers/server.js'
import { useServer } from './helpers/suite.js'

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

let uploads = 0
const suite = useServer()
const { api } = suite
let boards: RuleBoards

beforeAll(async () => {
  boards = await ruleBoards(api, suite.server.url)
})

/** One subject on the board of one state, and how the rulebook sees it there. */
interface Target {
  subject: SubjectName
  actor: Actor
  boardId: string
  board: RuleBoard
  othersComments: string[]
  who: rules.Who
  here: rules.Here
}

function target(subject: SubjectName, state: StateName): Target | null {
  const who = whoIs(subject, state)
  if (!who) return null
  const board = boards.states[state]
  // The creator guest acts on its ownerless board, which is in the normal state (with the state's guest switch).
  const own = subject === 'creatorGuest' ? boards.ownerless : board
  return { subject, actor: board.actors[subject]!, boardId: own.boardId, board, othersComments: own.othersComments, who, here: board.here }
}

type Res = { status: number; body: any }
interface Want {
  status: number
  code?: string
  message?: string
}
interface Attempt {
  run(t: Target, allowed: boolean): Promise<Res>
  /** The rulebook's answer. */
  rule(who: rules.Who, here: rules.Here): rules.Refusal | null
  /** The answer when allowed. */
  ok: Want
}

const action = (a: Action) => (who: rules.Who, here: rules.Here) => rules.refusal(who, a, here)
const setting = (s: rules.Setting) => (who: rules.Who, here: rules.Here) => rules.settingsRefusal(who, [s], here)
const patch = (t: Target, body: object) => api.patch(`/api/boards/${t.boardId}`, { token: t.actor.token, body })
/** A victim only when the change is allowed (refused ones never look at it; a wrong "allowed" then shows as 404). */
const victimFor = async (t: Target, allowed: boolean) => (allowed ? victim(api, t.board) : { kind: 'guest', id: 'nobody' })

const attempts: Record<string, Attempt> = {
  'view board': { run: (t) => api.get(`/api/boards/${t.boardId}`, { token: t.actor.token }), rule: action('board.view'), ok: { status: 200 } },
  rename: { run: (t) => patch(t, { title: `Renamed by ${t.subject}` }), rule: setting('title'), ok: { status: 200 } },
  // Settings are set to what they are: the attempt is judged, the board keeps its state.
  lock: { run: (t) => patch(t, { locked: t.here.locked }), rule: setting('locked'), ok: { status: 200 } },
  archive: { run: (t) => patch(t, { archived: t.here.archived }), rule: setting('archived'), ok: { status: 200 } },
  'change access': { run: (t) => patch(t, { accessMode: t.here.accessMode }), rule: setting('accessMode'), ok: { status: 200 } },
  'create invite': {
    run: (t) => api.post(`/api/boards/${t.boardId}/invites`, { token: t.actor.token, body: { role: 'reader' } }),
    rule: (who, here) => rules.refusal(who, 'invite.manage', here) ?? rules.grantRefusal(who.role!, 'reader'),
    ok: { status: 201 },
  },
  'list invites': { run: (t) => api.get(`/api/boards/${t.boardId}/invites`, { token: t.actor.token }), rule: action('invite.manage'), ok: { status: 200 } },
  'list participants': { run: (t) => api.get(`/api/boards/${t.boardId}/participants`, { token: t.actor.token }), rule: action('participant.view'), ok: { status: 200 } },
  'change a role': {
    run: async (t, allowed) => {
      const v = await victimFor(t, allowed)
      return api.patch(`/api/boards/${t.boardId}/participants/${v.kind}/${v.id}`, { token: t.actor.token, body: { role: 'reader' } })
    },
    rule: action('participant.manage'),
    ok: { status: 200 },
  },
  'remove a participant': {
    run: async (t, allowed) => {
      const v = await victimFor(t, allowed)
      return api.del(`/api/boards/${t.boardId}/participants/${v.kind}/${v.id}`, { token: t.actor.token })
    },
    rule: action('participant.manage'),
    ok: { status: 204 },
  },
  duplicate: { run: (t) => api.post(`/api/boards/${t.boardId}/duplicate`, { token: t.actor.token }), rule: action('board.duplicate'), ok: { status: 201 } },
  'upload an image': {
    run: async (t) => {
      const res = await fetch(`${suite.server.url}/api/boards/${t.boardId}/files/by-${t.subject.replace(/\W/g, '')}-${uploads++}`, {
        method: 'PUT',
        headers: { 'content-type': 'image/png', ...(t.actor.token ? { authorization: `Bearer ${t.actor.token}` } : {}) },
        body: new Uint8Array(PNG),
      })
      return { status: res.status, body: await res.json().catch(() => null) }
    },
    rule: action('file.upload'),
    ok: { status: 201 },
  },
  'read activity': { run: (t) => api.get(`/api/boards/${t.boardId}/activity`, { token: t.actor.token }), rule: action('board.activity'), ok: { status: 200 } },
  // Every board here but the creator's has an owner: members may try, and learn it is taken.
  claim: {
    run: (t) => api.post(`/api/boards/${t.boardId}/claim`, { token: t.actor.token }),
    rule: (who, here) => rules.guestNeverRefusal(who.guest, 'board.claim', here) ?? rules.refusal(who, 'board.claim', here),
    ok: { status: 409, code: 'already_owned' },
  },
  comment: {
    run: (t) => api.post(`/api/boards/${t.boardId}/comments`, { token: t.actor.token, body: { anchor: { x: 0, y: 0 }, body: `by ${t.subject}` } }),
    rule: action('comment.write'),
    ok: { status: 201 },
  },
  mention: {
    run: (t) => {
      const owner = t.board.inviter
      return api.post(`/api/boards/${t.boardId}/comments`, { token: t.actor.token, body: { anchor: { x: 0, y: 0 }, body: `@[${owner.name}](user:${owner.id}) look` } })
    },
    rule: (who, here) => rules.refusal(who, 'comment.write', here) ?? rules.refusal(who, 'comment.mention', here),
    ok: { status: 201 },
  },
  'read comments': { run: (t) => api.get(`/api/boards/${t.boardId}/comments`, { token: t.actor.token }), rule: action('comment.view'), ok: { status: 200 } },
  "delete somebody else's comment": {
    run: (t, allowed) => {
      // The first comment stays: a refused attempt must find it (a missing one is a 404 first).
      const id = allowed ? t.othersComments.pop() : t.othersComments[0]
      return api.del(`/api/boards/${t.boardId}/comments/${id}`, { token: t.actor.token })
    },
    rule: (who, here) =>
      rules.refusal(who, 'comment.view', here) ??
      (rules.mayModerateComment(rules.subjectOf(who), false) ? null : { code: 'forbidden', message: 'Only the author or the board owner can delete this comment' }),
    ok: { status: 204 },
  },
  'list versions': { run: (t) => api.get(`/api/boards/${t.boardId}/versions`, { token: t.actor.token }), rule: action('history.view'), ok: { status: 200 } },
  'save a version': {
    run: (t) => api.post(`/api/boards/${t.boardId}/versions`, { token: t.actor.token, body: { name: `by ${t.subject}` } }),
    rule: action('history.save'),
    ok: { status: 201 },
  },
  // The rulebook answers before the version is looked for: allowed means "not found" here.
  'restore a version': {
    run: (t) => api.post(`/api/boards/${t.boardId}/versions/no-such-version/restore`, { token: t.actor.token }),
    rule: action('history.restore'),
    ok: { status: 404, code: 'not_found' },
  },
  'take someone out (kick)': {
    run: async (t, allowed) => {
      const v = await victimFor(t, allowed)
      return api.post(`/api/boards/${t.boardId}/participants/${v.kind}/${v.id}/kick`, { token: t.actor.token })
    },
    rule: action('participant.manage'),
    ok: { status: 204 },
  },
  'start the timer': {
    run: (t) => api.post(`/api/boards/${t.boardId}/timer`, { token: t.actor.token, body: { action: 'start', durationMs: 60_000 } }),
    rule: action('session.facilitate'),
    ok: { status: 200 },
  },
  // The rulebook answers before the vote is looked for: allowed means "not found" here.
  'cast a vote': {
    run: (t) => api.post(`/api/boards/${t.boardId}/votes/no-such-vote/ballots`, { token: t.actor.token, body: { elementId: 'e' } }),
    rule: action('vote.cast'),
    ok: { status: 404, code: 'not_found' },
  },
}

function wantOf(attempt: Attempt, who: rules.Who, here: rules.Here): Want {
  const refused = attempt.rule(who, here)
  return refused ? { status: 403, ...refused } : attempt.ok
}

async function expectAnswer(res: Res, want: Want): Promise<void> {
  expect(res.status, JSON.stringify(res.body)).toBe(want.status)
  if (want.code) expect(res.body.error.code).toBe(want.code)
  if (want.message) expect(res.body.error.message).toBe(want.message)
}

const ok = (status = 200) => ({ status })
const refused = (code: string) => ({ status: 403, code })
const F = refused('forbidden')
const G = refused('guest_forbidden')

// The contract's table for a normal (pro) board. Rows follow SUBJECTS: owner,
// mEditor, mReviewer, mReader, gEditor, gReviewer, gReader, creatorGuest, stranger.
const contract: Record<string, { status: number; code?: string }[]> = {
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
  'upload an image': [ok(201), ok(201), F, F, G, G, G, G, F],
  'read activity': [ok(), ok(), F, F, G, G, G, G, F],
  claim: [{ status: 409, code: 'already_owned' }, { status: 409 }, { status: 409 }, { status: 409 }, G, G, G, G, F],
  comment: [ok(201), ok(201), ok(201), F, ok(201), ok(201), F, ok(201), F],
  mention: [ok(201), ok(201), ok(201), F, G, G, F, G, F],
  'read comments': [ok(), ok(), ok(), ok(), ok(), ok(), ok(), ok(), F],
  "delete somebody else's comment": [ok(204), F, F, F, F, F, F, F, F],
  'list versions': [ok(), ok(), F, F, ok(), F, F, ok(), F],
  'save a version': [ok(201), ok(201), F, F, ok(201), F, F, ok(201), F],
  // Editors only once the owner allows it (editorsMayRestore); guests never.
  'restore a version': [{ status: 404 }, F, F, F, G, G, G, G, F],
  'take someone out (kick)': [ok(204), ok(204), F, F, G, G, G, G, F],
  'start the timer': [ok(), ok(), F, F, ok(), F, F, ok(), F],
  'cast a vote': [{ status: 404 }, { status: 404 }, { status: 404 }, F, { status: 404 }, { status: 404 }, F, { status: 404 }, F],
}

describe('the rulebook', () => {
  it('answers the contract table for a normal board', () => {
    for (const [name, row] of Object.entries(contract)) {
      SUBJECTS.forEach((subject, i) => {
        const want = wantOf(attempts[name]!, whoIs(subject, 'normal')!, { locked: false, archived: false, accessMode: 'link', guestsEnabled: true })
        expect(want, `${subject}: ${name}`).toMatchObject(row[i]!)
      })
    }
  })

  it('covers every action and refuses guests what the contract reserves for members', () => {
    for (const a of ACTIONS) expect(CAPABILITIES[a]).toBeDefined()
    const guestEditor = { role: 'editor' as const, guest: true, creatorGuest: false }
    for (const a of ['board.rename', 'board.delete', 'board.lock', 'board.archive', 'board.duplicate', 'board.setAccess', 'participant.manage', 'board.claim', 'comment.mention'] as const) {
      expect(capability(guestEditor, a), a).toBe('guest_forbidden')
    }
    expect(capability({ ...guestEditor, creatorGuest: true }, 'invite.manage')).toBe('allow')
    expect(capability(guestEditor, 'content.write')).toBe('allow')
    expect(capability({ role: 'reviewer', guest: false, creatorGuest: false }, 'content.write')).toBe('role_too_weak')
    expect(capability({ role: 'reader', guest: false, creatorGuest: false }, 'comment.write')).toBe('role_too_weak')
  })
})

/** Every subject that exists in `state`, with every HTTP attempt. */
function httpCases(state: StateName) {
  return Object.keys(attempts).flatMap((name) => SUBJECTS.filter((subject) => whoIs(subject, state)).map((subject) => ({ name, subject })))
}

async function checkHttp(state: StateName, name: string, subject: SubjectName): Promise<void> {
  const t = target(subject, state)!
  const attempt = attempts[name]!
  const want = wantOf(attempt, t.who, t.here)
  await expectAnswer(await attempt.run(t, want.status < 400), want)
  if (state === 'normal') expect({ status: want.status, code: want.code }).toMatchObject(contract[name]![SUBJECTS.indexOf(subject)]!)
}

/** What the guard answers, by the rulebook's write rights. */
const WRITES: Record<string, { change: (d: Y.Doc, key: string) => void; want: (r: Exclude<rules.WriteRights, { scope: 'none' }>) => string }> = {
  'draw a shape': {
    change: (d, key) => d.getMap('shapes').set(key, new Y.Map([['type', 'rect']])),
    want: (r) => (r.scope === 'anywhere' ? 'accepted' : 'not_own_markup'),
  },
  'add an embed shape': {
    change: (d, key) => d.getMap('shapes').set(key, new Y.Map([['type', 'embed']])),
    want: (r) => (r.scope !== 'anywhere' ? 'not_own_markup' : r.forbiddenShapeTypes.includes('embed') ? 'forbidden_shape_type' : 'accepted'),
  },
  'add own markup': { change: (d, key) => d.getMap('markup').set(key, new Y.Map([['kind', 'scribble']])), want: () => 'accepted' },
  "change somebody else's markup": {
    change: (d) => (d.getMap('markup').get(OTHERS_NOTE) as Y.Map<unknown>).set('color', 'red'),
    want: (r) => (r.scope === 'anywhere' ? 'accepted' : 'not_own_markup'),
  },
}

/** A live connection: refused at the door exactly when the rulebook refuses entry; then each write as its write rights say. */
async function checkLive(state: StateName, subject: SubjectName): Promise<void> {
  const t = target(subject, state)!
  const join = () => rawJoin(suite.server.url, t.boardId, t.actor.token).then((c) => suite.track(c))
  let c = await join()
  if (rules.entryRefusal(t.who, t.here)) {
    expect(await c.waitClose()).toBe(CloseCode.forbidden)
    return
  }
  expect(c.closeCode).toBeNull()
  expect(c.ext.find((e) => e.kind === 'welcome')).toMatchObject({ role: t.who.role, board: { locked: t.here.locked, archived: t.here.archived } })
  const rights = rules.writeRights(rules.subjectOf(t.who)!, t.here)
  for (const [name, write] of Object.entries(WRITES)) {
    if (c.closeCode !== null) c = await join()
    const result = await tryWrite(c, (d) => write.change(d, `${subject}-${state}-${name}`))
    expect(result, name).toBe(rights.scope === 'none' ? rights.reason : write.want(rights))
  }
  c.close()
}

const liveCases = (state: StateName) => SUBJECTS.filter((subject) => whoIs(subject, state)).map((subject) => ({ subject }))

for (const state of STATES.filter((s) => s !== 'guestsOff')) {
  describe(`${state} board`, () => {
    it.each(httpCases(state))('HTTP: $subject: $name', ({ name, subject }) => checkHttp(state, name, subject))
    it.each(liveCases(state))('live: $subject', ({ subject }) => checkLive(state, subject))
  })
}

describe('guests switched off', () => {
  const setGuests = (enabled: boolean) => api.call('PUT', '/api/admin/guests', { token: TEST_ADMIN_TOKEN, body: { enabled } })
  beforeAll(async () => {
    expect((await setGuests(false)).status).toBe(200)
    return async () => {
      expect((await setGuests(true)).status).toBe(200)
    }
  })
  it.each(httpCases('guestsOff'))('HTTP: $subject: $name', ({ name, subject }) => checkHttp('guestsOff', name, subject))
  it.each(liveCases('guestsOff'))('live: $subject', ({ subject }) => checkLive('guestsOff', subject))
})

it('deleting: everyone but the owner is refused, then the owner succeeds', async () => {
  const normal = boards.states.normal
  for (const subject of SUBJECTS) {
    if (subject === 'owner' || subject === 'creatorGuest') continue
    const actor = normal.actors[subject]!
    const res = await api.del(`/api/boards/${normal.boardId}`, { token: actor.token })
    expect(res.status, subject).toBe(403)
    expect(res.body.error.code).toBe(actor.kind === 'guest' ? 'guest_forbidden' : 'forbidden')
  }
  const creator = normal.actors.creatorGuest!
  const byCreator = await api.del(`/api/boards/${boards.ownerless.boardId}`, { token: creator.token })
  expect(byCreator.body.error.code).toBe('guest_forbidden')
  expect((await api.del(`/api/boards/${normal.boardId}`, { token: normal.actors.owner!.token })).status).toBe(204)
})
