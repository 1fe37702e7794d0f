// Running a session with strangers, against a real server: kick, ban (the
// guest, its browser, its address), end every guest's session, the shared
// timer, "bring everyone to me" and capacity, each tried by the people it
// is not for and by modified clients (raw sockets, crafted requests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode, ExtKind } from '../../shared/constants.js'
import { SocketEvent } from '../../shared/events.js'
import { apiClient } from './helpers/api.js'
import { providerClient, RawClient, waitFor } from './helpers/collab.js'
import { type Actor, castBoard, createInvite, joinAsGuest, joinAsMember } from './helpers/fixtures.js'
import { createTestDatabase, postgresBaseUrl, redisBaseUrl, type TestDatabase, uniqueRedisPrefix } from './helpers/services.js'
import { startServer, type TestServer } from './helpers/server.js'
import { eventSocket } from './helpers/sockets.js'
import { useServer } from './helpers/suite.js'

const suite = useServer({ BAN_ADDRESS_FOR: '0' })
const { api } = suite

const kick = (boardId: string, by: Actor, who: Actor) => api.post(`/api/boards/${boardId}/participants/${who.kind}/${who.id}/kick`, { token: by.token })
const ban = (boardId: string, by: Actor, who: Actor) => api.post(`/api/boards/${boardId}/participants/${who.kind}/${who.id}/ban`, { token: by.token })

describe('kick', () => {
  it('closes the person\'s connections now (4410, board:unsubscribed "kicked"); they may come back', async () => {
    const cast = await castBoard(api)
    const guest = await RawClient.connect(suite.server.url, cast.boardId, cast.guestEditor.token)
    suite.track(guest)
    const other = await RawClient.connect(suite.server.url, cast.boardId, cast.memberEditor.token)
    suite.track(other)
    const events = await suite.events(cast.guestEditor.token, cast.boardId)
    expect((await kick(cast.boardId, cast.memberEditor, cast.guestEditor)).status).toBe(204)
    expect(await guest.waitClose()).toBe(CloseCode.kicked)
    expect((await events.next(SocketEvent.unsubscribed)).reason).toBe('kicked')
    expect(other.closeCode).toBeNull()
    // Not banned: the same token connects again.
    const back = suite.provider(cast.boardId, cast.guestEditor.token)
    await back.synced()
    const activity = (await api.get(`/api/boards/${cast.boardId}/activity`, { token: cast.owner.token })).body.activity
    expect(activity[0]).toMatchObject({ type: 'participant.kicked', data: { target: { id: cast.guestEditor.id } } })
  })

  it('is for owners and member editors only, never against the owner or oneself', async () => {
    const cast = await castBoard(api)
    expect((await kick(cast.boardId, cast.guestEditor, cast.guestReviewer)).body.error.code).toBe('guest_forbidden')
    expect((await kick(cast.boardId, cast.memberReviewer, cast.guestReviewer)).status).toBe(403)
    expect((await kick(cast.boardId, cast.stranger, cast.guestReviewer)).status).toBe(403)
    expect((await kick(cast.boardId, cast.memberEditor, cast.owner)).body.error.message).toBe('The owner cannot be taken out of the session')
    expect((await kick(cast.boardId, cast.memberEditor, cast.memberEditor)).status).toBe(400)
    expect((await api.post(`/api/boards/${cast.boardId}/participants/guest/nobody/kick`, { token: cast.owner.token })).status).toBe(404)
    expect((await api.post(`/api/boards/${cast.boardId}/participants/robot/x/kick`, { token: cast.owner.token })).body.error.code).toBe('invalid_request')
  })
})

describe('ban', () => {
  it('removes a guest, voids its tokens, and refuses its browser again until the ban is lifted', async () => {
    const cast = await castBoard(api)
    const link = await createInvite(api, cast.owner.token, cast.boardId, 'editor')
    const joined = await api.post(`/api/invites/${link.token}/join`, { body: { name: 'Troll', browserId: 'browser-troll-1' } })
    const troll: Actor = { token: joined.body.token, kind: 'guest', id: joined.body.guest.id, name: 'Troll' }
    const conn = await RawClient.connect(suite.server.url, cast.boardId, troll.token)
    suite.track(conn)
    expect((await ban(cast.boardId, cast.owner, troll)).status).toBe(204)
    expect(await conn.waitClose()).toBe(CloseCode.forbidden)
    expect((await api.get(`/api/boards/${cast.boardId}`, { token: troll.token })).status).toBe(403)
    // The same browser, a new name: refused.
    const again = await api.post(`/api/invites/${link.token}/join`, { body: { name: 'Not a troll', browserId: 'browser-troll-1' } })
    expect(again.status).toBe(403)
    expect(again.body.error.code).toBe('banned')
    // Another browser is let in (addresses are not banned on this server: BAN_ADDRESS_FOR=0).
    expect((await api.post(`/api/invites/${link.token}/join`, { body: { name: 'Someone', browserId: 'browser-other-1' } })).status).toBe(201)
    const bans = (await api.get(`/api/boards/${cast.boardId}/bans`, { token: cast.owner.token })).body.bans
    expect(bans).toMatchObject([{ kind: 'guest', name: 'Troll' }])
    expect((await api.get(`/api/boards/${cast.boardId}/bans`, { token: cast.guestEditor.token })).status).toBe(403)
    expect((await api.del(`/api/boards/${cast.boardId}/bans/${bans[0].id}`, { token: cast.owner.token })).status).toBe(204)
    expect((await api.post(`/api/invites/${link.token}/join`, { body: { name: 'Troll', browserId: 'browser-troll-1' } })).status).toBe(201)
  })

  it('keeps a banned member out of the board\'s links', async () => {
    const cast = await castBoard(api)
    expect((await ban(cast.boardId, cast.owner, cast.memberReviewer)).status).toBe(204)
    expect((await api.get(`/api/boards/${cast.boardId}`, { token: cast.memberReviewer.token })).status).toBe(403)
    const link = await createInvite(api, cast.owner.token, cast.boardId, 'reader')
    const back = await api.post(`/api/invites/${link.token}/join`, { token: cast.memberReviewer.token })
    expect(back.status).toBe(403)
    expect(back.body.error.code).toBe('banned')
    expect((await ban(cast.boardId, cast.memberEditor, cast.owner)).status).toBe(403)
    expect((await ban(cast.boardId, cast.guestEditor, cast.guestReader)).body.error.code).toBe('guest_forbidden')
  })
})

describe('ban by address', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ BAN_ADDRESS_FOR: '1h' })
  })
  afterAll(async () => {
    await server.stop()
  })

  it('refuses the banned guest\'s address for a while, whatever browser it claims', async () => {
    const a = apiClient(server.url)
    const cast = await castBoard(a)
    const link = await createInvite(a, cast.owner.token, cast.boardId, 'reviewer')
    const troll = await joinAsGuest(a, link.token, 'Troll')
    expect((await a.post(`/api/boards/${cast.boardId}/participants/guest/${troll.id}/ban`, { token: cast.owner.token })).status).toBe(204)
    const again = await a.post(`/api/invites/${link.token}/join`, { body: { name: 'Fresh', browserId: 'a-new-browser-id' } })
    expect(again.body.error.code).toBe('banned')
    // Members are not affected by an address ban.
    expect((await joinAsMember(a, link.token, 'Mia Member')).kind).toBe('user')
  })
})

describe('end guest session', () => {
  it('disconnects every guest and revokes every link at once; members stay', async () => {
    const cast = await castBoard(api)
    const link = await createInvite(api, cast.owner.token, cast.boardId, 'reviewer')
    const g1 = await RawClient.connect(suite.server.url, cast.boardId, cast.guestEditor.token)
    const g2 = await RawClient.connect(suite.server.url, cast.boardId, cast.guestReader.token)
    const m = await RawClient.connect(suite.server.url, cast.boardId, cast.memberEditor.token)
    for (const c of [g1, g2, m]) suite.track(c)
    expect((await api.post(`/api/boards/${cast.boardId}/end-guest-session`, { token: cast.guestEditor.token })).body.error.code).toBe('guest_forbidden')
    expect((await api.post(`/api/boards/${cast.boardId}/end-guest-session`, { token: cast.memberReviewer.token })).status).toBe(403)
    const res = await api.post(`/api/boards/${cast.boardId}/end-guest-session`, { token: cast.memberEditor.token })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ guests: 3, links: 4 })
    expect(await g1.waitClose()).toBe(CloseCode.forbidden)
    expect(await g2.waitClose()).toBe(CloseCode.forbidden)
    expect(m.closeCode).toBeNull()
    expect((await api.post(`/api/invites/${link.token}/join`, { body: { name: 'Late' } })).body.error.code).toBe('invite_revoked')
    expect((await api.get(`/api/boards/${cast.boardId}`, { token: cast.memberReviewer.token })).status).toBe(200)
  })
})

describe('timer', () => {
  it('is started, paused, resumed and stopped by hosts; everyone sees it live and after reconnecting', async () => {
    const cast = await castBoard(api)
    const watcher = await suite.events(cast.guestReader.token, cast.boardId)
    const set = (by: Actor, body: object) => api.post(`/api/boards/${cast.boardId}/timer`, { token: by.token, body })
    expect((await set(cast.memberReviewer, { action: 'start', durationMs: 60_000 })).status).toBe(403)
    expect((await set(cast.guestReviewer, { action: 'start', durationMs: 60_000 })).status).toBe(403)
    const started = await set(cast.guestEditor, { action: 'start', durationMs: 300_000 })
    expect(started.status).toBe(200)
    expect(started.body.timer).toMatchObject({ state: 'running', durationMs: 300_000, by: { name: 'Gail Guest-Editor', guest: true } })
    expect((await watcher.next(SocketEvent.timerUpdated)).timer.state).toBe('running')
    await new Promise((r) => setTimeout(r, 50))
    const paused = (await set(cast.owner, { action: 'pause' })).body.timer
    expect(paused.state).toBe('paused')
    expect(paused.remainingMs).toBeLessThan(300_000)
    expect(paused.remainingMs).toBeGreaterThan(290_000)
    // A reader who reconnects reads the same timer.
    const read = (await api.get(`/api/boards/${cast.boardId}/timer`, { token: cast.guestReader.token })).body.timer
    expect(read).toMatchObject({ state: 'paused', remainingMs: paused.remainingMs })
    expect((await set(cast.owner, { action: 'pause' })).status).toBe(409)
    const resumed = (await set(cast.owner, { action: 'resume' })).body.timer
    expect(Date.parse(resumed.endsAt) - Date.parse(resumed.serverTime)).toBe(paused.remainingMs)
    expect((await set(cast.owner, { action: 'stop' })).body.timer.state).toBe('stopped')
    for (const bad of [{ action: 'start' }, { action: 'start', durationMs: 10 }, { action: 'start', durationMs: 1e12 }, { action: 'explode' }, { action: 'stop', by: 'me' }]) {
      const res = await set(cast.owner, bad)
      expect(res.status, JSON.stringify(bad)).toBe(400)
      expect(res.body.error.code).toBe('invalid_request')
    }
  })
})

describe('bring everyone to me', () => {
  it('is sent by hosts only, stamped by the server with who sent it; a client cannot send one itself', async () => {
    const cast = await castBoard(api)
    const reader = await suite.events(cast.guestReader.token, cast.boardId)
    const forger = await suite.events(cast.guestReviewer.token, cast.boardId)
    const viewport = { x: 10, y: 20, width: 800, height: 600 }
    const summon = (by: Actor, body: object) => api.post(`/api/boards/${cast.boardId}/summon`, { token: by.token, body })
    expect((await summon(cast.guestReviewer, { viewport })).status).toBe(403)
    // Only the viewport and hold are taken: a claimed sender is refused outright.
    expect((await summon(cast.memberEditor, { viewport, by: { name: 'Olivia Owner' } })).status).toBe(400)
    // A modified client emitting the event itself reaches nobody.
    ;(forger as any).emit(SocketEvent.summoned, { boardId: cast.boardId, summon: { by: { name: 'Olivia Owner' }, viewport, hold: true } })
    const res = await summon(cast.memberEditor, { viewport, hold: true })
    expect(res.status).toBe(200)
    const got = await reader.next(SocketEvent.summoned)
    expect(got.summon).toMatchObject({ viewport, hold: true, by: { kind: 'user', id: cast.memberEditor.id, name: 'Eve Editor' } })
    expect(reader.received.filter(([e]) => e === SocketEvent.summoned)).toHaveLength(1)
    // Whoever joins or reconnects meanwhile reads the summon in force.
    expect((await api.get(`/api/boards/${cast.boardId}/summon`, { token: cast.guestReader.token })).body.summon).toMatchObject({ hold: true, by: { id: cast.memberEditor.id } })
    expect((await api.del(`/api/boards/${cast.boardId}/summon`, { token: cast.memberEditor.token })).status).toBe(204)
    expect((await reader.next(SocketEvent.summoned, (p) => p.summon === null)).summon).toBeNull()
    expect((await api.get(`/api/boards/${cast.boardId}/summon`, { token: cast.guestReader.token })).body.summon).toBeNull()
  })
})

describe('capacity', () => {
  it('past the board\'s capacity newcomers join as readers, told why; the owner always gets in; writes are refused', async () => {
    const cast = await castBoard(api)
    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.memberEditor.token, body: { capacity: 2 } })).status).toBe(403)
    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { capacity: 2 } })).body.board.capacity).toBe(2)
    const a = await RawClient.connect(suite.server.url, cast.boardId, cast.memberEditor.token)
    const b = await RawClient.connect(suite.server.url, cast.boardId, cast.guestEditor.token)
    suite.track(a)
    suite.track(b)
    const welcomeOf = (c: RawClient) => c.until(() => c.ext.find((m) => m.kind === ExtKind.welcome) as any)
    expect((await welcomeOf(a)).role).toBe('editor')
    expect((await welcomeOf(b)).role).toBe('editor')
    await waitFor(async () => (await api.get(`/api/boards/${cast.boardId}/participants`, { token: cast.owner.token })).body.participants.filter((p: any) => p.online).length === 2, 5000, 'two online')
    const c = await RawClient.connect(suite.server.url, cast.boardId, cast.memberReviewer.token)
    suite.track(c)
    expect(await welcomeOf(c)).toMatchObject({ role: 'reader', capacity: { capacity: 2, role: 'reviewer' } })
    // A second tab does not get a seat either.
    const c2 = await RawClient.connect(suite.server.url, cast.boardId, cast.memberReviewer.token)
    suite.track(c2)
    expect((await welcomeOf(c2)).role).toBe('reader')
    c2.close()
    // A modified client writes anyway: refused like any reader's.
    const doc = c.docFromServer()
    const before = Y.encodeStateVector(doc)
    doc.getMap('markup').set('sneaky', new Y.Map())
    c.sendUpdate(Y.encodeStateAsUpdate(doc, before))
    expect(await c.waitClose()).toBe(CloseCode.updateRefused)
    const owner = await RawClient.connect(suite.server.url, cast.boardId, cast.owner.token)
    suite.track(owner)
    expect((await welcomeOf(owner)).role).toBe('owner')
    // Two leave (the owner counted too): the next newcomer gets its own role.
    b.close()
    owner.close()
    await waitFor(async () => (await api.get(`/api/boards/${cast.boardId}/participants`, { token: cast.owner.token })).body.participants.filter((p: any) => p.online).length === 1, 5000, 'b and the owner gone')
    const d = await RawClient.connect(suite.server.url, cast.boardId, cast.memberReviewer.token)
    suite.track(d)
    expect((await welcomeOf(d)).role).toBe('reviewer')
  })
})

describe('lobby', () => {
  it('guests wait to be let in, reach nothing meanwhile, and hear the answer; only hosts hear the knock', async () => {
    const cast = await castBoard(api)
    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.memberEditor.token, body: { lobby: true } })).status).toBe(403)
    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { lobby: true } })).body.board.lobby).toBe(true)
    const link = await createInvite(api, cast.owner.token, cast.boardId, 'editor')
    // Nobody who can let anyone in is on the board yet.
    const early = await api.post(`/api/invites/${link.token}/join`, { body: { name: 'Early Bird' } })
    expect(early.status).toBe(201)
    expect(early.body).toMatchObject({ guest: { admission: 'waiting' }, lobby: { status: 'waiting', hostsOnline: 0 } })
    const host = await RawClient.connect(suite.server.url, cast.boardId, cast.owner.token)
    suite.track(host)
    const hostEvents = await suite.events(cast.owner.token, cast.boardId)
    const readerEvents = await suite.events(cast.memberReader.token, cast.boardId)
    await waitFor(async () => (await api.get(`/api/boards/${cast.boardId}/participants`, { token: cast.owner.token })).body.participants.some((p: any) => p.online), 5000, 'host online')
    const joined = await api.post(`/api/invites/${link.token}/join`, { body: { name: 'Wanda Waiting' } })
    expect(joined.body.lobby.hostsOnline).toBe(1)
    const wanda: Actor = { token: joined.body.token, kind: 'guest', id: joined.body.guest.id, name: 'Wanda Waiting' }
    expect((await hostEvents.next(SocketEvent.lobbyKnock, (p) => p.guest.id === wanda.id)).guest.name).toBe('Wanda Waiting')
    // While waiting: nothing of the board, by any door.
    const board = await api.get(`/api/boards/${cast.boardId}`, { token: wanda.token })
    expect(board.status).toBe(403)
    expect(board.body.error).toEqual({ code: 'waiting_for_host', message: 'Waiting for the host to let you in' })
    expect((await api.get(`/api/boards/${cast.boardId}/participants`, { token: wanda.token })).status).toBe(403)
    const sneak = await RawClient.connect(suite.server.url, cast.boardId, wanda.token)
    suite.track(sneak)
    expect(await sneak.waitClose()).toBe(CloseCode.forbidden)
    expect(sneak.syncPayloads()).toEqual([])
    const wandaEvents = await suite.events(wanda.token)
    expect(await wandaEvents.subscribe(cast.boardId)).toMatchObject({ error: { code: 'waiting_for_host' } })
    expect((await api.get(`/api/boards/${cast.boardId}/lobby/me`, { token: wanda.token })).body).toEqual({ status: 'waiting', hostsOnline: 1 })
    // The join was a knock: knocking again at once is refused, and a second guest's knock carries its message.
    expect((await api.post(`/api/boards/${cast.boardId}/lobby/knock`, { token: wanda.token, body: { message: 'me again' } })).status).toBe(429)
    // Who waits: hosts only.
    expect((await api.get(`/api/boards/${cast.boardId}/lobby`, { token: cast.owner.token })).body.waiting.map((g: any) => g.name)).toEqual(['Early Bird', 'Wanda Waiting'])
    expect((await api.get(`/api/boards/${cast.boardId}/lobby`, { token: cast.guestEditor.token })).body.error.code).toBe('guest_forbidden')
    expect((await api.post(`/api/boards/${cast.boardId}/lobby/${wanda.id}/admit`, { token: cast.memberReviewer.token })).status).toBe(403)
    expect((await api.post(`/api/boards/${cast.boardId}/lobby/${wanda.id}/admit`, { token: wanda.token })).body.error.code).toBe('waiting_for_host')
    // Admitted: told on its own socket, then in.
    expect((await api.post(`/api/boards/${cast.boardId}/lobby/${wanda.id}/admit`, { token: cast.memberEditor.token })).status).toBe(204)
    expect((await wandaEvents.next(SocketEvent.lobbyAnswered)).admitted).toBe(true)
    expect((await api.get(`/api/boards/${cast.boardId}`, { token: wanda.token })).status).toBe(200)
    const inside = suite.provider(cast.boardId, wanda.token)
    await inside.synced()
    // Denied: told, and kept out.
    const early2: Actor = { token: early.body.token, kind: 'guest', id: early.body.guest.id, name: 'Early Bird' }
    const earlyEvents = await suite.events(early2.token)
    expect((await api.post(`/api/boards/${cast.boardId}/lobby/${early2.id}/deny`, { token: cast.owner.token })).status).toBe(204)
    expect((await earlyEvents.next(SocketEvent.lobbyAnswered)).admitted).toBe(false)
    expect((await api.get(`/api/boards/${cast.boardId}`, { token: early2.token })).body.error.code).toBe('lobby_denied')
    expect((await api.post(`/api/boards/${cast.boardId}/lobby/${early2.id}/admit`, { token: cast.owner.token })).status).toBe(404)
    // The reader never heard a knock.
    expect(readerEvents.received.filter(([e]) => e === SocketEvent.lobbyKnock)).toEqual([])
    expect((await api.post(`/api/boards/${cast.boardId}/lobby/knock`, { token: cast.guestEditor.token, body: {} })).status).toBe(409)
  })
})

const pgBase = postgresBaseUrl()
const redisUrl = redisBaseUrl()
const shared = Boolean(pgBase && redisUrl)
if (!shared) process.stdout.write('session.test.ts: two-instance suite SKIPPED (needs DATABASE_URL and REDIS_URL)\n')

describe.skipIf(!shared)('across two instances (PostgreSQL and Redis)', () => {
  let db: TestDatabase
  let one: TestServer
  let two: TestServer
  // How long a test waits for the other instance to act: a bound so nothing
  // hangs, not a speed requirement (that is for benchmarks; a loaded CI
  // machine once took just over a second).
  const ACROSS_INSTANCES_MS = 5_000
  beforeAll(async () => {
    db = await createTestDatabase(pgBase!)
    const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl!, REDIS_PREFIX: uniqueRedisPrefix(), TOKEN_SECRET: 's'.repeat(40), BAN_ADDRESS_FOR: '0' }
    one = await startServer(env)
    two = await startServer(env)
  })
  afterAll(async () => {
    await one?.stop()
    await two?.stop()
    await db?.drop()
  })

  it('a kick, a ban, the end of the guest session, the timer, a lobby knock, a vote, a summon and the capacity count take effect across instances', async () => {
    const a = apiClient(one.url)
    const cast = await castBoard(a)
    const kicked = await RawClient.connect(two.url, cast.boardId, cast.guestEditor.token)
    const banned = await RawClient.connect(two.url, cast.boardId, cast.guestReviewer.token)
    const ended = await RawClient.connect(two.url, cast.boardId, cast.guestReader.token)
    const watcher = await eventSocket(two.url, cast.memberReader.token)
    try {
      expect(await watcher.subscribe(cast.boardId)).toEqual({ ok: true })
      expect((await a.post(`/api/boards/${cast.boardId}/participants/guest/${cast.guestEditor.id}/kick`, { token: cast.owner.token })).status).toBe(204)
      expect(await kicked.waitClose(ACROSS_INSTANCES_MS)).toBe(CloseCode.kicked)
      expect((await a.post(`/api/boards/${cast.boardId}/participants/guest/${cast.guestReviewer.id}/ban`, { token: cast.owner.token })).status).toBe(204)
      expect(await banned.waitClose(ACROSS_INSTANCES_MS)).toBe(CloseCode.forbidden)
      expect((await a.post(`/api/boards/${cast.boardId}/end-guest-session`, { token: cast.owner.token })).status).toBe(200)
      expect(await ended.waitClose(ACROSS_INSTANCES_MS)).toBe(CloseCode.forbidden)
      await a.post(`/api/boards/${cast.boardId}/timer`, { token: cast.owner.token, body: { action: 'start', durationMs: 60_000 } })
      expect((await watcher.next(SocketEvent.timerUpdated, undefined, ACROSS_INSTANCES_MS)).timer.state).toBe('running')
      // A lobby: the knock asked of instance two reaches a host on instance one; the answer comes back.
      const hostEvents = await eventSocket(one.url, cast.owner.token)
      expect(await hostEvents.subscribe(cast.boardId)).toEqual({ ok: true })
      await a.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { lobby: true } })
      const link = (await a.post(`/api/boards/${cast.boardId}/invites`, { token: cast.owner.token, body: { role: 'reviewer' } })).body.invite
      const b = apiClient(two.url)
      const waiting = (await b.post(`/api/invites/${link.token}/join`, { body: { name: 'Walt' } })).body
      const waitingEvents = await eventSocket(two.url, waiting.token)
      expect((await hostEvents.next(SocketEvent.lobbyKnock, undefined, ACROSS_INSTANCES_MS)).guest.name).toBe('Walt')
      expect((await a.post(`/api/boards/${cast.boardId}/lobby/${waiting.guest.id}/admit`, { token: cast.owner.token })).status).toBe(204)
      expect((await waitingEvents.next(SocketEvent.lobbyAnswered, undefined, ACROSS_INSTANCES_MS)).admitted).toBe(true)
      // A vote opened on one instance takes a ballot on the other; its end reaches both.
      const vote = (await a.post(`/api/boards/${cast.boardId}/votes`, { token: cast.owner.token, body: { votesPerPerson: 1, anonymous: false, durationMs: 60_000 } })).body.vote
      expect((await b.post(`/api/boards/${cast.boardId}/votes/${vote.id}/ballots`, { token: waiting.token, body: { elementId: 'e1' } })).status).toBe(200)
      expect((await b.post(`/api/boards/${cast.boardId}/votes/${vote.id}/ballots`, { token: waiting.token, body: { elementId: 'e2' } })).status).toBe(409)
      await a.post(`/api/boards/${cast.boardId}/votes/${vote.id}/end`, { token: cast.owner.token })
      expect((await watcher.next(SocketEvent.voteUpdated, (p) => p.results !== null, ACROSS_INSTANCES_MS)).results).toMatchObject([{ elementId: 'e1', votes: 1, voters: [{ name: 'Walt' }] }])
      // A summon asked of instance one reaches a subscriber of instance two, stamped.
      await a.post(`/api/boards/${cast.boardId}/summon`, { token: cast.owner.token, body: { viewport: { x: 1, y: 2, width: 3, height: 4 } } })
      expect((await watcher.next(SocketEvent.summoned, (p) => p.summon !== null, ACROSS_INSTANCES_MS)).summon.by).toMatchObject({ id: cast.owner.id })
      // Capacity counts people on both instances: with one seat taken on instance one, a newcomer on instance two is a reader.
      await a.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { capacity: 1 } })
      const seated = await RawClient.connect(one.url, cast.boardId, cast.memberEditor.token)
      await seated.until(() => seated.ext.some((m) => m.kind === ExtKind.welcome))
      await waitFor(async () => (await b.get(`/api/boards/${cast.boardId}/participants`, { token: cast.owner.token })).body.participants.some((p: any) => p.id === cast.memberEditor.id && p.online), 5000, 'seated on one, seen on two')
      const newcomer = await RawClient.connect(two.url, cast.boardId, cast.memberReviewer.token)
      expect(await newcomer.until(() => newcomer.ext.find((m) => m.kind === ExtKind.welcome) as any)).toMatchObject({ role: 'reader', capacity: { capacity: 1 } })
      seated.close()
      newcomer.close()
      hostEvents.disconnect()
      waitingEvents.disconnect()
      // And a provider on instance two, re-opened with the kicked guest's token, is refused now (the session ended).
      const back = providerClient(two.url, cast.boardId, cast.guestEditor.token)
      expect(await back.closed()).toBe(CloseCode.forbidden)
      back.destroy()
    } finally {
      for (const c of [kicked, banned, ended]) c.close()
      watcher.disconnect()
    }
  })
})
