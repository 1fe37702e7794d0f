// socket.io board events: auth, subscription checks, every contract event,
// unsubscription on access changes; duplicate and activity.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { registerUser } from './helpers/api.js'
import { providerClient, waitFor } from './helpers/collab.js'
import { type Cast, castBoard, createBoard, createInvite, joinAsGuest, joinAsMember } from './helpers/fixtures.js'
import { holdAccessChecks } from './helpers/hold.js'
import { useServer } from './helpers/suite.js'
import { connectError } from './helpers/sockets.js'

const suite = useServer()
const { api, events } = suite

describe('socket.io connection and subscription', () => {
  it('refuses bad tokens with a connect_error carrying the contract code', async () => {
    expect(await connectError(suite.server.url, null)).toMatchObject({ message: 'unauthenticated', data: { code: 'unauthenticated' } })
    expect(await connectError(suite.server.url, 'forged.token.value')).toMatchObject({ data: { code: 'unauthenticated' } })
  })

  it('checks access on board:subscribe', async () => {
    const cast = await castBoard(api)
    const stranger = await events(cast.stranger.token)
    expect(await stranger.subscribe(cast.boardId)).toMatchObject({ error: { code: 'forbidden' } })
    expect(await stranger.subscribe('no-such-board')).toMatchObject({ error: { code: 'not_found' } })
    expect(await stranger.subscribe(42 as unknown as string)).toMatchObject({ error: { code: 'invalid_request' } })
    const otherBoard = await createBoard(api, cast.owner.token)
    const guest = await events(cast.guestReader.token)
    expect(await guest.subscribe(otherBoard.id)).toMatchObject({ error: { code: 'forbidden' } })
    expect(await guest.subscribe(cast.boardId)).toEqual({ ok: true })
  })

  it('works over long-polling too (requests routed by path)', async () => {
    const cast = await castBoard(api)
    const s = await events(cast.owner.token, cast.boardId, ['polling'])
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { title: 'Polled' } })
    expect((await s.next('board:updated')).board.title).toBe('Polled')
  })
})

describe('board events', () => {
  /** The guest reader asks to subscribe; its access check passes and is held while `change` runs. */
  async function subscribeDuring(change: (cast: Cast) => Promise<void>) {
    const cast = await castBoard(api)
    const guest = await events(cast.guestReader.token)
    const hold = holdAccessChecks(suite.server, 'guest')
    try {
      const answer = guest.subscribe(cast.boardId)
      await hold.reached
      await change(cast)
      hold.release()
      return { cast, guest, answer: await answer }
    } finally {
      hold.release()
    }
  }

  async function hearsNothingMore(cast: Cast, guest: Awaited<ReturnType<typeof events>>) {
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { title: 'After' } })
    await new Promise((r) => setTimeout(r, 200))
    expect(guest.received.filter(([e]) => e === 'board:updated')).toEqual([])
  }

  it('a subscription checked just before guests are turned away is refused, not kept', async () => {
    const { cast, guest, answer } = await subscribeDuring(async (c) => {
      const res = await api.patch(`/api/boards/${c.boardId}`, { token: c.owner.token, body: { accessMode: 'specific_users' } })
      expect(res.status).toBe(200)
    })
    expect(answer).toMatchObject({ error: { code: 'guests_not_allowed' } })
    await hearsNothingMore(cast, guest)
  })

  // A kick leaves nothing in the database, so the subscription's re-check cannot see one landing meanwhile.
  it('a subscription being checked when its guest is kicked ends as if it had been there: board:unsubscribed, kicked', async () => {
    const { cast, guest } = await subscribeDuring(async (c) => {
      const res = await api.post(`/api/boards/${c.boardId}/participants/guest/${c.guestReader.id}/kick`, { token: c.owner.token })
      expect(res.status).toBe(204)
    })
    expect(await guest.next('board:unsubscribed', undefined, 3000)).toEqual({ boardId: cast.boardId, reason: 'kicked' })
    await hearsNothingMore(cast, guest)
    // They may come back.
    expect(await guest.subscribe(cast.boardId)).toEqual({ ok: true })
  })

  it('board:updated carries each subscriber its own myRole', async () => {
    const cast = await castBoard(api)
    const owner = await events(cast.owner.token, cast.boardId)
    const guest = await events(cast.guestReviewer.token, cast.boardId)
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { locked: true } })
    expect((await owner.next('board:updated')).board).toMatchObject({ locked: true, myRole: 'owner' })
    expect((await guest.next('board:updated')).board).toMatchObject({ locked: true, myRole: 'reviewer' })
  })

  it('participant:joined, :updated and :left', async () => {
    const cast = await castBoard(api)
    const owner = await events(cast.owner.token, cast.boardId)
    const link = await createInvite(api, cast.owner.token, cast.boardId, 'reviewer')
    const g = await joinAsGuest(api, link.token, 'Newcomer')
    expect((await owner.next('participant:joined', (p) => p.participant.id === g.id)).participant).toMatchObject({
      kind: 'guest',
      name: 'Newcomer',
      role: 'reviewer',
      guest: true,
    })
    await api.patch(`/api/boards/${cast.boardId}/participants/guest/${g.id}`, { token: cast.owner.token, body: { role: 'reader' } })
    expect((await owner.next('participant:updated', (p) => p.participant.id === g.id)).participant.role).toBe('reader')
    // Coming online is an update too.
    const c = providerClient(suite.server.url, cast.boardId, g.token)
    await c.synced()
    await owner.next('participant:updated', (p) => p.participant.id === g.id && p.participant.online)
    c.destroy()
    await api.del(`/api/boards/${cast.boardId}/participants/guest/${g.id}`, { token: cast.owner.token })
    expect(await owner.next('participant:left', (p) => p.participant.id === g.id)).toEqual({
      boardId: cast.boardId,
      participant: { kind: 'guest', id: g.id, name: 'Newcomer' },
    })
  })

  it('access changes unsubscribe the affected sockets', async () => {
    const cast = await castBoard(api)
    const removed = await events(cast.memberReader.token, cast.boardId)
    const guest = await events(cast.guestEditor.token, cast.boardId)
    const keeper = await events(cast.memberEditor.token, cast.boardId)
    await api.del(`/api/boards/${cast.boardId}/participants/user/${cast.memberReader.id}`, { token: cast.owner.token })
    expect(await removed.next('board:unsubscribed')).toMatchObject({ boardId: cast.boardId, reason: 'forbidden' })
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { accessMode: 'specific_users' } })
    expect(await guest.next('board:unsubscribed')).toMatchObject({ reason: 'guests_not_allowed' })
    // Unsubscribed sockets hear nothing more of the board.
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { title: 'After' } })
    await keeper.next('board:updated', (p) => p.board.title === 'After')
    await new Promise((r) => setTimeout(r, 100))
    expect(guest.received.filter(([e, p]) => e === 'board:updated' && p.board.title === 'After')).toEqual([])
    expect(removed.received.filter(([e, p]) => e === 'board:updated' && p.board.title === 'After')).toEqual([])
  })

  it('board:deleted on deletion by the owner', async () => {
    const cast = await castBoard(api)
    const s = await events(cast.guestReader.token, cast.boardId)
    await api.del(`/api/boards/${cast.boardId}`, { token: cast.owner.token })
    expect(await s.next('board:deleted')).toEqual({ boardId: cast.boardId, reason: 'deleted' })
  })
})

describe('duplicate and activity', () => {
  it('duplicates content into a board owned by the caller; guests and reviewers may not', async () => {
    const cast = await castBoard(api)
    const c = providerClient(suite.server.url, cast.boardId, cast.owner.token)
    await c.synced()
    c.doc.getMap('shapes').set('orig', new Y.Map([['type', 'rect']]))
    await waitFor(() => suite.server.hub.room(cast.boardId)?.doc.getMap('shapes').has('orig'))
    const res = await api.post(`/api/boards/${cast.boardId}/duplicate`, { token: cast.memberEditor.token })
    expect(res.status).toBe(201)
    expect(res.body.board).toMatchObject({ title: 'Copy of Cast board', ownerId: cast.memberEditor.id, myRole: 'owner' })
    const copy = providerClient(suite.server.url, res.body.board.id, cast.memberEditor.token)
    await copy.synced()
    expect((copy.doc.getMap('shapes').get('orig') as Y.Map<unknown>).get('type')).toBe('rect')
    c.destroy()
    copy.destroy()
    for (const who of [cast.guestEditor, cast.memberReviewer, cast.stranger]) {
      const r = await api.post(`/api/boards/${cast.boardId}/duplicate`, { token: who.token })
      expect(r.status).toBe(403)
    }
    expect((await api.post(`/api/boards/${cast.boardId}/duplicate`, { token: cast.guestEditor.token })).body.error.code).toBe('guest_forbidden')
  })

  it('records joins (with guest names), roles, removals, invites, claims, locks and archives, newest first, paginated', async () => {
    const owner = await registerUser(api, 'Ona')
    const board = await createBoard(api, owner.token, 'Audited')
    const link = await createInvite(api, owner.token, board.id, 'reviewer')
    const g = await joinAsGuest(api, link.token, 'Typed Name')
    const m = await joinAsMember(api, link.token, 'Member')
    await api.patch(`/api/boards/${board.id}/participants/user/${m.id}`, { token: owner.token, body: { role: 'editor' } })
    await api.del(`/api/boards/${board.id}/participants/guest/${g.id}`, { token: owner.token })
    await api.patch(`/api/boards/${board.id}`, { token: owner.token, body: { locked: true, archived: true } })
    await api.del(`/api/boards/${board.id}/invites/${link.id}`, { token: owner.token })
    const all = (await api.get(`/api/boards/${board.id}/activity?limit=100`, { token: m.token })).body
    const types = all.activity.map((a: any) => a.type)
    expect(types).toEqual([
      'invite.revoked',
      'board.archived',
      'board.locked',
      'participant.removed',
      'participant.role_changed',
      'participant.joined',
      'participant.joined',
      'invite.created',
      'board.created',
    ])
    const guestJoin = all.activity.find((a: any) => a.type === 'participant.joined' && a.data.guest)
    expect(guestJoin.actor).toEqual({ kind: 'guest', id: g.id, name: 'Typed Name' })
    const page1 = (await api.get(`/api/boards/${board.id}/activity?limit=4`, { token: owner.token })).body
    expect(page1.activity).toHaveLength(4)
    const page2 = (await api.get(`/api/boards/${board.id}/activity?limit=10&cursor=${page1.nextCursor}`, { token: owner.token })).body
    expect([...page1.activity, ...page2.activity].map((a: any) => a.type)).toEqual(types)
    expect(page2.nextCursor).toBeNull()
    expect((await api.get(`/api/boards/${board.id}/activity?limit=abc`, { token: owner.token })).status).toBe(400)
  })

  it('keeps the activity log from guests and reviewers', async () => {
    const cast = await castBoard(api)
    const g = await api.get(`/api/boards/${cast.boardId}/activity`, { token: cast.guestEditor.token })
    expect(g.status).toBe(403)
    expect(g.body.error.code).toBe('guest_forbidden')
    expect((await api.get(`/api/boards/${cast.boardId}/activity`, { token: cast.memberReviewer.token })).status).toBe(403)
  })
})
