// The cast of the rulebook table (policy-matrix.test.ts): the same people on
// one board per board state, and how the rulebook sees each of them there.
import * as Y from 'yjs'
import type { Role } from '../../../shared/capabilities.js'
import { guestRole, type Here, type Who } from '../../../shared/rules.js'
import type { AccessMode } from '../../../shared/types.js'
import { type Api, registerUser } from './api.js'
import { RawClient } from './collab.js'
import { type Actor, createBoard, createInvite, joinAsGuest, joinAsMember, makePro } from './fixtures.js'

export const SUBJECTS = [
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
export type SubjectName = (typeof SUBJECTS)[number]

export const STATES = ['normal', 'free', 'locked', 'archived', 'specificUsers', 'guestsOff'] as const
export type StateName = (typeof STATES)[number]

interface StateDef {
  tier: 'pro' | 'free'
  patch: { locked?: boolean; archived?: boolean; accessMode?: AccessMode }
  guestsEnabled: boolean
}

const DEFS: Record<StateName, StateDef> = {
  normal: { tier: 'pro', patch: {}, guestsEnabled: true },
  free: { tier: 'free', patch: {}, guestsEnabled: true },
  locked: { tier: 'pro', patch: { locked: true }, guestsEnabled: true },
  archived: { tier: 'pro', patch: { archived: true }, guestsEnabled: true },
  specificUsers: { tier: 'pro', patch: { accessMode: 'specific_users' }, guestsEnabled: true },
  // The normal boards, with the global guest switch off.
  guestsOff: { tier: 'pro', patch: {}, guestsEnabled: false },
}

/** The markup entry somebody else (a guest reviewer, never a subject) wrote on every board. */
export const OTHERS_NOTE = 'others-note'

export interface RuleBoard {
  boardId: string
  actors: Partial<Record<SubjectName, Actor>>
  /** Who may hand out links here (for victims of participant changes). */
  inviter: Actor
  owned: boolean
  here: Here
  /** Comments by somebody else, to be deleted by whoever may moderate (shared by the states a board serves). */
  othersComments: string[]
}

const GRANTED: Partial<Record<SubjectName, Role>> = {
  owner: 'owner',
  memberEditor: 'editor',
  memberReviewer: 'reviewer',
  memberReader: 'reader',
}
const GUEST_LINKS = { guestEditor: 'editor', guestReviewer: 'reviewer', guestReader: 'reader' } as const

/** How the rulebook sees `subject` on the board of `state`; null where the subject does not exist (a creator guest on an owned board). */
export function whoIs(subject: SubjectName, state: StateName): Who | null {
  const tier = DEFS[state].tier
  if (subject === 'creatorGuest') {
    return state === 'normal' || state === 'guestsOff' ? { role: 'editor', guest: true, creatorGuest: true } : null
  }
  if (subject === 'stranger') return { role: null, guest: false, creatorGuest: false }
  if (subject in GUEST_LINKS) {
    return { role: guestRole(GUEST_LINKS[subject as keyof typeof GUEST_LINKS], false, tier), guest: true, creatorGuest: false }
  }
  return { role: GRANTED[subject]!, guest: false, creatorGuest: false }
}

/** A raw /collab client that has synced (or was refused); closed when `track` says. */
export async function rawJoin(url: string, boardId: string, token: string): Promise<RawClient> {
  const c = await RawClient.connect(url, boardId, token)
  c.sendStep1()
  await c.until(() => c.closeCode !== null || (c.hasStep2() && c.ext.some((e) => e.kind === 'welcome')))
  return c
}

/** Sends what `change` does to the server's document; resolves `accepted` once stored, or the refusal reason. */
export async function tryWrite(c: RawClient, change: (doc: Y.Doc) => void): Promise<string> {
  const doc = c.docFromServer()
  const before = Y.encodeStateVector(doc)
  change(doc)
  const saved = c.ext.filter((e) => e.kind === 'saved').length
  c.sendUpdate(Y.encodeStateAsUpdate(doc, before))
  doc.destroy()
  await c.until(() => c.closeCode !== null || c.ext.filter((e) => e.kind === 'saved').length > saved)
  if (c.closeCode === null) return 'accepted'
  const refused = c.ext.find((e) => e.kind === 'refused')
  return refused && 'reason' in refused ? refused.reason : `closed ${c.closeCode}`
}

/**
 * Somebody else's markup entry and comments, written by a guest reviewer
 * that is no subject, while the board is still open to guests.
 */
async function othersNote(api: Api, url: string, boardId: string, inviter: Actor, comments: string[]): Promise<RawClient> {
  const nora = await joinAsGuest(api, (await createInvite(api, inviter.token, boardId, 'reviewer')).token, 'Nora Notes')
  // One for each state the board serves (the owner deletes one in each), and one that stays.
  for (const body of ['for one state', 'for another', 'to stay']) {
    const res = await api.post(`/api/boards/${boardId}/comments`, { token: nora.token, body: { anchor: { x: 1, y: 1 }, body } })
    if (res.status !== 201) throw new Error(`the others' comment was refused: ${res.status}`)
    comments.push(res.body.thread.id)
  }
  const c = await rawJoin(url, boardId, nora.token)
  const result = await tryWrite(c, (d) => d.getMap('markup').set(OTHERS_NOTE, new Y.Map([['kind', 'note']])))
  if (result !== 'accepted') throw new Error(`the others' note was refused: ${result}`)
  return c
}

export interface RuleBoards {
  states: Record<StateName, RuleBoard>
  /** The board the creator guest made: ownerless, so neither locked, archived nor `specific_users` ever. */
  ownerless: { boardId: string; owned: false; othersComments: string[] }
}

/** One board per state with everyone on it; guests joined, and the note written, before the state is applied. */
export async function ruleBoards(api: Api, url: string): Promise<RuleBoards> {
  const pro = await registerUser(api, 'Olivia Owner')
  await makePro(api, pro.user.id)
  const free = await registerUser(api, 'Fiona Free-Owner')
  const user = (r: { token: string; user: { id: string } }, name: string): Actor => ({ token: r.token, kind: 'user', id: r.user.id, name })
  const members = {
    memberEditor: user(await registerUser(api, 'Eve Editor'), 'Eve Editor'),
    memberReviewer: user(await registerUser(api, 'Rita Reviewer'), 'Rita Reviewer'),
    memberReader: user(await registerUser(api, 'Reed Reader'), 'Reed Reader'),
  }
  const stranger = user(await registerUser(api, 'Sam Stranger'), 'Sam Stranger')
  const made = await api.post('/api/boards', { body: { guestName: 'Cora Creator' } })
  const creator: Actor = { token: made.body.token, kind: 'guest', id: made.body.guest.id, name: 'Cora Creator' }
  const ownerless = made.body.board.id as string
  const ownerlessComments: string[] = []
  ;(await othersNote(api, url, ownerless, creator, ownerlessComments)).close()

  const states = {} as Record<StateName, RuleBoard>
  for (const state of STATES) {
    const def = DEFS[state]
    if (state === 'guestsOff') {
      states.guestsOff = { ...states.normal, here: { ...states.normal.here, guestsEnabled: false } }
      continue
    }
    const owner = def.tier === 'pro' ? user(pro, 'Olivia Owner') : user(free, 'Fiona Free-Owner')
    const board = await createBoard(api, owner.token, `Rules: ${state}`)
    const actors: RuleBoard['actors'] = { owner, stranger }
    for (const [name, member] of Object.entries(members)) {
      const link = await createInvite(api, owner.token, board.id, GRANTED[name as SubjectName]!)
      const res = await api.post(`/api/invites/${link.token}/join`, { token: member.token })
      if (res.status !== 200) throw new Error(`member join failed: ${res.status}`)
      actors[name as SubjectName] = member
    }
    for (const [name, role] of Object.entries(GUEST_LINKS)) {
      actors[name as SubjectName] = await joinAsGuest(api, (await createInvite(api, owner.token, board.id, role)).token, name)
    }
    if (state === 'normal') actors.creatorGuest = creator
    const othersComments: string[] = []
    const note = await othersNote(api, url, board.id, owner, othersComments)
    if (Object.keys(def.patch).length > 0) {
      const res = await api.patch(`/api/boards/${board.id}`, { token: owner.token, body: def.patch })
      if (res.status !== 200) throw new Error(`state ${state}: ${res.status}`)
      // The live room has the new state once its clients were told (or, for guests, turned away).
      await note.until(() => note.closeCode !== null || note.ext.some((e) => e.kind === 'board' && (e.locked || e.archived)))
    }
    note.close()
    states[state] = {
      boardId: board.id,
      actors,
      inviter: owner,
      owned: true,
      here: { locked: false, archived: false, accessMode: 'link', guestsEnabled: def.guestsEnabled, ...def.patch },
      othersComments,
    }
  }
  return { states, ownerless: { boardId: ownerless, owned: false, othersComments: ownerlessComments } }
}

/** Someone to act on: a guest where guests may join, else a member. */
export async function victim(api: Api, board: RuleBoard): Promise<Actor> {
  const link = await createInvite(api, board.inviter.token, board.boardId, 'reader')
  const guestsWelcome = board.here.guestsEnabled && board.here.accessMode === 'link'
  return guestsWelcome ? joinAsGuest(api, link.token, 'Victim') : joinAsMember(api, link.token, 'Vic Victim')
}
