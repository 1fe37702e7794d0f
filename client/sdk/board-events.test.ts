// The SDK's socket.io helper against a real server: subscribe acks, the
// board events the web app reacts to, and refusals.
import { beforeAll, describe, expect, it } from 'vitest'
import { uniqueEmail } from '../../server/test/helpers/api.js'
import { useServer } from '../../server/test/helpers/suite.js'
import { ApiClient, ApiError, type BoardEvents, connectBoardEvents } from './index.js'

const suite = useServer()
let anon: ApiClient

beforeAll(() => {
  anon = new ApiClient({ baseUrl: suite.server.url })
})
function events(token: string): BoardEvents {
  return suite.track(connectBoardEvents({ baseUrl: suite.server.url, token }))
}

async function user(name: string) {
  const { token } = await anon.register({ email: uniqueEmail('ev'), password: 'correct horse', name })
  return { token, api: anon.withToken(token) }
}

describe('board events', () => {
  it('delivers board, participant and comment events to subscribers', async () => {
    const owner = await user('Olivia')
    const board = await owner.api.createBoard('Events')
    const ev = events(owner.token)
    await ev.subscribe(board.id)

    const updated = ev.next('board:updated', (p) => p.board.id === board.id)
    await owner.api.updateBoard(board.id, { title: 'Renamed' })
    expect((await updated)[0].board.title).toBe('Renamed')

    const joined = ev.next('participant:joined', (p) => p.boardId === board.id)
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const guest = await anon.joinAsGuest(invite.token, 'Gia')
    expect((await joined)[0].participant).toMatchObject({ name: 'Gia', guest: true, role: 'reviewer' })

    const created = ev.next('comment:created', (p) => p.boardId === board.id)
    await anon.withToken(guest.token).createComment(board.id, { x: 1, y: 2 }, 'Looks good')
    expect((await created)[0].thread).toMatchObject({ body: 'Looks good', author: { name: 'Gia', guest: true } })
  })

  it('announces a claim to everyone on the board, guests included', async () => {
    const temp = await anon.createTemporaryBoard('Tess')
    const guestEvents = events(temp.token)
    await guestEvents.subscribe(temp.board.id)
    const invite = await anon.withToken(temp.token).createInvite(temp.board.id, { role: 'editor' })
    const claimer = await user('Cleo')
    await claimer.api.joinAsUser(invite.token)
    const seen = guestEvents.next('board:claimed', (p) => p.board.id === temp.board.id)
    await claimer.api.claimBoard(temp.board.id)
    expect((await seen)[0].board).toMatchObject({ ownerless: false, expiresAt: null })
  })

  it('tells a removed guest it lost the board', async () => {
    const owner = await user('Olivia')
    const board = await owner.api.createBoard('Events')
    const invite = await owner.api.createInvite(board.id, { role: 'reader' })
    const guest = await anon.joinAsGuest(invite.token, 'Gil')
    const ev = events(guest.token)
    await ev.subscribe(board.id)
    const lost = ev.next('board:unsubscribed', (p) => p.boardId === board.id)
    await owner.api.revokeInvite(board.id, invite.id)
    expect((await lost)[0].reason.length).toBeGreaterThan(0)
  })

  it('refuses a subscription to a board without access', async () => {
    const owner = await user('Olivia')
    const board = await owner.api.createBoard('Private')
    const stranger = await user('Sam')
    const err = await events(stranger.token)
      .subscribe(board.id)
      .then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('forbidden')
  })

  it('delivers notifications to members live', async () => {
    const owner = await user('Olivia')
    const board = await owner.api.createBoard('Mentions')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const member = await user('Mel')
    await member.api.joinAsUser(invite.token)
    const ev = events(owner.token)
    await ev.subscribe(board.id)
    const note = ev.next('notification', (n) => n.type === 'mention')
    const ownerId = (await owner.api.me()).id
    await member.api.createComment(board.id, { x: 0, y: 0 }, `Hi @[Olivia](user:${ownerId})`)
    expect((await note)[0]).toMatchObject({ type: 'mention', boardId: board.id, read: false })
  })
})
