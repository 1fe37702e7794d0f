// One open board: the connections on it, and what each message is handed to.
// The sync core (room-sync.ts) takes every update through bound → guard →
// apply → store → release; nobody sees an update before it is stored (see
// durability.ts). Presence is relayed by room-presence.ts, stored updates
// fanned out by room-broadcast.ts.
import type * as Y from 'yjs'
import { CloseCode, ExtKind } from '../../../shared/constants.js'
import { decodeMessage, encodeExt, encodeSyncUpdate, ProtocolError } from '../../../shared/protocol.js'
import type { LoadedDoc } from '../store/doc-log.js'
import { Connection, type ConnectionLimits, type Identity, type MessageSink } from './connection.js'
import { Broadcaster } from './room-broadcast.js'
import { RoomPresence } from './room-presence.js'
import { type BoardFlags, RoomSync, type SyncDeps } from './room-sync.js'
import type { SizeAccount } from './size-account.js'

export { BROADCAST_WINDOW_MS } from './room-broadcast.js'
export { REMOTE_AWARENESS_TTL_MS } from './room-presence.js'
export type { BoardFlags, RoomMetrics } from './room-sync.js'
export type { RoomLimits } from './size-account.js'

/** What a room needs from the rest of the server. */
export interface RoomDeps extends SyncDeps {
  /** The last connection left. */
  onEmpty(room: Room): void
  /** A principal's first connection joined or its last one left. */
  presenceChanged(boardId: string, principalKey: string): void
  /** The room can no longer vouch for its document (storage failed): drop it; clients reload. */
  onBroken(room: Room, why: string): void
}

/** A server-side write is one message of any size, never rate-limited (the guard and size limits still apply). */
const DETACHED_LIMITS: ConnectionLimits = {
  maxMessageBytes: Number.MAX_SAFE_INTEGER,
  preAuthMaxMessages: 1,
  rate: 1,
  burst: 1,
  maxBufferedBytes: Number.MAX_SAFE_INTEGER,
}

export type DetachedResult = { ok: true } | { ok: false; code: number; reason: string }

export class Room implements MessageSink {
  readonly conns = new Set<Connection>()
  /** Server-side writes under way: the room stays loaded for them (see CollabHub.writeAs). */
  holds = 0
  readonly presence: RoomPresence
  private readonly sync: RoomSync
  private readonly broadcaster: Broadcaster
  destroyed = false

  constructor(
    readonly boardId: string,
    loaded: LoadedDoc,
    public flags: BoardFlags,
    private readonly deps: RoomDeps,
  ) {
    const room = this
    this.broadcaster = new Broadcaster({
      get destroyed() {
        return room.destroyed
      },
      conns: () => this.conns,
      sent: (n) => this.deps.metrics.broadcast?.(n),
    })
    this.sync = new RoomSync(
      {
        boardId,
        get destroyed() {
          return room.destroyed
        },
        get flags() {
          return room.flags
        },
        broadcast: (update, from) => this.broadcaster.queue(update, from),
        broken: (why) => this.deps.onBroken(this, why),
      },
      loaded,
      deps,
    )
    this.presence = new RoomPresence(
      {
        boardId,
        get destroyed() {
          return room.destroyed
        },
        conns: () => this.conns,
        ownerOf: (id) => this.sync.owners.get(id),
        claim: (conn, ids) => this.sync.claim(conn, ids),
        refuse: (conn, reason, detail) => this.sync.refuse(conn, reason, detail),
        publish: (update) => this.deps.publish(this.boardId, 'awareness', update),
        relayed: (n) => this.deps.metrics.awarenessRelayed?.(n),
      },
      deps.limits.presence,
    )
  }

  /** The board document, built from the stored state on first use. */
  get doc(): Y.Doc {
    return this.sync.doc
  }

  /** The document, when it holds exactly what this room handed to the log (see RoomSync.appendedDoc); null once destroyed. */
  get appendedDoc(): Y.Doc | null {
    return this.destroyed ? null : this.sync.appendedDoc
  }

  /** Who owns which Yjs client id on the board (principal keys). */
  get owners(): Map<number, string> {
    return this.sync.owners
  }

  /** Document size and markup quotas. */
  get size(): SizeAccount {
    return this.sync.size
  }

  // ---- membership -------------------------------------------------------

  private connectionsOf(key: string): number {
    let n = 0
    for (const c of this.conns) if (c.identity?.principalKey === key) n++
    return n
  }

  /** Client ids of one principal now belong to another (a guest carried into an account). */
  reassignOwner(from: string, to: string): void {
    this.sync.reassignOwner(from, to)
  }

  /** The stored state as one update (what an export may show), without building the document if it is not built. */
  encodeState(): Promise<Uint8Array> {
    return this.sync.encodeState()
  }

  join(conn: Connection): void {
    this.conns.add(conn)
    if (this.connectionsOf(conn.principalKey) === 1) this.deps.presenceChanged(this.boardId, conn.principalKey)
    this.sync.greet(conn)
    const states = this.presence.snapshotMessage()
    if (states) conn.send(states)
    if (conn.ext) {
      const id = conn.identity!
      const p = id.principal
      conn.send(
        encodeExt({
          kind: ExtKind.welcome,
          principal:
            p.kind === 'user'
              ? { kind: 'user', id: p.user.id, name: p.user.name }
              : { kind: 'guest', id: p.guest.id, name: p.guest.name },
          role: id.role,
          user: { ...id.user },
          board: { locked: this.flags.locked, archived: this.flags.archived },
          ...(id.capacity ? { capacity: id.capacity } : {}),
        }),
      )
    }
  }

  leave(conn: Connection): void {
    if (!this.conns.delete(conn)) return
    this.sync.left(conn)
    if (conn.identity && this.connectionsOf(conn.principalKey) === 0) this.deps.presenceChanged(this.boardId, conn.principalKey)
    this.presence.left(conn)
    if (this.conns.size === 0) this.deps.onEmpty(this)
  }

  /** Principal keys with a live connection here. */
  onlinePrincipals(): Set<string> {
    const keys = new Set<string>()
    for (const c of this.conns) if (c.identity) keys.add(c.principalKey)
    return keys
  }

  setFlags(flags: BoardFlags): void {
    const before = this.flags
    // The guard reads the guest limits from here on the next update.
    this.flags = flags
    if (flags.locked === before.locked && flags.archived === before.archived) return
    const message = encodeExt({ kind: ExtKind.board, locked: flags.locked, archived: flags.archived })
    for (const c of this.conns) if (c.ext) c.send(message)
  }

  closeAll(code: number, reason: string): void {
    for (const c of [...this.conns]) c.close(code, reason)
  }

  destroy(): void {
    this.destroyed = true
    this.sync.destroy()
    this.presence.clear()
    this.broadcaster.clear()
  }

  // ---- messages ----------------------------------------------------------

  receive(conn: Connection, data: Uint8Array): void | Promise<void> {
    const rebuilding = this.sync.rebuilding
    if (rebuilding) return rebuilding.then(() => (conn.state === 'open' ? this.receive(conn, data) : undefined))
    let message
    try {
      message = decodeMessage(data)
    } catch (err) {
      if (err instanceof ProtocolError) return this.sync.refuse(conn, 'malformed', err.message)
      throw err
    }
    switch (message.type) {
      case 'syncStep1':
        return this.sync.syncStep1(conn, message.stateVector)
      case 'syncStep2':
      case 'syncUpdate':
        return this.sync.afterOwners(() => this.sync.receiveUpdate(conn, message.update))
      case 'awareness':
        return this.sync.afterOwners(() => this.presence.receive(conn, message.update))
      case 'queryAwareness': {
        const states = this.presence.snapshotMessage()
        if (states) conn.send(states)
        return
      }
      case 'ignored':
        return
      default: {
        const unreachable: never = message
        throw new Error(`unhandled message ${JSON.stringify(unreachable)}`)
      }
    }
  }

  /**
   * Takes `update` as if `identity` had sent it on a connection of its own
   * (guard, size limits, client-id claim, log, broadcast, other instances),
   * and resolves once it is stored, or with the reason it was refused.
   */
  async writeDetached(identity: Identity, update: Uint8Array): Promise<DetachedResult> {
    let closed: { code: number; reason: string } | null = null
    const peer = {
      send: () => {},
      close: (code: number, reason: string) => {
        closed = { code, reason }
      },
      bufferedAmount: 0,
    }
    const conn = new Connection(peer, false, DETACHED_LIMITS)
    conn.openDetached(identity, this)
    await this.receive(conn, encodeSyncUpdate(update))
    if (closed) return { ok: false, ...(closed as { code: number; reason: string }) }
    await this.sync.whenStored()
    if (this.destroyed) return { ok: false, code: CloseCode.tryAgainLater, reason: 'the board could not be stored' }
    conn.closed(CloseCode.normal)
    return { ok: true }
  }

  // ---- other instances and storage (see room-recovery.ts) --------------------

  /**
   * Applies an update another instance accepted (guarded and stored there).
   * False if it depends on something we have not seen yet: the caller
   * should catch up from the database.
   */
  applyRemote(update: Uint8Array): boolean {
    return this.sync.recovery.applyRemote(update)
  }

  /** Applies stored state the room may lack; peers get only what was new. */
  catchUp(stored: Uint8Array[]): void {
    this.sync.recovery.catchUp(stored)
  }

  // ---- presence (see room-presence.ts) -------------------------------------

  expireRemoteAwareness(now: number): void {
    this.presence.expireRemote(now)
  }

  applyRemoteAwareness(update: Uint8Array): void {
    this.presence.applyRemote(update)
  }
}
