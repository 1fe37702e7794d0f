// socket.io board events on the shared HTTP server. Routes call the
// BoardEvents methods once, on the instance that made the change; the adapter
// (in-process, or Redis across instances) carries them to every subscriber.
import type { IncomingMessage } from 'node:http'
import { Server as EngineServer, type Socket as EngineSocket } from 'engine.io'
import type { Logger } from 'pino'
import { type DefaultEventsMap, Server, type Socket } from 'socket.io'
import { ErrorCode } from '../../../shared/constants.js'
import {
  type ClientToServerEvents,
  type Notification,
  SOCKET_PATH,
  type ServerToClientEvents,
  SocketEvent,
} from '../../../shared/events.js'
import type { BoardRestoredPayload, HistoryPerson } from '../../../shared/history.js'
import type { BoardTimer, LobbyGuest, Summon, Vote, VoteResult } from '../../../shared/session.js'
import type { PrincipalKind, Thread } from '../../../shared/types.js'
import { principalKey, type PrincipalResolver, type ResolvedPrincipal, signedOutBy } from '../auth/principals.js'
import type { BoardEvents } from './board-events.js'
import { isAccessSignal, type LiveAccess } from '../boards/live-access.js'
import { loadBoard } from '../boards/policy.js'
import { boardHosts, boardParticipants } from '../boards/participant-service.js'
import { presentBoard } from '../boards/present.js'
import type { Bus } from '../bus/bus.js'
import type { BoardSignal } from '../bus/signals.js'
import type { ConnectionLimiter, Slot } from '../util/connection-limiter.js'
import type { PathRouter } from '../util/path-router.js'
import type { Db } from '../store/db.js'

interface SocketData {
  principal: ResolvedPrincipal
  key: string
  /** Access signals seen when authentication started (see onConnection). */
  signalsSeen: number
}

type IO = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>
type IOSocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>

export interface SocketEventsDeps {
  db: Db
  resolver: PrincipalResolver
  /** Whether a subscription may stay (shared with the collaboration hub). */
  live: LiveAccess
  /** Signals, and the transport's health: after an outage every subscription is re-checked. */
  signals: Pick<Bus, 'publish' | 'subscribe' | 'onHealth'>
  /** Caps open sockets per client address. */
  limiter: ConnectionLimiter
  logger: Logger
  corsOrigins: string[]
  /** The one participant, as the participants list shows it (with `online`). */
  participant(boardId: string, kind: PrincipalKind, id: string): Promise<import('../../../shared/types.js').Participant | undefined>
}

const boardRoom = (boardId: string) => `board:${boardId}`
export const userRoom = (userId: string) => `user:${userId}`
/** The user's sockets opened with an API key limited to some boards: they hear no notifications (those span every board). */
const limitedKeyRoom = (userId: string) => `user-limited:${userId}`
const guestRoom = (guestId: string) => `guest:${guestId}`

/** A connect_error the client can read: `err.message` is the code, `err.data` the contract error. */
function connectError(code: string, message: string): Error & { data: unknown } {
  return Object.assign(new Error(code), { data: { code, message } })
}

export class SocketEvents implements BoardEvents {
  readonly io: IO
  readonly engine: EngineServer
  private readonly unsubscribe: () => void
  private readonly unhealth: () => void
  /**
   * Slots taken in allowRequest, by handshake request, until the engine
   * connection made from it owns them, or the request ends without one.
   */
  private readonly pendingSlots = new WeakMap<IncomingMessage, Slot>()
  /** Whether events travel to other instances (the Redis adapter): then local rooms do not tell who listens. */
  private distributed = false

  constructor(private readonly deps: SocketEventsDeps) {
    this.io = new Server({ path: SOCKET_PATH, serveClient: false })
    // The engine is fed by our path router (see attach), so it needs no path.
    this.engine = new EngineServer({
      // Board events are small; a client has no business sending more.
      maxHttpBufferSize: 64 * 1024,
      // One slot per open socket.io connection and address. engine.io asks
      // only for handshakes (requests without a session id, Server.verify);
      // later requests of a session are not counted again.
      allowRequest: (req, callback) => {
        const slot = deps.limiter.acquire(deps.limiter.address(req))
        if (!slot) return callback('too many connections from this address', false)
        this.pendingSlots.set(req, slot)
        callback(null, true)
      },
      cors: deps.corsOrigins.length ? { origin: deps.corsOrigins, credentials: false } : undefined,
    })
    this.io.bind(this.engine)
    // The slot taken in allowRequest is released when the transport closes,
    // whether or not socket.io's authentication let it through; a handshake
    // that fails after allowRequest gives it back in settle().
    this.engine.on('connection', (conn: EngineSocket) => {
      const slot = this.pendingSlots.get(conn.request)
      if (!slot) return
      this.pendingSlots.delete(conn.request)
      conn.once('close', slot.release)
    })
    this.io.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (err: Error) => next(err),
      )
    })
    this.io.on('connection', (socket) => this.onConnection(socket))
    this.unsubscribe = deps.signals.subscribe((signal) => {
      this.onSignal(signal).catch((err: unknown) => deps.logger.error({ err, signal }, 'socket.io signal failed'))
    })
    this.unhealth = deps.signals.onHealth((up) => {
      if (up) this.recheckAll().catch((err: unknown) => deps.logger.error({ err }, 're-checking socket.io after an outage failed'))
    })
  }

  /** Events reach subscribers on every instance through this adapter. */
  useAdapter(adapter: Parameters<IO['adapter']>[0]): void {
    this.io.adapter(adapter)
    this.distributed = true
  }

  /**
   * Whether an event about the board could reach anyone. Saves the database
   * reads behind an event nobody would receive (every first connection and
   * last disconnection of a principal on /collab emits one).
   */
  private listened(boardId: string): boolean {
    return this.distributed || (this.io.of('/').adapter.rooms.get(boardRoom(boardId))?.size ?? 0) > 0
  }

  attach(router: PathRouter): void {
    router.onRequest(SOCKET_PATH, (req, res) => {
      res.once('close', () => this.settle(req))
      this.engine.handleRequest(req, res)
    })
    router.onUpgrade(SOCKET_PATH, (req, socket, head) => {
      socket.once('close', () => this.settle(req))
      this.engine.handleUpgrade(req, socket, head)
    })
  }

  /**
   * The request is over: a slot no connection took (unsupported protocol, a
   * WebSocket handshake ws refused, a client gone mid-way) is given back.
   * A successful polling handshake's connection takes its slot before the
   * response is sent. A WebSocket whose socket closes before its connection
   * exists gives the slot back here, and that (dead) connection holds none.
   */
  private settle(req: IncomingMessage): void {
    const slot = this.pendingSlots.get(req)
    if (!slot) return
    this.pendingSlots.delete(req)
    slot.release()
  }

  private async authenticate(socket: IOSocket): Promise<void> {
    socket.data.signalsSeen = this.deps.live.mark()
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token
    if (typeof token !== 'string' || token === '') throw connectError(ErrorCode.unauthenticated, 'auth.token is required')
    const check = await this.deps.resolver.resolve(token)
    if (!check.ok) {
      switch (check.why) {
        case 'revoked':
          throw connectError(ErrorCode.forbidden, 'Your access to this board was removed')
        case 'guests_off':
          throw connectError(ErrorCode.guestsNotAllowed, 'Guests are turned off on this server')
        case 'invalid':
          throw connectError(ErrorCode.unauthenticated, 'The token is invalid or has expired')
        default: {
          const unreachable: never = check.why
          throw new Error(`unknown refusal ${String(unreachable)}`)
        }
      }
    }
    const p = check.principal
    socket.data.principal = p
    socket.data.key = principalKey(p)
  }

  private onConnection(socket: IOSocket): void {
    const p = socket.data.principal
    // Members hear their own notifications on every socket they open.
    if (p.kind === 'user') void socket.join(userRoom(p.user.id))
    if (p.kind === 'user' && p.apiKey?.boards) void socket.join(limitedKeyRoom(p.user.id))
    // A guest waiting in a lobby hears the answer on its own sockets.
    if (p.kind === 'guest') void socket.join(guestRoom(p.guest.id))
    // A sign-out that arrived while the token was being checked found no
    // socket to close yet: check the token version again, now that it is in userRoom.
    if (p.kind === 'user' && this.deps.live.changedSince(socket.data.signalsSeen)) {
      this.deps.resolver.refresh(p).then(
        (fresh) => {
          if (!fresh.ok) socket.disconnect(true)
        },
        (err: unknown) => this.deps.logger.error({ err }, 're-checking a new socket failed'),
      )
    }
    socket.on(SocketEvent.subscribe, (payload, ack) => {
      const reply = typeof ack === 'function' ? ack : () => {}
      const boardId = (payload as { boardId?: unknown } | undefined)?.boardId
      if (typeof boardId !== 'string' || boardId.length === 0 || boardId.length > 64) {
        return reply({ error: { code: ErrorCode.invalidRequest, message: 'boardId must be a board id' } })
      }
      const signalsSeen = this.deps.live.mark()
      this.checkAccess(socket.data.principal, boardId).then(
        async (refusal) => {
          if (refusal) return reply({ error: refusal })
          await socket.join(boardRoom(boardId))
          if (this.deps.live.changedSince(signalsSeen)) {
            const late = await this.checkAccess(socket.data.principal, boardId)
            if (late) {
              await socket.leave(boardRoom(boardId))
              return reply({ error: late })
            }
          }
          reply({ ok: true })
          // Kicked while being checked: it ends as a subscription present at the kick did.
          if (this.deps.live.kickedSince(signalsSeen, boardId, socket.data.key)) this.takeOut(socket, boardId)
        },
        (err: unknown) => {
          this.deps.logger.error({ err, boardId }, 'board:subscribe failed')
          reply({ error: { code: ErrorCode.internal, message: 'Something went wrong on our side' } })
        },
      )
    })
    socket.on(SocketEvent.unsubscribe, (payload, ack) => {
      const boardId = (payload as { boardId?: unknown } | undefined)?.boardId
      if (typeof boardId === 'string') void socket.leave(boardRoom(boardId))
      if (typeof ack === 'function') ack({ ok: true })
    })
  }

  /** Re-reads the principal too: access may have ended since the socket connected. */
  private async checkAccess(principal: ResolvedPrincipal, boardId: string): Promise<{ code: string; message: string } | null> {
    const standing = await this.deps.live.standing(principal, boardId)
    if (standing.ok) return null
    // A signed-out token's subscriptions end like removed access: the socket itself is disconnected elsewhere.
    if (standing.why === 'signed_out') return { code: ErrorCode.forbidden, message: 'Your access was removed' }
    return { code: standing.error.code, message: standing.error.message }
  }

  // Access changes: drop subscriptions this instance holds that are no longer allowed.
  private async onSignal(signal: BoardSignal): Promise<void> {
    if (!isAccessSignal(signal)) return
    if (signal.type === 'user.signed_out') {
      for (const s of await this.io.local.in(userRoom(signal.userId)).fetchSockets()) {
        const p = s.data.principal
        if (signedOutBy(p, signal)) s.disconnect(true)
      }
      return
    }
    if (signal.type === 'board.deleted') {
      this.io.local.in(boardRoom(signal.boardId)).socketsLeave(boardRoom(signal.boardId))
      return
    }
    if (signal.type === 'principal.kicked') {
      const key = principalKey(signal.target)
      for (const s of await this.io.local.in(boardRoom(signal.boardId)).fetchSockets()) {
        if (s.data.key === key) this.takeOut(s, signal.boardId)
      }
      return
    }
    if (signal.type === 'guest.linked') return this.onSignal({ type: 'access.changed', boardId: signal.boardId, target: { kind: 'guest', id: signal.guestId } })
    return this.recheckBoards(signal.type === 'guests.disabled' ? this.localBoards() : [signal.boardId])
  }

  /** Ends the socket's subscription to the board: a host took its person out (they may subscribe again). */
  private takeOut(s: { leave(room: string): unknown; emit(event: string, ...args: unknown[]): unknown }, boardId: string): void {
    void s.leave(boardRoom(boardId))
    s.emit(SocketEvent.unsubscribed, { boardId, reason: 'kicked' })
  }

  private localBoards(): string[] {
    return [...this.io.of('/').adapter.rooms.keys()].filter((r) => r.startsWith('board:')).map((r) => r.slice(6))
  }

  /**
   * After a bus outage: signals sent meanwhile may never arrive, so every
   * socket's token and every subscription on this instance is checked
   * against the database.
   */
  private async recheckAll(): Promise<void> {
    this.deps.live.bump()
    for (const s of await this.io.local.fetchSockets()) {
      const p = s.data.principal
      if (p?.kind === 'user' && !(await this.deps.resolver.refresh(p)).ok) s.disconnect(true)
    }
    await this.recheckBoards(this.localBoards())
  }

  private async recheckBoards(boardIds: string[]): Promise<void> {
    for (const boardId of boardIds) {
      const sockets = await this.io.local.in(boardRoom(boardId)).fetchSockets()
      for (const s of sockets) {
        const refusal = await this.checkAccess(s.data.principal, boardId)
        if (!refusal) continue
        s.leave(boardRoom(boardId))
        s.emit(SocketEvent.unsubscribed, { boardId, reason: refusal.code })
      }
    }
  }

  // ---- BoardEvents -------------------------------------------------------

  /** Each subscriber gets the board with its own `myRole`. */
  private async emitBoard(boardId: string, event: 'board:updated' | 'board:claimed'): Promise<void> {
    if (!this.listened(boardId)) return
    const loaded = await loadBoard(this.deps.db, boardId)
    if (!loaded) return
    const roles = new Map((await boardParticipants(this.deps.db, loaded)).map((p) => [principalKey(p), p.role]))
    for (const s of await this.io.in(boardRoom(boardId)).fetchSockets()) {
      s.emit(event, { board: presentBoard(loaded, roles.get(s.data.key) ?? null) })
    }
  }

  private fire(what: string, task: Promise<unknown>): void {
    task.catch((err: unknown) => this.deps.logger.error({ err, event: what }, 'emitting a board event failed'))
  }

  boardUpdated(boardId: string): void {
    this.fire('board:updated', this.emitBoard(boardId, 'board:updated'))
  }

  boardClaimed(boardId: string): void {
    this.fire('board:claimed', this.emitBoard(boardId, 'board:claimed'))
  }

  boardExpiring(boardId: string, expiresAt: Date): void {
    this.io.to(boardRoom(boardId)).emit(SocketEvent.boardExpiring, { boardId, expiresAt: expiresAt.toISOString() })
  }

  boardDeleted(boardId: string, reason: 'deleted' | 'expired'): void {
    this.io.to(boardRoom(boardId)).emit(SocketEvent.boardDeleted, { boardId, reason })
  }

  private emitParticipant(boardId: string, kind: PrincipalKind, id: string, event: 'participant:joined' | 'participant:updated'): void {
    if (!this.listened(boardId)) return
    this.fire(
      event,
      this.deps.participant(boardId, kind, id).then((participant) => {
        if (participant) this.io.to(boardRoom(boardId)).emit(event, { boardId, participant })
      }),
    )
  }

  participantJoined(boardId: string, kind: PrincipalKind, id: string): void {
    this.emitParticipant(boardId, kind, id, SocketEvent.participantJoined)
  }

  participantUpdated(boardId: string, kind: PrincipalKind, id: string): void {
    this.emitParticipant(boardId, kind, id, SocketEvent.participantUpdated)
  }

  participantLeft(boardId: string, kind: PrincipalKind, id: string, name: string): void {
    this.io.to(boardRoom(boardId)).emit(SocketEvent.participantLeft, { boardId, participant: { kind, id, name } })
  }

  participantsChanged(boardId: string): void {
    // A revoked link may remove many guests at once: subscribers re-read the list.
    this.boardUpdated(boardId)
  }

  timerUpdated(boardId: string, timer: BoardTimer): void {
    this.io.to(boardRoom(boardId)).emit(SocketEvent.timerUpdated, { boardId, timer })
  }

  summoned(boardId: string, summon: Summon | null): void {
    this.io.to(boardRoom(boardId)).emit(SocketEvent.summoned, { boardId, summon })
  }

  voteUpdated(boardId: string, vote: Vote, results: VoteResult[] | null): void {
    this.io.to(boardRoom(boardId)).emit(SocketEvent.voteUpdated, { boardId, vote, results })
  }

  notesRevealed(boardId: string, notes: number, by: HistoryPerson): void {
    this.io.to(boardRoom(boardId)).emit(SocketEvent.notesRevealed, { boardId, notes, by })
  }

  lobbyKnock(boardId: string, guest: LobbyGuest): void {
    this.fire('lobby:knock', this.toHosts(boardId, (s) => s.emit(SocketEvent.lobbyKnock, { boardId, guest })))
  }

  lobbyAnswered(boardId: string, guestId: string, admitted: boolean): void {
    const payload = { boardId, guestId, admitted }
    this.io.to(guestRoom(guestId)).emit(SocketEvent.lobbyAnswered, payload)
    this.fire('lobby:answered', this.toHosts(boardId, (s) => s.emit(SocketEvent.lobbyAnswered, payload)))
  }

  /** Subscribers who may let people in (owners and member editors), on every instance. */
  private async toHosts(boardId: string, send: (s: { emit: IOSocket['emit'] }) => void): Promise<void> {
    if (!this.listened(boardId)) return
    const loaded = await loadBoard(this.deps.db, boardId)
    if (!loaded) return
    const hosts = await boardHosts(this.deps.db, loaded)
    for (const s of await this.io.in(boardRoom(boardId)).fetchSockets()) if (hosts.has(s.data.key)) send(s)
  }

  boardRestored(payload: BoardRestoredPayload): void {
    this.io.to(boardRoom(payload.boardId)).emit(SocketEvent.boardRestored, payload)
  }

  commentCreated(boardId: string, thread: Thread): void {
    this.io.to(boardRoom(boardId)).emit(SocketEvent.commentCreated, { boardId, thread })
  }

  commentUpdated(boardId: string, thread: Thread): void {
    this.io.to(boardRoom(boardId)).emit(SocketEvent.commentUpdated, { boardId, thread })
  }

  commentDeleted(boardId: string, threadId: string): void {
    this.io.to(boardRoom(boardId)).emit(SocketEvent.commentDeleted, { boardId, threadId })
  }

  notify(userId: string, notification: unknown): void {
    this.io.to(userRoom(userId)).except(limitedKeyRoom(userId)).emit(SocketEvent.notification, notification as Notification)
  }

  async close(): Promise<void> {
    this.unsubscribe()
    this.unhealth()
    this.io.disconnectSockets(true)
    await new Promise<void>((resolve) => {
      this.io.close(() => resolve())
    })
  }
}
