// The SDK's HTTP client against a real server: every call, and errors as ApiError.
import { beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN_TOKEN } from '../../server/test/helpers/server.js'
import { useServer } from '../../server/test/helpers/suite.js'
import { uniqueEmail } from '../../server/test/helpers/api.js'
import { ApiClient, ApiError, mentionText, parseCommentBody } from './index.js'

const suite = useServer()
let anon: ApiClient

beforeAll(() => {
  anon = new ApiClient({ baseUrl: suite.server.url })
})

async function signUp(name: string): Promise<ApiClient> {
  const { token } = await anon.register({ email: uniqueEmail('sdk'), password: 'correct horse', name })
  return anon.withToken(token)
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ApiError)
  return err as ApiError
}

describe('accounts', () => {
  it('registers, logs in and describes the principal', async () => {
    const email = uniqueEmail('ada')
    const reg = await anon.register({ email, password: 'correct horse', name: 'Ada' })
    expect(reg.user).toMatchObject({ email, name: 'Ada', plan: 'free' })
    const login = await anon.login({ email, password: 'correct horse' })
    expect(await anon.withToken(login.token).me()).toMatchObject({ kind: 'user', id: reg.user.id, name: 'Ada' })
    const user = await anon.setPlan(TEST_ADMIN_TOKEN, reg.user.id, 'pro')
    expect(user.plan).toBe('pro')
  })

  it('surfaces errors with status, code and message', async () => {
    const wrong = await rejection(anon.login({ email: uniqueEmail('nobody'), password: 'wrong password' }))
    expect(wrong).toMatchObject({ status: 401, code: 'invalid_credentials' })
    expect(wrong.message.length).toBeGreaterThan(0)
    const noToken = await rejection(anon.listBoards())
    expect(noToken).toMatchObject({ status: 401, code: 'unauthenticated' })
    const bad = await rejection(anon.register({ email: 'not-an-email', password: 'short', name: 'X' }))
    expect(bad).toMatchObject({ status: 400, code: 'invalid_request' })
  })

  it('reports an unreachable server as a network error', async () => {
    const offline = new ApiClient({ baseUrl: 'http://127.0.0.1:9' })
    expect(await rejection(offline.inviteInfo('x'))).toMatchObject({ status: 0, code: 'network_error' })
  })
})

describe('boards, invites and participants', () => {
  it('covers the board lifecycle', async () => {
    const owner = await signUp('Olivia')
    const board = await owner.createBoard('Plans')
    expect(board).toMatchObject({ title: 'Plans', myRole: 'owner', ownerless: false })
    expect((await owner.listBoards()).map((b) => b.id)).toContain(board.id)
    expect(await owner.updateBoard(board.id, { title: 'Plans v2', locked: true })).toMatchObject({ title: 'Plans v2', locked: true })
    expect((await owner.getBoard(board.id)).title).toBe('Plans v2')
    await owner.deleteBoard(board.id)
    expect(await rejection(owner.getBoard(board.id))).toMatchObject({ status: 404, code: 'not_found' })
  })

  it('creates a temporary board without an account', async () => {
    const temp = await anon.createTemporaryBoard('Tess')
    expect(temp.board.ownerless).toBe(true)
    expect(temp.board.expiresAt).not.toBeNull()
    expect(temp.guest).toMatchObject({ name: 'Tess', role: 'editor', boardId: temp.board.id })
    const guest = anon.withToken(temp.token)
    expect(await guest.me()).toMatchObject({ kind: 'guest', boardId: temp.board.id })
    // The creating guest may share the board so someone can claim it.
    const invite = await guest.createInvite(temp.board.id, { role: 'editor' })
    expect(invite.guestRole).toBe('reviewer')
  })

  it('joins through links as guest and as member, and revokes', async () => {
    const owner = await signUp('Olivia')
    const board = await owner.createBoard('Shared')
    const invite = await owner.createInvite(board.id, { role: 'editor', maxUses: 5, expiresInSeconds: 3600 })
    expect(invite).toMatchObject({ role: 'editor', guestRole: 'reviewer', maxUses: 5, uses: 0, revoked: false })
    expect(await anon.inviteInfo(invite.token)).toMatchObject({ board: { id: board.id }, role: 'editor', guestRole: 'reviewer', guestsAllowed: true })

    const joined = await anon.joinAsGuest(invite.token, 'Gus')
    expect(joined.guest).toMatchObject({ name: 'Gus', role: 'reviewer', boardId: board.id })
    const member = await signUp('Mel')
    expect((await member.joinAsUser(invite.token)).myRole).toBe('editor')

    const people = await owner.listParticipants(board.id)
    expect(people.map((p) => p.name).sort()).toEqual(['Gus', 'Mel', 'Olivia'])
    const gus = people.find((p) => p.name === 'Gus')!
    expect(gus).toMatchObject({ guest: true, kind: 'guest', online: false })
    expect((await owner.changeRole(board.id, 'guest', gus.id, 'reader')).role).toBe('reader')
    await owner.removeParticipant(board.id, 'guest', gus.id)
    expect((await owner.listParticipants(board.id)).some((p) => p.id === gus.id)).toBe(false)

    expect((await owner.listInvites(board.id)).map((i) => i.id)).toEqual([invite.id])
    await owner.revokeInvite(board.id, invite.id)
    expect(await rejection(anon.inviteInfo(invite.token))).toMatchObject({ status: 410, code: 'invite_revoked' })
    expect(await rejection(anon.joinAsGuest(invite.token, 'Late'))).toMatchObject({ status: 410, code: 'invite_revoked' })
  })

  it('says when guests are not allowed', async () => {
    const owner = await signUp('Olivia')
    const board = await owner.createBoard('Members only')
    const invite = await owner.createInvite(board.id, { role: 'reader' })
    await owner.updateBoard(board.id, { accessMode: 'specific_users' })
    expect((await anon.inviteInfo(invite.token)).guestsAllowed).toBe(false)
    expect(await rejection(anon.joinAsGuest(invite.token, 'Gus'))).toMatchObject({ status: 403, code: 'guests_not_allowed' })
  })
})

describe('claiming and signing up from a guest session', () => {
  it('lets a registered user claim a temporary board, once', async () => {
    const temp = await anon.createTemporaryBoard('Tess')
    const invite = await anon.withToken(temp.token).createInvite(temp.board.id, { role: 'editor' })
    const claimer = await signUp('Cleo')
    await claimer.joinAsUser(invite.token)
    const claimed = await claimer.claimBoard(temp.board.id)
    expect(claimed).toMatchObject({ ownerless: false, expiresAt: null, myRole: 'owner' })
    expect(claimed.title.endsWith('(temporary)')).toBe(false)
    expect(await rejection(claimer.claimBoard(temp.board.id))).toMatchObject({ status: 409, code: 'already_owned' })
    expect(await rejection(anon.withToken(temp.token).claimBoard(temp.board.id))).toMatchObject({ status: 403 })
  })

  it('carries a guest into a new account', async () => {
    const temp = await anon.createTemporaryBoard('Tess')
    const guest = anon.withToken(temp.token)
    const { token, user } = await guest.register({ email: uniqueEmail('tess'), password: 'correct horse', name: 'Tess' })
    const boards = await anon.withToken(token).listBoards()
    expect(boards.map((b) => b.id)).toContain(temp.board.id)
    expect(user.name).toBe('Tess')
  })
})

describe('comments and notifications', () => {
  it('creates, replies, resolves and deletes threads; mentions notify members', async () => {
    const owner = await signUp('Olivia')
    const board = await owner.createBoard('Review')
    const invite = await owner.createInvite(board.id, { role: 'reviewer' })
    const member = await signUp('Mel')
    await member.joinAsUser(invite.token)
    const me = await member.me()

    const body = `Please look ${mentionText('Olivia', (await owner.me()).id)}`
    const thread = await member.createComment(board.id, { x: 10, y: 20 }, body)
    expect(thread).toMatchObject({ anchor: { x: 10, y: 20 }, body, resolved: false, author: { id: me.id, guest: false } })
    const reply = await owner.reply(board.id, thread.id, 'On it')
    expect(reply.author.name).toBe('Olivia')
    expect((await owner.updateReply(board.id, thread.id, reply.id, 'Done')).body).toBe('Done')
    expect((await member.updateThread(board.id, thread.id, { resolved: true })).resolved).toBe(true)
    const [listed] = await owner.listComments(board.id)
    expect(listed).toMatchObject({ id: thread.id, resolved: true, replies: [{ id: reply.id, body: 'Done' }] })

    const page = await owner.listNotifications({ limit: 10 })
    expect(page.notifications.some((n) => n.type === 'mention' && !n.read)).toBe(true)
    expect(await owner.markNotificationsRead('all')).toBeGreaterThan(0)
    expect((await owner.listNotifications()).notifications.every((n) => n.read)).toBe(true)

    await owner.deleteReply(board.id, thread.id, reply.id)
    await member.deleteThread(board.id, thread.id)
    expect(await owner.listComments(board.id)).toEqual([])
  })

  it('refuses readers and guest mentions', async () => {
    const owner = await signUp('Olivia')
    const board = await owner.createBoard('Review')
    const reader = anon.withToken((await anon.joinAsGuest((await owner.createInvite(board.id, { role: 'reader' })).token, 'Rae')).token)
    expect(await rejection(reader.createComment(board.id, { x: 0, y: 0 }, 'hi'))).toMatchObject({ status: 403 })
    const reviewer = anon.withToken((await anon.joinAsGuest((await owner.createInvite(board.id, { role: 'reviewer' })).token, 'Rev')).token)
    const mention = mentionText('Olivia', (await owner.me()).id)
    expect(await rejection(reviewer.createComment(board.id, { x: 0, y: 0 }, mention))).toMatchObject({ status: 403, code: 'guest_forbidden' })
  })
})

describe('comment bodies', () => {
  it('splits mentions from text without interpreting anything else', () => {
    expect(parseCommentBody('hi @[Ada](user:abc_1) <b>x</b>')).toEqual([
      { type: 'text', text: 'hi ' },
      { type: 'mention', name: 'Ada', userId: 'abc_1' },
      { type: 'text', text: ' <b>x</b>' },
    ])
    expect(mentionText('A]b[', 'u1')).toBe('@[Ab](user:u1)')
  })
})
