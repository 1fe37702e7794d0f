// One open board: its Y.Doc, the connections on it, verified presence, and
// the path every update takes (guard → apply → broadcast → durable log).
import type { Logger } from 'pino'
import * as Y from 'yjs'
import { CloseCode, DOC_ROOTS, ExtKind, type RefusalReason, refusalMessages } from '../../../shared/constants.js'
import {
  decodeAwarenessUpdate,
  decodeMessage,
  encodeAwarenessMessage,
  encodeAwarenessUpdate,
  encodeExt,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  type AwarenessEntry,
  ProtocolError,
} from '../../../shared/protocol.js'
import type { Connection, MessageSink } from './connection.js'
import type { DocStore, LoadedDoc } from './doc-store.js'
import { checkUpdate, type GuardState, rootNamesOf } from './guard.js'

export interface BoardFlags {
  locked: boolean
  archived: boolean
}

export interface RoomMetrics {
  updateAccepted?(bytes: number): void
  updateRefused?(reason: RefusalReason): void
  awarenessRelayed?(recipients: number): void
  broadcast?(recipients: number): void
}

/** What a room needs from the rest of the server. */
export interface RoomDeps {
  docStore: DocStore
  logger: Logger
  maxDocBytes: number
  metrics: RoomMetrics
  /** Accepted updates and awareness go to other instances through this. */
  publish(boardId: string, kind: 'update' | 'awareness', data: Uint8Array): void
  /** The last connection left. */
  onEmpty(room: Room): void
  /** A principal's first connection joined or its last one left. */
  presenceChanged(boardId: string, principalKey: string): void
}

interface AwarenessState {
  clock: number
  state: string
  /** null: it came from another instance. */
  conn: Connection | null
  /** When it was last renewed (clients renew every 15 s). */
  at: number
}

/** A state from another instance not renewed for this long is gone (its instance may have died). */
export const REMOTE_AWARENESS_TTL_MS = 45_000

/** Updates held back waiting for the part before them (see holdBack): count, bytes, age. */
const HELD_BACK_MAX = 500
const HELD_BACK_BYTES = 4 * 1024 * 1024
const HELD_BACK_MS = 3_000

/** Minimum spacing of update frames in a busy room (see queueBroadcast). */
export const BROADCAST_WINDOW_MS = 8

const EMPTY_STATE_VECTOR = (sv: Uint8Array) => sv.length === 1 && sv[0] === 0

export class Room implements MessageSink {
  private readonly ydoc = new Y.Doc()
  /**
   * The stored state not yet applied to `ydoc`. A board loaded from a single
   * snapshot is served from these bytes as they are; the Y.Doc is only built
   * (hundreds of milliseconds for a big board) once someone needs it: a
   * writer, or a client that already has content.
   */
  private pendingState: Uint8Array | null = null
  /** Connections that have not had our sync step 1 yet (it needs the Y.Doc). */
  private readonly awaitingStep1 = new Set<Connection>()
  readonly conns = new Set<Connection>()
  readonly owners = new Map<number, string>()
  /** Resolves once the stored client-id owners are in `owners`. */
  private ownersLoading: Promise<void> | null
  private readonly rootNames: Map<Y.AbstractType<any>, string>
  private readonly awareness = new Map<number, AwarenessState>()
  /** Last clock and state relayed per awareness client id, removals included. */
  private readonly relayed = new Map<number, { clock: number; state: string }>()
  private readonly awarenessOutbox = new Map<number, AwarenessEntry>()
  private awarenessToPublish: AwarenessEntry[] = []
  private awarenessScheduled = false
  private step1Cache: Uint8Array | null = null
  private fullStateCache: Uint8Array | null = null
  private outbox: { update: Uint8Array; from: Connection | null }[] = []
  private outboxScheduled = false
  private lastFlush = 0
  private docBytes: number
  destroyed = false

  constructor(
    readonly boardId: string,
    loaded: LoadedDoc,
    public flags: BoardFlags,
    private readonly deps: RoomDeps,
  ) {
    for (const root of DOC_ROOTS) this.ydoc.getMap(root)
    this.rootNames = rootNamesOf(this.ydoc)
    this.ownersLoading = deps.docStore.loadOwners(boardId).then((stored) => {
      for (const [id, owner] of stored) if (!this.owners.has(id)) this.owners.set(id, owner)
      this.ownersLoading = null
    })
    // A failure surfaces to the first message that waits on it.
    this.ownersLoading.catch(() => {})
    this.docBytes = loaded.bytes
    if (loaded.snapshot && loaded.updates.length === 0) {
      this.pendingState = loaded.snapshot
      this.fullStateCache = loaded.snapshotFrame ?? encodeSyncStep2(loaded.snapshot)
    } else {
      Y.transact(this.ydoc, () => {
        if (loaded.snapshot) Y.applyUpdate(this.ydoc, loaded.snapshot)
        for (const u of loaded.updates) Y.applyUpdate(this.ydoc, u)
      })
      this.checkIntegrity()
    }
  }

  /** The board document, built from the stored state on first use. */
  get doc(): Y.Doc {
    if (this.pendingState !== null) {
      const state = this.pendingState
      this.pendingState = null
      Y.applyUpdate(this.ydoc, state)
      this.checkIntegrity()
      const step1 = this.step1()
      for (const c of this.awaitingStep1) c.send(step1)
      this.awaitingStep1.clear()
    }
    return this.ydoc
  }

  private checkIntegrity(): void {
    if (this.ydoc.store.pendingStructs || this.ydoc.store.pendingDs) {
      this.deps.logger.warn({ boardId: this.boardId }, 'stored document has pending structs')
    }
  }

  private get log(): Logger {
    return this.deps.logger
  }

  // ---- membership -------------------------------------------------------

  private connectionsOf(key: string): number {
    let n = 0
    for (const c of this.conns) if (c.identity?.principalKey === key) n++
    return n
  }

  /** Client ids of one principal now belong to another (a guest carried into an account). */
  reassignOwner(from: string, to: string): void {
    for (const [clientId, owner] of this.owners) if (owner === from) this.owners.set(clientId, to)
  }

  /** The current state as one update, without building the document if it is not built. */
  encodeState(): Uint8Array {
    return this.pendingState ?? Y.encodeStateAsUpdate(this.ydoc)
  }

  join(conn: Connection): void {
    this.conns.add(conn)
    if (this.connectionsOf(conn.principalKey) === 1) this.deps.presenceChanged(this.boardId, conn.principalKey)
    // A fresh client needs nothing but our state; one that has content gets
    // our step 1 once the document is built (see the step 1 handler).
    if (this.pendingState === null) conn.send(this.step1())
    else this.awaitingStep1.add(conn)
    const states = this.awarenessEntries()
    if (states.length > 0) conn.send(encodeAwarenessMessage(encodeAwarenessUpdate(states)))
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
          board: { ...this.flags },
        }),
      )
    }
  }

  leave(conn: Connection): void {
    if (!this.conns.delete(conn)) return
    this.awaitingStep1.delete(conn)
    if (conn.identity && this.connectionsOf(conn.principalKey) === 0) this.deps.presenceChanged(this.boardId, conn.principalKey)
    const removed: AwarenessEntry[] = []
    for (const [clientId, s] of this.awareness) {
      if (s.conn !== conn) continue
      this.awareness.delete(clientId)
      const clock = s.clock + 1
      this.relayed.set(clientId, { clock, state: 'null' })
      removed.push({ clientId, clock, state: 'null' })
    }
    if (removed.length > 0) this.sendAwareness(removed, true)
    if (this.conns.size === 0) this.deps.onEmpty(this)
  }

  /** Principal keys with a live connection here. */
  onlinePrincipals(): Set<string> {
    const keys = new Set<string>()
    for (const c of this.conns) if (c.identity) keys.add(c.principalKey)
    return keys
  }

  setFlags(flags: BoardFlags): void {
    if (flags.locked === this.flags.locked && flags.archived === this.flags.archived) return
    this.flags = flags
    const message = encodeExt({ kind: ExtKind.board, ...flags })
    for (const c of this.conns) if (c.ext) c.send(message)
  }

  closeAll(code: number, reason: string): void {
    for (const c of [...this.conns]) c.close(code, reason)
  }

  destroy(): void {
    this.destroyed = true
    this.ydoc.destroy()
    this.pendingState = null
    this.awaitingStep1.clear()
    this.awareness.clear()
    this.relayed.clear()
    this.awarenessOutbox.clear()
    this.outbox = []
  }

  // ---- messages ----------------------------------------------------------

  receive(conn: Connection, data: Uint8Array): void | Promise<void> {
    let message
    try {
      message = decodeMessage(data)
    } catch (err) {
      if (err instanceof ProtocolError) return this.refuse(conn, 'malformed', err.message)
      throw err
    }
    switch (message.type) {
      case 'syncStep1':
        conn.send(this.step2For(message.stateVector))
        // The client has content: building the document sends it our step 1,
        // so it can send back whatever we lack.
        if (!EMPTY_STATE_VECTOR(message.stateVector)) void this.doc
        return
      case 'syncStep2':
      case 'syncUpdate':
        if (this.ownersLoading) return this.ownersLoading.then(() => this.handleUpdate(conn, message.update, false))
        return this.handleUpdate(conn, message.update, false)
      case 'awareness':
        if (this.ownersLoading) return this.ownersLoading.then(() => this.handleAwareness(conn, message.update))
        return this.handleAwareness(conn, message.update)
      case 'queryAwareness': {
        const states = this.awarenessEntries()
        conn.send(encodeAwarenessMessage(encodeAwarenessUpdate(states)))
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

  private step1(): Uint8Array {
    return (this.step1Cache ??= encodeSyncStep1(Y.encodeStateVector(this.doc)))
  }

  private step2For(stateVector: Uint8Array): Uint8Array {
    if (EMPTY_STATE_VECTOR(stateVector)) {
      // Joiners with an empty document all get the same bytes, encoded once.
      return (this.fullStateCache ??= encodeSyncStep2(Y.encodeStateAsUpdate(this.doc)))
    }
    try {
      return encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, stateVector))
    } catch {
      return (this.fullStateCache ??= encodeSyncStep2(Y.encodeStateAsUpdate(this.doc)))
    }
  }

  private guardState(): GuardState {
    return { doc: this.doc, rootNames: this.rootNames, owners: this.owners, ...this.flags }
  }

  private handleUpdate(conn: Connection, update: Uint8Array, claimed: boolean): void | Promise<void> {
    const id = conn.identity!
    const verdict = checkUpdate(update, this.guardState(), {
      principalKey: id.principalKey,
      role: id.role,
      guest: id.principal.kind === 'guest',
    })
    if (!verdict.ok) {
      if (verdict.reason === 'unclaimed') {
        if (claimed) return this.refuse(conn, 'foreign_client', 'client id could not be claimed')
        return this.claim(conn, verdict.clients).then(() => this.handleUpdate(conn, update, true))
      }
      if (verdict.reason === 'clock_gap' && id.role !== 'reader') return this.holdBack(conn, update, verdict.detail)
      return this.refuse(conn, verdict.reason, verdict.detail)
    }
    if (verdict.noop) {
      if (conn.inflight === 0) this.sendSaved(conn)
      return
    }
    if (this.docBytes + update.length > this.deps.maxDocBytes) {
      this.deps.metrics.updateRefused?.('too_large')
      return conn.close(CloseCode.tooLarge, 'document too large')
    }
    this.accept(conn, update, verdict.clients)
    if (conn.heldBack.length > 0) return this.retryHeldBack(conn)
  }

  /**
   * A stock client that edited offline reconnects and sends new edits right
   * away, before its sync step 2 delivers the offline ones: those edits start
   * past the server's clock. They wait (bounded) for the missing part from the
   * same connection instead of being refused.
   */
  private holdBack(conn: Connection, update: Uint8Array, detail: string): void {
    const held = conn.heldBack
    const bytes = held.reduce((n, h) => n + h.update.length, update.length)
    const oldest = held[0]?.at ?? Date.now()
    if (held.length >= HELD_BACK_MAX || bytes > HELD_BACK_BYTES || Date.now() - oldest > HELD_BACK_MS) {
      return this.refuse(conn, 'clock_gap', detail)
    }
    held.push({ update, at: Date.now() })
    if (held.length === 1) {
      // Nothing filled the gap in time: a pre-allocated clock, not a reconnect.
      const timer = setTimeout(() => {
        if (conn.state === 'open' && conn.heldBack.length > 0 && Date.now() - conn.heldBack[0]!.at >= HELD_BACK_MS) {
          this.refuse(conn, 'clock_gap', detail)
        }
      }, HELD_BACK_MS + 10)
      timer.unref()
    }
  }

  private retryHeldBack(conn: Connection): void | Promise<void> {
    const held = conn.heldBack.splice(0)
    let next: void | Promise<void>
    for (let i = 0; i < held.length; i++) {
      if (conn.state !== 'open') return
      next = this.handleUpdate(conn, held[i]!.update, false)
      if (next) {
        // A claim is under way: the rest waits behind it, in order.
        const rest = held.slice(i + 1)
        return next.then(() => {
          conn.heldBack.unshift(...rest)
          if (conn.heldBack.length > 0 && conn.state === 'open') return this.retryHeldBack(conn)
        })
      }
    }
  }

  private accept(conn: Connection, update: Uint8Array, clients: number[]): void {
    Y.applyUpdate(this.doc, update, conn)
    this.docBytes += update.length
    this.step1Cache = null
    this.fullStateCache = null
    for (const c of clients) conn.ownedIds.add(c)
    this.deps.metrics.updateAccepted?.(update.length)
    this.queueBroadcast(update, conn)
    this.deps.publish(this.boardId, 'update', update)
    conn.inflight++
    this.deps.docStore.append(this.boardId, update).then(
      () => {
        conn.inflight--
        if (conn.inflight === 0) this.sendSaved(conn)
      },
      (err: unknown) => {
        conn.inflight--
        this.log.error({ err, boardId: this.boardId }, 'update could not be stored')
        conn.close(CloseCode.tryAgainLater, 'storage unavailable')
      },
    )
  }


  /**
   * Applies an update another instance accepted (already guarded there).
   * False if it depends on something we have not seen yet: Yjs keeps it
   * pending, and the caller should catch up from the database.
   */
  applyRemote(update: Uint8Array): boolean {
    const doc = this.doc
    Y.applyUpdate(doc, update, 'remote')
    this.docBytes += update.length
    this.step1Cache = null
    this.fullStateCache = null
    this.queueBroadcast(update, null)
    return doc.store.pendingStructs === null && doc.store.pendingDs === null
  }

  /** Applies stored state the room may lack; peers get only what was new. */
  catchUp(stored: Uint8Array[]): void {
    const doc = this.doc
    const before = Y.encodeStateVector(doc)
    Y.transact(doc, () => {
      for (const u of stored) Y.applyUpdate(doc, u, 'remote')
    })
    const diff = Y.encodeStateAsUpdate(doc, before)
    // An update with no structs and no deletes is two zero bytes.
    if (diff.length <= 2) return
    this.step1Cache = null
    this.fullStateCache = null
    this.queueBroadcast(diff, null)
  }

  private async claim(conn: Connection, ids: number[]): Promise<void> {
    const owners = await this.deps.docStore.claim(this.boardId, ids, conn.principalKey)
    for (const [clientId, owner] of owners) this.owners.set(clientId, owner)
  }

  private sendSaved(conn: Connection): void {
    if (!conn.ext || conn.ownedIds.size === 0) return
    const clocks: Record<string, number> = {}
    for (const c of conn.ownedIds) clocks[c] = Y.getState(this.doc.store, c)
    conn.send(encodeExt({ kind: ExtKind.saved, clocks }))
  }

  private refuse(conn: Connection, reason: RefusalReason, detail: string): void {
    this.deps.metrics.updateRefused?.(reason)
    // The reason only: a refused update's content is never logged.
    this.log.info({ boardId: this.boardId, conn: conn.id, reason, detail }, 'update refused')
    if (conn.ext) conn.send(encodeExt({ kind: ExtKind.refused, reason, message: refusalMessages[reason] }))
    conn.close(CloseCode.updateRefused, reason)
  }

  // Bursts are coalesced: a quiet room sends each update at once (next turn
  // of the event loop); a busy one sends at most one frame per peer every
  // BROADCAST_WINDOW_MS, merging what arrived meanwhile. Each frame is encoded
  // once for every peer. Most of the cost of a delivered message is the
  // socket write itself, so fewer, larger frames are what makes fan-out cheap.
  private queueBroadcast(update: Uint8Array, from: Connection | null): void {
    this.outbox.push({ update, from })
    if (this.outboxScheduled) return
    this.outboxScheduled = true
    const wait = this.lastFlush + BROADCAST_WINDOW_MS - performance.now()
    if (wait <= 0) setImmediate(() => this.flushOutbox())
    else setTimeout(() => this.flushOutbox(), wait)
  }

  private flushOutbox(): void {
    this.outboxScheduled = false
    this.lastFlush = performance.now()
    const items = this.outbox
    this.outbox = []
    if (items.length === 0 || this.destroyed) return
    const only = items.length === 1 ? items[0]!.from : undefined
    const senders = new Set(items.map((i) => i.from))
    const message = encodeSyncUpdate(items.length === 1 ? items[0]!.update : Y.mergeUpdates(items.map((i) => i.update)))
    let sent = 0
    for (const c of this.conns) {
      // Skip a peer only when every update in the frame is its own.
      if (c === only || (senders.size === 1 && senders.has(c))) continue
      c.send(message)
      sent++
    }
    this.deps.metrics.broadcast?.(sent)
  }

  // ---- presence ------------------------------------------------------------

  private awarenessEntries(): AwarenessEntry[] {
    const out: AwarenessEntry[] = []
    for (const [clientId, s] of this.awareness) out.push({ clientId, clock: s.clock, state: s.state })
    return out
  }

  /** May `conn` speak for awareness client `clientId`? Claims its first one. */
  private awarenessOwner(conn: Connection, clientId: number): 'yes' | 'no' | 'claim' {
    if (conn.awarenessId === clientId || conn.ownedIds.has(clientId)) return 'yes'
    if (conn.awarenessId !== null) return 'no'
    const owner = this.owners.get(clientId)
    if (owner !== undefined && owner !== conn.principalKey) return 'no'
    const holder = this.awareness.get(clientId)?.conn
    if (holder && holder !== conn && holder.state !== 'closed') return 'no'
    return owner === undefined ? 'claim' : 'yes'
  }

  private handleAwareness(conn: Connection, update: Uint8Array, claimed = false): void | Promise<void> {
    let entries: AwarenessEntry[]
    try {
      entries = decodeAwarenessUpdate(update)
    } catch (err) {
      return this.refuse(conn, 'malformed', (err as Error).message)
    }
    const accepted: AwarenessEntry[] = []
    for (const e of entries) {
      let verdict = this.awarenessOwner(conn, e.clientId)
      if (verdict === 'claim') {
        if (!claimed) {
          return this.claim(conn, [e.clientId]).then(() => this.handleAwareness(conn, update, true))
        }
        verdict = this.owners.get(e.clientId) === conn.principalKey ? 'yes' : 'no'
      }
      // Stock clients re-send other people's states; those are dropped quietly.
      if (verdict === 'no') continue
      if (conn.awarenessId === null) conn.awarenessId = e.clientId
      conn.ownedIds.add(e.clientId)
      const stamped = this.stamp(conn, e.state)
      if (stamped === null) continue
      const clock = this.relayClock(e.clientId, e.clock, stamped)
      if (clock === null) continue
      if (stamped === 'null') this.awareness.delete(e.clientId)
      else this.awareness.set(e.clientId, { clock, state: stamped, conn, at: Date.now() })
      accepted.push({ clientId: e.clientId, clock, state: stamped })
    }
    if (accepted.length > 0) this.sendAwareness(accepted, true)
  }

  /**
   * The clock to relay a state with, or null to drop it. A client that
   * reconnects re-sends its state with a clock the others already passed
   * (its removal was announced with clock + 1), so a changed state is bumped
   * past the last relayed clock; an unchanged one is a duplicate. Bumping
   * only on change keeps the echo to the sender from looping.
   */
  private relayClock(clientId: number, clock: number, state: string): number | null {
    const last = this.relayed.get(clientId)
    // Peers ignore a first state with clock 0 (their unknown clients count as
    // clock 0), and that is what a stock client that never moves sends: a
    // reader would never appear. Relayed as clock 1 it does.
    let out = last === undefined && clock === 0 && state !== 'null' ? 1 : clock
    if (last && clock <= last.clock) {
      if (last.state === state) return null
      out = last.clock + 1
    }
    this.relayed.set(clientId, { clock: out, state })
    return out
  }

  /** The state with `user` replaced by the server's view of the principal; null to drop. */
  private stamp(conn: Connection, state: string): string | null {
    if (state === 'null') return state
    let parsed: unknown
    try {
      parsed = JSON.parse(state)
    } catch {
      return null
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null
    ;(parsed as Record<string, unknown>).user = conn.identity!.user
    return JSON.stringify(parsed)
  }

  // Presence changes accepted in the same turn of the event loop go out as
  // one awareness message (entries for several clients), encoded once. No
  // timer: a busy loop batches by itself, a quiet one adds no delay.
  private sendAwareness(entries: AwarenessEntry[], publish: boolean): void {
    if (publish) this.awarenessToPublish.push(...entries)
    // A later entry for the same client in this turn supersedes an earlier one.
    for (const e of entries) this.awarenessOutbox.set(e.clientId, e)
    if (this.awarenessScheduled) return
    this.awarenessScheduled = true
    setImmediate(() => this.flushAwareness())
  }

  private flushAwareness(): void {
    this.awarenessScheduled = false
    const entries = [...this.awarenessOutbox.values()]
    const toPublish = this.awarenessToPublish
    this.awarenessOutbox.clear()
    this.awarenessToPublish = []
    if (this.destroyed) return
    if (entries.length > 0) {
      const message = encodeAwarenessMessage(encodeAwarenessUpdate(entries))
      // Everyone, the sender included: a stock client that hears nothing for
      // 30 s assumes the connection is dead, and its own echo keeps it alive.
      for (const c of this.conns) c.send(message)
      this.deps.metrics.awarenessRelayed?.(this.conns.size)
    }
    if (toPublish.length > 0) this.deps.publish(this.boardId, 'awareness', encodeAwarenessUpdate(toPublish))
  }


  /** Drops remote states that stopped being renewed, telling local clients. */
  expireRemoteAwareness(now: number): void {
    const gone: AwarenessEntry[] = []
    for (const [clientId, s] of this.awareness) {
      if (s.conn !== null || now - s.at < REMOTE_AWARENESS_TTL_MS) continue
      this.awareness.delete(clientId)
      const clock = s.clock + 1
      this.relayed.set(clientId, { clock, state: 'null' })
      gone.push({ clientId, clock, state: 'null' })
    }
    if (gone.length > 0) this.sendAwareness(gone, false)
  }

  /** Awareness accepted by another instance: stored for joiners and relayed. */
  applyRemoteAwareness(update: Uint8Array): void {
    let entries: AwarenessEntry[]
    try {
      entries = decodeAwarenessUpdate(update)
    } catch {
      return
    }
    const fresh = entries.filter((e) => {
      const last = this.relayed.get(e.clientId)
      if (last && last.clock >= e.clock) return false
      this.relayed.set(e.clientId, { clock: e.clock, state: e.state })
      if (e.state === 'null') this.awareness.delete(e.clientId)
      else this.awareness.set(e.clientId, { clock: e.clock, state: e.state, conn: null, at: Date.now() })
      return true
    })
    if (fresh.length > 0) this.sendAwareness(fresh, false)
  }
}
