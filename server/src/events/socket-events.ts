// socket.io board events on the shared HTTP server. Routes call the
// BoardEvents methods once, on the instance that made the change; the adapter
// (in-process, or Redis across instances) carries them to every subscriber.
import { Server as EngineServer } from 'engine.io'
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
import type { PrincipalKind, Thread } from '../../../shared/types.js'
import type { PrincipalResolver, ResolvedPrincipal } from '../auth/principals.js'
import type { BoardEvents } from '../boards/events.js'
import { principalKey } from '../boards/deps.js'
import { loadBoard, type Policy } from '../boards/policy.js'
import { boardParticipants } from '../boards/participant-service.js'
import { presentBoard } from '../boards/present.js'
import type { BoardSignal, SignalTransport } from '../bus/signals.js'
import type { ConnectionLimiter } from '../http/connection-limiter.js'
import type { PathRouter } from '../http/path-router.js'
import type { Db } from '../store/db.js'

interface SocketData {
  principal: ResolvedPrincipal
  key: string
}

type IO = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>
type IOSocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>

export interface SocketEventsDeps {
  db: Db
  policy: Policy
  resolver: PrincipalResolver
  signals: SignalTransport
  /** Caps open sockets per client address. */
  limiter: ConnectionLimiter
  logger: Logger
  corsOrigins: string[]
  /** The one participant, as the participants list shows it (with `online`). */
  participant(boardId: string, kind: PrincipalKind, id: string): Promise<import('../../../shared/types.js').Participant | undefined>
}

const boardRoom = (boardId: string) => `board:${boardId}`
export const userRoom = (userId: string) => `user:${userId}`

/** A connect_error the client can read: `err.message` is the code, `err.data` the contract error. */
function connectError(code: string, message: string): Error & { data: unknown } {
  return Object.assign(new Error(code), { data: { code, message } })
}

export class SocketEvents implements BoardEvents {
  readonly io: IO
  readonly engine: EngineServer
  private readonly unsubscribe: () => void
  /** Whether events travel to other instances (the Redis adapter): then local rooms do not tell who listens. */
  private distributed = false
  /** Access signals received; a subscription checked while one arrived is checked again (see CollabHub). */
  private accessSignals = 0

  constructor(private readonly deps: SocketEventsDeps) {
    this.io = new Server({ path: SOCKET_PATH, serveClient: false })
    // The engine is fed by our path router (see attach), so it needs no path.
    this.engine = new EngineServer({
      // Board events are small; a client has no business sending more.
      maxHttpBufferSize: 64 * 1024,
      // One slot per open socket.io connection and address; see onConnection for the release.
      allowRequest: (req, callback) => {
        if (req.url?.includes('sid=')) return callback(null, true)
        const ip = deps.limiter.address(req)
        if (!deps.limiter.acquire(ip)) return callback('too many connections from this address', false)
        ;(req as { drawbridgeIp?: string }).drawbridgeIp = ip
        callback(null, true)
      },
      cors: deps.corsOrigins.length ? { origin: deps.corsOrigins, credentials: false } : undefined,
    })
    this.io.bind(this.engine)
    // The slot taken in allowRequest is released when the transport closes,
    // whether or not socket.io's authentication let it through.
    this.engine.on('connection', (conn: { request: { drawbridgeIp?: string }; once(e: 'close', f: () => void): void }) => {
      const ip = conn.request.drawbridgeIp
      if (ip) conn.once('close', () => deps.limiter.release(ip))
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
    router.onRequest(SOCKET_PATH, (req, res) => this.engine.handleRequest(req, res))
    router.onUpgrade(SOCKET_PATH, (req, socket, head) => this.engine.handleUpgrade(req, socket, head))
  }

  private async authenticate(socket: IOSocket): Promise<void> {
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
    socket.data.key = principalKey(p.kind, p.kind === 'user' ? p.user.id : p.guest.id)
  }

  private onConnection(socket: IOSocket): void {
    const p = socket.data.principal
    // Members hear their own notifications on every socket they open.
    if (p.kind === 'user') void socket.join(userRoom(p.user.id))
    socket.on(SocketEvent.subscribe, (payload, ack) => {
      const reply = typeof ack === 'function' ? ack : () => {}
      const boardId = (payload as { boardId?: unknown } | undefined)?.boardId
      if (typeof boardId !== 'string' || boardId.length === 0 || boardId.length > 64) {
        return reply({ error: { code: ErrorCode.invalidRequest, message: 'boardId must be a board id' } })
      }
      const signalsSeen = this.accessSignals
      this.checkAccess(socket.data.principal, boardId).then(
        async (refusal) => {
          if (refusal) return reply({ error: refusal })
          await socket.join(boardRoom(boardId))
          if (this.accessSignals !== signalsSeen) {
            const late = await this.checkAccess(socket.data.principal, boardId)
            if (late) {
              await socket.leave(boardRoom(boardId))
              return reply({ error: late })
            }
          }
          reply({ ok: true })
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
    const { db, policy } = this.deps
    const fresh = await this.deps.resolver.refresh(principal)
    if (!fresh) return { code: ErrorCode.forbidden, message: 'Your access was removed' }
    const loaded = await loadBoard(db, boardId)
    if (!loaded) return { code: ErrorCode.notFound, message: 'Board not found' }
    const access = await policy.accessTo(db, fresh, loaded)
    const refusal = policy.refusal(access, 'board.view')
    return refusal ? { code: refusal.code, message: refusal.message } : null
  }

  // Access changes: drop subscriptions this instance holds that are no longer allowed.
  private async onSignal(signal: BoardSignal): Promise<void> {
    if (signal.type === 'guests.enabled') return
    this.accessSignals++
    if (signal.type === 'board.deleted') {
      this.io.local.in(boardRoom(signal.boardId)).socketsLeave(boardRoom(signal.boardId))
      return
    }
    if (signal.type === 'guest.linked') return this.onSignal({ type: 'access.changed', boardId: signal.boardId, target: { kind: 'guest', id: signal.guestId } })
    const boardIds =
      signal.type === 'guests.disabled'
        ? [...this.io.of('/').adapter.rooms.keys()].filter((r) => r.startsWith('board:')).map((r) => r.slice(6))
        : [signal.boardId]
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
    const roles = new Map((await boardParticipants(this.deps.db, loaded)).map((p) => [principalKey(p.kind, p.id), p.role]))
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
    this.io.to(userRoom(userId)).emit(SocketEvent.notification, notification as Notification)
  }

  async close(): Promise<void> {
    this.unsubscribe()
    this.io.disconnectSockets(true)
    await new Promise<void>((resolve) => {
      this.io.close(() => resolve())
    })
  }
}
