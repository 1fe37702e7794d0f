// The collaboration hub: authenticates connections, loads and unloads rooms
// under a per-board lock, and applies access changes to live connections.
import type { Logger } from 'pino'
import type * as Y from 'yjs'
import type { Role } from '../../../shared/capabilities.js'
import { CloseCode } from '../../../shared/constants.js'
import {
  parsePrincipalKey,
  principalKey,
  type PrincipalRef,
  type PrincipalResolver,
  type ResolvedPrincipal,
  samePrincipal,
  signedOutBy,
} from '../auth/principals.js'
import type { LiveAccess } from '../boards/live-access.js'
import { loadBoard, type Policy } from '../boards/policy.js'
import { lookUpConnect } from '../boards/connect-lookup.js'
import type { Bus, RoomMessageKind } from '../bus/bus.js'
import type { BoardSignal } from '../bus/signals.js'
import type { Db } from '../store/db.js'
import { KeyedLock } from '../util/keyed-lock.js'
import { presenceUser } from './presence-user.js'
import type { Connection } from './connection.js'
import { seatFor } from './capacity.js'
import { BoardGoneError, type DocStore } from '../store/doc-store.js'
import { mergeInline } from '../store/merge-inline.js'
import { dropShadow } from '../boards/elements.js'
import { type BoardFlags, type DetachedResult, Room, type RoomLimits, type RoomMetrics } from './room.js'

/** What the update guard needs of the board's settings. */
function flagsOf(board: { locked: boolean; archived: boolean; guestTools: string[] | null; lockedFrames: string[] }): BoardFlags {
  return { locked: board.locked, archived: board.archived, guestTools: board.guestTools, lockedFrames: board.lockedFrames }
}

export interface HubDeps {
  db: Db
  policy: Policy
  /** Turns a connection's token into its principal (the one resolver HTTP and socket.io use too). */
  resolver: PrincipalResolver
  /** Re-checks live connections after access changes (shared with socket.io). */
  live: LiveAccess
  docStore: DocStore
  bus: Bus
  logger: Logger
  /** Per-room limits: update work, presence, document size, markup quotas. */
  limits: RoomLimits
  metrics?: RoomMetrics
  /** People at once with their own role on a board that does not set its own capacity. */
  capacity?: number
}

export { presenceColor, presenceUser } from './presence-user.js'

const KICKED = 'a host took you out of the session'

export class CollabHub {
  private readonly rooms = new Map<string, Room>()
  private readonly loading = new Map<string, Promise<Room>>()
  private readonly lock = new KeyedLock()
  private readonly unsubscribe: () => void
  private readonly unhealth: () => void
  private closing = false
  /** The bus is down: collaboration would diverge across instances, so it pauses (1013). */
  private unavailable = false
  private readonly catchUps = new Map<string, NodeJS.Timeout>()

  constructor(private readonly deps: HubDeps) {
    // Compaction measures a board's stored size again (deleted content shrinks).
    deps.docStore.onCompacted = (boardId, bytes) => this.rooms.get(boardId)?.size.recount(bytes)
    // With one instance, every row of a loaded board's log went through its
    // room, so the room's document can be the snapshot (the database
    // decides whether it uses it). With other instances it may lag theirs.
    if (deps.bus.kind === 'local') deps.docStore.liveDocument = (boardId) => this.rooms.get(boardId)?.appendedDoc ?? null
    this.unsubscribe = deps.bus.subscribe((signal) => {
      this.onSignal(signal).catch((err: unknown) => deps.logger.error({ err, signal }, 'applying a signal failed'))
    })
    this.unavailable = !deps.bus.healthy
    this.unhealth = deps.bus.onHealth((up) => (up ? this.resume() : this.suspend()))
    if (deps.bus.kind === 'redis') {
      this.expiry = setInterval(() => {
        const now = Date.now()
        for (const room of this.rooms.values()) room.expireRemoteAwareness(now)
      }, 15_000)
      this.expiry.unref()
    }
  }

  private expiry: NodeJS.Timeout | null = null

  private get bus(): Bus {
    return this.deps.bus
  }

  /** Redis is gone: close every collaboration socket with 1013 (clients retry) until it is back. */
  private suspend(): void {
    this.unavailable = true
    for (const room of this.rooms.values()) room.closeAll(CloseCode.tryAgainLater, 'a dependency is down; try again later')
  }

  /**
   * Back: whatever was published while we were away is in the database;
   * catch up from there. Signals sent meanwhile may never reach us, so every
   * live connection is re-checked against the database as well.
   */
  private resume(): void {
    this.unavailable = false
    for (const boardId of this.rooms.keys()) this.scheduleCatchUp(boardId, 0)
    this.deps.live.bump()
    for (const boardId of [...this.rooms.keys()]) {
      this.recheck(boardId).catch((err: unknown) => this.deps.logger.error({ err, boardId }, 're-checking after an outage failed'))
    }
  }

  /**
   * Applies what the database has that the room does not (idempotent). Runs
   * after a bus outage, and when a remote update arrived before one it
   * depends on (pub/sub lost or reordered it; the log has it).
   */
  private scheduleCatchUp(boardId: string, delayMs: number): void {
    if (this.catchUps.has(boardId)) return
    const timer = setTimeout(() => {
      this.catchUps.delete(boardId)
      void this.lock
        .run(boardId, async () => {
          const room = this.rooms.get(boardId)
          if (!room || room.destroyed) return
          const loaded = await this.deps.docStore.load(boardId)
          room.catchUp([...(loaded.snapshot ? [loaded.snapshot] : []), ...loaded.updates])
        })
        .catch((err: unknown) => this.deps.logger.warn({ err, boardId }, 'catch-up failed'))
    }, delayMs)
    timer.unref()
    this.catchUps.set(boardId, timer)
  }

  private presenceListener: ((boardId: string, kind: 'user' | 'guest', id: string) => void) | null = null

  /** Called when a principal's first connection to a board opens or its last one closes. */
  onPresenceChange(listener: (boardId: string, kind: 'user' | 'guest', id: string) => void): void {
    this.presenceListener = listener
  }

  private onlineOf: ((boardId: string) => Promise<Set<string>>) | null = null

  /** Who is online on a board on every instance (the presence registry): capacity counts them. */
  countOnlineWith(lookup: (boardId: string) => Promise<Set<string>>): void {
    this.onlineOf = lookup
  }

  private historyListener: ((boardId: string, what: 'updated' | 'unloaded') => void) | null = null

  /** Told when this instance stores an update on a board and when a board's room unloads (history's automatic versions). */
  onHistoryEvent(listener: (boardId: string, what: 'updated' | 'unloaded') => void): void {
    this.historyListener = listener
  }

  /**
   * Writes into a board's live document as `principal` would from a client:
   * `build` gets the document (built, current) and answers the update to
   * write (null: nothing), which then goes through the room like any
   * client's (guard, limits, log, broadcast, other instances). The room is
   * loaded for it if nobody is on the board.
   */
  async writeAs(boardId: string, principal: ResolvedPrincipal, role: Role, build: (doc: Y.Doc) => Uint8Array | null): Promise<DetachedResult & { written: boolean }> {
    const loaded = await loadBoard(this.deps.db, boardId)
    if (!loaded) return { ok: false, code: CloseCode.notFound, reason: 'board not found', written: false }
    const room = await this.hold(boardId, flagsOf(loaded.board))
    try {
      if (room.destroyed) return { ok: false, code: CloseCode.tryAgainLater, reason: 'the board was unloaded; try again', written: false }
      const update = build(room.doc)
      if (!update) return { ok: true, written: false }
      const identity = { principal, principalKey: principalKey(principal), role, user: presenceUser(principal, role) }
      const result = await room.writeDetached(identity, update)
      // A copy the update was built on (boards/elements.ts) now holds what the room refused.
      if (!result.ok) dropShadow(room.doc)
      return { ...result, written: result.ok }
    } finally {
      this.unhold(room)
    }
  }

  async readLive<T>(boardId: string, use: (doc: Y.Doc) => T): Promise<{ ok: true; value: T } | { ok: false; code: number; reason: string }> {
    const loaded = await loadBoard(this.deps.db, boardId)
    if (!loaded) return { ok: false, code: CloseCode.notFound, reason: 'board not found' }
    const room = await this.hold(boardId, flagsOf(loaded.board))
    try {
      if (room.destroyed) return { ok: false, code: CloseCode.tryAgainLater, reason: 'the board was unloaded; try again' }
      return { ok: true, value: use(room.doc) }
    } finally {
      this.unhold(room)
    }
  }

  /** The board's current document as one update: from the open room, or from storage. */
  async currentState(boardId: string): Promise<Uint8Array | null> {
    const room = this.rooms.get(boardId)
    if (room && !room.destroyed) {
      const state = await room.encodeState()
      // Dropped meanwhile (storage failed): what counts is what is stored.
      if (!room.destroyed) return state
    }
    const loaded = await this.deps.docStore.load(boardId).catch((err: unknown) => {
      if (err instanceof BoardGoneError) return null
      throw err
    })
    if (!loaded) return null
    const parts = [...(loaded.snapshot ? [loaded.snapshot] : []), ...loaded.updates]
    if (parts.length === 0) return null
    return parts.length === 1 ? parts[0]! : mergeInline(parts)
  }

  get roomCount(): number {
    return this.rooms.size
  }

  get connectionCount(): number {
    let n = 0
    for (const r of this.rooms.values()) n += r.conns.size
    return n
  }

  room(boardId: string): Room | undefined {
    return this.rooms.get(boardId)
  }

  /** Principals connected to the board on this instance. */
  localPrincipals(boardId: string): Set<string> {
    return this.rooms.get(boardId)?.onlinePrincipals() ?? new Set()
  }

  localBoards(): Iterable<string> {
    return this.rooms.keys()
  }

  /** Authenticates a fresh connection and puts it in its board's room, or closes it with the reason. */
  async connect(conn: Connection, boardId: string, token: string | null): Promise<void> {
    if (this.closing) return conn.close(CloseCode.goingAway, 'server shutting down')
    if (this.unavailable) return conn.close(CloseCode.tryAgainLater, 'a dependency is down; try again later')
    const started = performance.now()
    const signalsSeen = this.deps.live.mark()
    const refuse = (code: number, reason: string) => conn.close(code, reason)
    if (!token) return refuse(CloseCode.unauthenticated, 'token required')
    // The signature first (no database), then the board, then the principal
    // (read together: boards/connect-lookup.ts), refused in that order.
    const claims = await this.deps.resolver.claims(token)
    if (!claims) return refuse(CloseCode.unauthenticated, 'invalid or expired token')
    const { db, policy } = this.deps
    const found = await lookUpConnect(db, this.deps.resolver, boardId, claims)
    if (!found) return refuse(CloseCode.notFound, 'board not found')
    const { loaded, check } = found
    if (!check.ok) {
      if (check.why === 'invalid') return refuse(CloseCode.unauthenticated, 'invalid token')
      return refuse(CloseCode.forbidden, check.why === 'guests_off' ? 'guests are turned off' : 'access removed')
    }
    const principal = check.principal
    const access =
      found.memberRole === undefined ? await policy.accessTo(db, principal, loaded) : await policy.accessFrom(loaded, principal, found.memberRole)
    const refusal = policy.entryRefusal(access)
    if (refusal || !access.role) return refuse(CloseCode.forbidden, refusal?.message ?? 'no access')
    const authorized = performance.now()
    let room: Room
    try {
      room = await this.hold(boardId, flagsOf(loaded.board))
    } catch (err) {
      if (err instanceof BoardGoneError) return refuse(CloseCode.notFound, 'board not found')
      throw err
    }
    // Held until the connection is in it: the last one may leave while the
    // seat is looked up, and the room must not unload under this join.
    const key = principalKey(principal)
    try {
      const seat =
        this.onlineOf && access.role !== 'owner' && access.role !== 'reader'
          ? seatFor(access.role, key, loaded.board.capacity ?? this.deps.capacity ?? Infinity, await this.onlineOf(boardId), this.rooms.get(boardId)?.conns ?? [])
          : { role: access.role }
      if (conn.state !== 'authenticating') return
      // Held, only a deleted board or a broken room goes away: the client's
      // retry then learns which (4404, or a fresh room).
      if (room.destroyed) return refuse(CloseCode.tryAgainLater, 'the board was unloaded; try again')
      conn.onError = (err) => this.deps.logger.error({ err, boardId, conn: conn.id }, 'connection failed')
      conn.open({ principal, principalKey: key, role: seat.role, user: presenceUser(principal, seat.role), capacity: seat.notice }, room)
    } finally {
      this.unhold(room)
    }
    if (this.deps.live.kickedSince(signalsSeen, boardId, key)) return conn.close(CloseCode.kicked, KICKED)
    if (this.deps.live.changedSince(signalsSeen)) await this.recheck(boardId, principal)
    const { logger } = this.deps
    if (logger.isLevelEnabled('debug')) {
      const ready = performance.now()
      logger.debug(
        { boardId, conn: conn.id, role: access.role, authMs: +(authorized - started).toFixed(2), roomMs: +(ready - authorized).toFixed(2) },
        'collab connection joined',
      )
    }
  }

  /**
   * The board's room, held: it does not unload until `unhold`. A room that
   * finished unloading between being found and being held is loaded again.
   */
  private async hold(boardId: string, flags: BoardFlags): Promise<Room> {
    for (let tries = 1; ; tries++) {
      const room = await this.acquire(boardId, flags)
      if (!room.destroyed || tries === 3) {
        room.holds++
        return room
      }
    }
  }

  private unhold(room: Room): void {
    room.holds--
    if (room.conns.size === 0 && room.holds === 0) this.scheduleUnload(room)
  }

  /** The board's room, loading it once however many join at the same time. */
  private acquire(boardId: string, flags: BoardFlags): Promise<Room> {
    const open = this.rooms.get(boardId)
    if (open && !open.destroyed) return Promise.resolve(open)
    let pending = this.loading.get(boardId)
    if (!pending) {
      pending = this.lock
        .run(boardId, async () => {
          const existing = this.rooms.get(boardId)
          if (existing && !existing.destroyed) return existing
          // Subscribe before loading: an update another instance accepts now
          // is either in what we load or in what we buffer, never lost.
          const early: [RoomMessageKind, Uint8Array][] = []
          let target: Room | null = null
          await this.bus.joinRoom(boardId, (kind, data) => {
            if (target) this.applyRemote(target, kind, data)
            else early.push([kind, data])
          })
          // Under the lock, and load() checks the board still exists: a delete
          // that ran before us must win.
          const loaded = await this.deps.docStore.load(boardId).catch((err: unknown) => {
            this.bus.leaveRoom(boardId)
            throw err
          })
          const room = new Room(boardId, loaded, flags, {
            docLog: this.deps.docStore,
            logger: this.deps.logger,
            limits: this.deps.limits,
            shared: this.bus.kind === 'redis',
            onBroken: (r, why) => this.breakRoom(r, why),
            metrics: this.deps.metrics ?? {},
            publish: (b, kind, data) => {
              if (kind === 'update') this.historyListener?.(b, 'updated')
              this.bus.publishRoom(b, kind, data)
            },
            onEmpty: (r) => this.scheduleUnload(r),
            presenceChanged: (b, key) => {
              const { kind, id } = parsePrincipalKey(key)
              this.presenceListener?.(b, kind, id)
            },
          })
          this.rooms.set(boardId, room)
          target = room
          for (const [kind, data] of early) this.applyRemote(room, kind, data)
          return room
        })
        .finally(() => this.loading.delete(boardId))
      this.loading.set(boardId, pending)
    }
    return pending
  }

  /**
   * A room whose document holds what the database does not (a write failed)
   * or that could not be rebuilt: every client is sent away to reconnect
   * (1013) and the next join loads the board from storage again.
   */
  private breakRoom(room: Room, why: string): void {
    void this.lock
      .run(room.boardId, async () => {
        if (this.rooms.get(room.boardId) !== room) return
        this.deps.logger.warn({ boardId: room.boardId, why }, 'room dropped; clients reload it')
        this.rooms.delete(room.boardId)
        this.bus.leaveRoom(room.boardId)
        this.deps.docStore.forget(room.boardId)
        room.closeAll(CloseCode.tryAgainLater, why)
        room.destroy()
      })
      .catch((err: unknown) => this.deps.logger.error({ err, boardId: room.boardId }, 'dropping a room failed'))
  }

  private scheduleUnload(room: Room): void {
    void this.lock
      .run(room.boardId, async () => {
        if (room.conns.size > 0 || room.holds > 0 || this.rooms.get(room.boardId) !== room) return
        await this.deps.docStore.flush()
        // Fold the log into the snapshot now, while nobody waits: the next
        // (cold) join then loads and serves one stored blob.
        await this.deps.docStore.compact(room.boardId)
        // Someone may have joined while the writes were flushing.
        if (room.conns.size > 0 || room.holds > 0 || this.rooms.get(room.boardId) !== room) return
        this.rooms.delete(room.boardId)
        this.bus.leaveRoom(room.boardId)
        this.deps.docStore.forget(room.boardId)
        room.destroy()
        this.historyListener?.(room.boardId, 'unloaded')
      })
      .catch((err: unknown) => this.deps.logger.error({ err, boardId: room.boardId }, 'unloading a room failed'))
  }

  private applyRemote(room: Room, kind: RoomMessageKind, data: Uint8Array): void {
    if (room.destroyed) return
    if (kind === 'awareness') return room.applyRemoteAwareness(data)
    if (!room.applyRemote(data)) this.scheduleCatchUp(room.boardId, 100)
  }

  private async onSignal(signal: BoardSignal): Promise<void> {
    switch (signal.type) {
      case 'board.deleted':
        return this.dropBoard(signal.boardId)
      case 'board.changed':
        return this.recheck(signal.boardId)
      case 'access.changed':
        return this.recheck(signal.boardId, signal.target)
      case 'guests.disabled':
        for (const boardId of [...this.rooms.keys()]) await this.recheck(boardId, undefined, true)
        return
      case 'guests.enabled':
        return
      case 'user.signed_out':
        return this.signOut(signal)
      case 'principal.kicked': {
        const key = principalKey(signal.target)
        for (const conn of [...(this.rooms.get(signal.boardId)?.conns ?? [])]) {
          if (conn.identity?.principalKey === key) conn.close(CloseCode.kicked, KICKED)
        }
        return
      }
      case 'guest.linked': {
        const room = this.rooms.get(signal.boardId)
        if (room) room.reassignOwner(principalKey({ kind: 'guest', id: signal.guestId }), principalKey({ kind: 'user', id: signal.userId }))
        return this.recheck(signal.boardId, { kind: 'guest', id: signal.guestId })
      }
      default: {
        const unreachable: never = signal
        throw new Error(`unknown signal ${JSON.stringify(unreachable)}`)
      }
    }
  }

  /** Closes the user's connections opened with tokens older than `tokenVersion`, or with a revoked API key (4401: sign in again). */
  private signOut(signal: Extract<BoardSignal, { type: 'user.signed_out' }>): void {
    for (const room of this.rooms.values()) {
      for (const conn of [...room.conns]) {
        const p = conn.identity?.principal
        if (p && signedOutBy(p, signal)) conn.close(CloseCode.unauthenticated, 'signed out')
      }
    }
  }

  private async dropBoard(boardId: string): Promise<void> {
    this.deps.docStore.discard(boardId)
    await this.lock.run(boardId, async () => {
      const room = this.rooms.get(boardId)
      if (!room) return
      this.rooms.delete(boardId)
      this.bus.leaveRoom(boardId)
      room.closeAll(CloseCode.notFound, 'board deleted')
      room.destroy()
    })
  }

  /** Re-checks live connections against the database after an access change (see LiveAccess). */
  private async recheck(boardId: string, target?: PrincipalRef | ResolvedPrincipal, guestsOnly = false): Promise<void> {
    const room = this.rooms.get(boardId)
    if (!room) return
    const loaded = await loadBoard(this.deps.db, boardId)
    if (!loaded) return this.dropBoard(boardId)
    room.setFlags(flagsOf(loaded.board))
    for (const conn of [...room.conns]) {
      const p = conn.identity?.principal
      if (!p || conn.state !== 'open') continue
      if (guestsOnly && p.kind !== 'guest') continue
      if (target && !samePrincipal(target, p)) continue
      const standing = await this.deps.live.standing(p, loaded)
      if (standing.ok) {
        // A seat limited by capacity keeps its reader role until the person's own role changes.
        const granted = conn.identity?.capacity?.role ?? conn.role
        if (standing.role !== granted) conn.close(CloseCode.roleChanged, 'role changed')
        continue
      }
      switch (standing.why) {
        case 'signed_out':
          conn.close(CloseCode.unauthenticated, 'signed out')
          break
        case 'board_gone':
          return this.dropBoard(boardId)
        case 'removed':
        case 'refused':
          conn.close(CloseCode.forbidden, standing.why === 'removed' ? 'access removed' : standing.error.message)
          break
        default: {
          const unreachable: never = standing.why
          throw new Error(`unknown standing ${String(unreachable)}`)
        }
      }
    }
  }

  /** Flush everything durable, then close every socket with 1001. The document store is closed after, by its own component. */
  async close(): Promise<void> {
    this.closing = true
    this.unsubscribe()
    this.unhealth()
    if (this.expiry) clearInterval(this.expiry)
    for (const t of this.catchUps.values()) clearTimeout(t)
    await this.deps.docStore.flush()
    for (const room of this.rooms.values()) room.closeAll(CloseCode.goingAway, 'server shutting down')
    await this.lock.idle()
    // Writes queued by the unloads above land too (the store itself closes after the hub).
    await this.deps.docStore.flush()
    for (const room of this.rooms.values()) room.destroy()
    this.rooms.clear()
  }
}
