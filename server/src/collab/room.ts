// One open board: its Y.Doc, the connections on it, and the path every update
// takes: bound its work (update-scan) → guard → apply → store → broadcast.
// Nobody sees an update before it is stored (see durability.ts).
import type { Logger } from 'pino'
import * as Y from 'yjs'
import { CloseCode, DOC_ROOTS, ExtKind, type RefusalReason, refusalMessages } from '../../../shared/constants.js'
import { decodeMessage, encodeExt, encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate, ProtocolError } from '../../../shared/protocol.js'
import type { Connection, MessageSink } from './connection.js'
import type { DocStore, LoadedDoc } from './doc-store.js'
import { Durability } from './durability.js'
import { checkUpdate, type GuardState, type GuardVerdict, rootNamesOf } from './guard.js'
import { RoomPresence } from './room-presence.js'
import { type RoomLimits, SizeAccount } from './size-account.js'
import { scanUpdate, sliceUpdate, type UpdateScan } from './update-scan.js'
import { BYTES_PER_UNIT, HEAVY_BYTES, HEAVY_STRUCTS, heavyTurns, SLICE_STRUCTS } from './work-queue.js'

export { REMOTE_AWARENESS_TTL_MS } from './room-presence.js'
export type { RoomLimits } from './size-account.js'

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
  limits: RoomLimits
  metrics: RoomMetrics
  /** Other instances may hold the board too (and store updates this room has not seen). */
  shared: boolean
  /** Accepted updates (once stored) and awareness go to other instances through this. */
  publish(boardId: string, kind: 'update' | 'awareness', data: Uint8Array): void
  /** The last connection left. */
  onEmpty(room: Room): void
  /** A principal's first connection joined or its last one left. */
  presenceChanged(boardId: string, principalKey: string): void
  /** The room can no longer vouch for its document (storage failed): drop it; clients reload. */
  onBroken(room: Room, why: string): void
}

/** Updates held back waiting for the part before them (see holdBack): count, bytes, age. */
const HELD_BACK_MAX = 500
const HELD_BACK_BYTES = 4 * 1024 * 1024
const HELD_BACK_MS = 3_000

/** Minimum spacing of update frames in a busy room (see queueBroadcast). */
export const BROADCAST_WINDOW_MS = 8
/** Updates of one broadcast are merged into one frame up to this size. */
const MERGE_MAX_BYTES = 64 * 1024


const EMPTY_STATE_VECTOR = (sv: Uint8Array) => sv.length === 1 && sv[0] === 0

function emptyDoc(): Y.Doc {
  const doc = new Y.Doc()
  for (const root of DOC_ROOTS) doc.getMap(root)
  return doc
}

export class Room implements MessageSink {
  private ydoc = emptyDoc()
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
  private rootNames: Map<Y.AbstractType<any>, string>
  readonly presence: RoomPresence
  private readonly durability = new Durability()
  readonly size: SizeAccount
  /** The document is being rebuilt from the database; every message waits. */
  private rebuilding: Promise<void> | null = null
  private catchingUp: { started: number; done: Promise<void> } | null = null
  /** When the last finished catch-up started reading the database. */
  private lastCatchUp = -Infinity
  private step1Cache: Uint8Array | null = null
  private fullStateCache: Uint8Array | null = null
  private outbox: { update: Uint8Array; from: Connection | null }[] = []
  private outboxScheduled = false
  private lastFlush = 0
  destroyed = false

  constructor(
    readonly boardId: string,
    loaded: LoadedDoc,
    public flags: BoardFlags,
    private readonly deps: RoomDeps,
  ) {
    this.rootNames = rootNamesOf(this.ydoc)
    this.ownersLoading = deps.docStore.loadOwners(boardId).then((stored) => {
      for (const [id, owner] of stored) if (!this.owners.has(id)) this.owners.set(id, owner)
      this.ownersLoading = null
    })
    // A failure surfaces to the first message that waits on it.
    this.ownersLoading.catch(() => {})
    this.size = new SizeAccount(deps.limits, loaded.bytes, (id) => this.owners.get(id))
    const room = this
    this.presence = new RoomPresence(
      {
        boardId,
        get destroyed() {
          return room.destroyed
        },
        conns: () => this.conns,
        ownerOf: (id) => this.owners.get(id),
        claim: (conn, ids) => this.claim(conn, ids),
        refuse: (conn, reason, detail) => this.refuse(conn, reason, detail),
        publish: (update) => this.deps.publish(this.boardId, 'awareness', update),
        relayed: (n) => this.deps.metrics.awarenessRelayed?.(n),
      },
      deps.limits.presence,
    )
    this.load(loaded)
  }

  private load(loaded: LoadedDoc): void {
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
      this.sendAwaitedStep1()
    }
    return this.ydoc
  }

  private sendAwaitedStep1(): void {
    if (this.awaitingStep1.size === 0) return
    const step1 = this.step1()
    for (const c of this.awaitingStep1) c.send(step1)
    this.awaitingStep1.clear()
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
    this.size.reassign(from, to)
  }

  /** The stored state as one update (what an export may show), without building the document if it is not built. */
  async encodeState(): Promise<Uint8Array> {
    if (this.rebuilding) await this.rebuilding
    if (!this.durability.settled) await new Promise<void>((resolve) => this.durability.whenStored(resolve))
    return this.pendingState ?? Y.encodeStateAsUpdate(this.ydoc)
  }

  join(conn: Connection): void {
    this.conns.add(conn)
    if (this.connectionsOf(conn.principalKey) === 1) this.deps.presenceChanged(this.boardId, conn.principalKey)
    // A fresh client needs nothing but our state; one that has content gets
    // our step 1 once the document is built (see the step 1 handler).
    if (this.pendingState === null && this.rebuilding === null) conn.send(this.step1())
    else this.awaitingStep1.add(conn)
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
          board: { ...this.flags },
        }),
      )
    }
  }

  leave(conn: Connection): void {
    if (!this.conns.delete(conn)) return
    this.awaitingStep1.delete(conn)
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
    // Whoever waits for a commit stops waiting (sends to closed connections are dropped).
    this.durability.reset()
    this.ydoc.destroy()
    this.pendingState = null
    this.awaitingStep1.clear()
    this.presence.clear()
    this.outbox = []
  }

  // ---- messages ----------------------------------------------------------

  receive(conn: Connection, data: Uint8Array): void | Promise<void> {
    if (this.rebuilding) return this.rebuilding.then(() => (conn.state === 'open' ? this.receive(conn, data) : undefined))
    let message
    try {
      message = decodeMessage(data)
    } catch (err) {
      if (err instanceof ProtocolError) return this.refuse(conn, 'malformed', err.message)
      throw err
    }
    switch (message.type) {
      case 'syncStep1': {
        const reply = this.step2For(message.stateVector, conn)
        if (reply === null) return
        // Only what is stored: if updates are still on their way to the
        // database, the answer waits for them (it is computed now, so it
        // holds nothing accepted later; those are broadcast after it).
        this.durability.whenStored(() => conn.send(reply))
        // The client has content: building the document sends it our step 1,
        // so it can send back whatever we lack.
        if (!EMPTY_STATE_VECTOR(message.stateVector)) void this.doc
        return
      }
      case 'syncStep2':
      case 'syncUpdate':
        if (this.ownersLoading) return this.ownersLoading.then(() => this.receiveUpdate(conn, message.update))
        return this.receiveUpdate(conn, message.update)
      case 'awareness':
        if (this.ownersLoading) return this.ownersLoading.then(() => this.presence.receive(conn, message.update))
        return this.presence.receive(conn, message.update)
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

  private step1(): Uint8Array {
    return (this.step1Cache ??= encodeSyncStep1(Y.encodeStateVector(this.doc)))
  }

  /** Our answer to a client's state vector; null when the connection used up its work budget on it. */
  private step2For(stateVector: Uint8Array, conn: Connection): Uint8Array | null {
    if (EMPTY_STATE_VECTOR(stateVector)) {
      // Joiners with an empty document all get the same bytes, encoded once.
      return (this.fullStateCache ??= encodeSyncStep2(Y.encodeStateAsUpdate(this.doc)))
    }
    let reply: Uint8Array
    try {
      reply = encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, stateVector))
    } catch {
      return (this.fullStateCache ??= encodeSyncStep2(Y.encodeStateAsUpdate(this.doc)))
    }
    // A state vector that claims little makes us encode a lot: that costs
    // work budget (one unit per KiB), like the updates a client sends.
    if (!conn.work.take(reply.length >> 10)) {
      conn.close(CloseCode.rateLimited, 'too much work requested')
      return null
    }
    return reply
  }

  private guardState(): GuardState {
    return { doc: this.doc, rootNames: this.rootNames, owners: this.owners, ...this.flags }
  }

  /**
   * Bounds the update's work before anything decodes it, then guards and
   * applies it: at once when small; in slices, one event-loop turn each,
   * when big (see update-scan.ts and work-queue.ts).
   */
  private receiveUpdate(conn: Connection, update: Uint8Array): void | Promise<void> {
    // A big message is not even read in the turn it arrived in: it waits for
    // a turn of its own, like each slice of it later.
    if (update.length > HEAVY_BYTES) {
      return heavyTurns.next().then(() => (conn.state === 'open' && !this.destroyed ? this.takeUpdate(conn, update) : undefined))
    }
    return this.takeUpdate(conn, update)
  }

  private takeUpdate(conn: Connection, update: Uint8Array): void | Promise<void> {
    const scanned = scanUpdate(update, this.deps.limits.update)
    if (!scanned.ok) return this.refuse(conn, scanned.reason, scanned.detail)
    const scan = scanned.scan
    // Its bytes were charged on arrival; its structs and deletions may cost more.
    const extra = scan.structs + scan.deleteRanges - Math.floor(update.length / BYTES_PER_UNIT)
    if (extra > 0 && !conn.work.take(extra)) {
      this.deps.metrics.updateRefused?.('too_complex')
      return conn.close(CloseCode.rateLimited, 'update work budget used up; slow down')
    }
    if (scan.structs <= HEAVY_STRUCTS) return this.handleUpdate(conn, update, false, scan)
    const slices = sliceUpdate(update, scan, SLICE_STRUCTS)
    if (!slices) return this.refuse(conn, 'unresolvable', "the update's structs refer to each other in a circle")
    return this.runSlices(conn, slices, slices.length === 1 ? scan : undefined)
  }

  private async runSlices(conn: Connection, slices: Uint8Array[], scan: UpdateScan | undefined): Promise<void> {
    for (const slice of slices) {
      await heavyTurns.next()
      if (this.rebuilding) await this.rebuilding
      if (conn.state !== 'open' || this.destroyed) return
      await this.handleUpdate(conn, slice, false, scan)
    }
  }

  private handleUpdate(conn: Connection, update: Uint8Array, claimed: boolean, scan?: UpdateScan, caughtUp = false): void | Promise<void> {
    const id = conn.identity!
    const verdict = checkUpdate(
      update,
      this.guardState(),
      { principalKey: id.principalKey, role: id.role, guest: id.principal.kind === 'guest' },
      scan,
      this.deps.limits.update,
    )
    if (!verdict.ok) {
      switch (verdict.reason) {
        case 'unclaimed':
          if (claimed) return this.refuse(conn, 'foreign_client', 'client id could not be claimed')
          if (conn.claimedIds + verdict.clients.length > this.deps.limits.maxClientIdsPerConnection) {
            return this.refuse(conn, 'too_complex', `more than ${this.deps.limits.maxClientIdsPerConnection} client ids on one connection`)
          }
          return this.claim(conn, verdict.clients).then(() => this.handleUpdate(conn, update, true, scan, caughtUp))
        case 'foreign_client':
        case 'unresolvable':
        case 'clock_gap':
        case 'future_delete':
          // Another instance may have stored what this update builds on (or
          // re-sends: a peer that got it from an instance that then died).
          // The database decides, once per connection, before we refuse or
          // hold back: a read that started after the connection opened has
          // everything its client can have been sent.
          if (!caughtUp && this.deps.shared && !conn.caughtUp) {
            conn.caughtUp = true
            return this.catchUpFromStore(conn.openedAt).then(() =>
              conn.state === 'open' ? this.handleUpdate(conn, update, claimed, undefined, true) : undefined,
            )
          }
          if (verdict.reason === 'clock_gap' && id.role !== 'reader') return this.holdBack(conn, update, verdict.detail)
          return this.refuse(conn, verdict.reason, verdict.detail)
        default:
          return this.refuse(conn, verdict.reason, verdict.detail)
      }
    }
    if (verdict.noop) {
      // It may repeat something not stored yet: "saved" waits for that.
      this.durability.whenStored(() => {
        if (conn.inflight === 0) this.sendSaved(conn)
      })
      return
    }
    const size = this.size.admit(update, verdict, id, this.doc)
    if (size !== null) {
      if (size.reason === 'markup_quota') return this.refuse(conn, 'markup_quota', size.detail)
      // The contract's close code for a full document is 4413; opted-in
      // clients are told first, so they start over from the server's state
      // (as after 4422) and can make room instead of giving up on the board.
      this.deps.metrics.updateRefused?.('too_large')
      if (conn.ext) conn.send(encodeExt({ kind: ExtKind.refused, reason: 'too_large', message: refusalMessages.too_large }))
      return conn.close(CloseCode.tooLarge, size.detail)
    }
    this.accept(conn, update, verdict)
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
      next = this.handleUpdate(conn, held[i]!.update, false, undefined, true)
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

  /**
   * Applies an accepted update to the document. The guard only accepts what
   * Yjs applies completely; should Yjs throw anyway (or leave any of the
   * update's structs pending, short of the clocks the guard saw), nothing
   * half-applied may survive: the document is rebuilt from the database and
   * `onFail` runs (the sender alone is refused). Structs already pending
   * before (a remote update that arrived ahead of one it needs, waiting for
   * a catch-up) are not this update's doing.
   */
  private apply(update: Uint8Array, origin: unknown, ends: Map<number, number>, onFail: (err: unknown) => void): boolean {
    const doc = this.doc
    let failure: unknown = null
    try {
      Y.applyUpdate(doc, update, origin)
    } catch (err) {
      failure = err
    }
    if (failure === null) {
      for (const [client, end] of ends) {
        if (Y.getState(doc.store, client) < end) {
          failure = new Error(`structs of client ${client} left pending`)
          break
        }
      }
    }
    if (failure === null) return true
    this.log.error({ err: failure, boardId: this.boardId }, 'an update could not be applied; rebuilding the room from storage')
    this.rebuild()
    onFail(failure)
    return false
  }

  private accept(conn: Connection, update: Uint8Array, verdict: Extract<GuardVerdict, { ok: true }>): void {
    const before = new Map<number, number>()
    for (const c of verdict.ends.keys()) before.set(c, Y.getState(this.doc.store, c))
    if (!this.apply(update, conn, verdict.ends, () => this.refuse(conn, 'unresolvable', 'the update could not be applied'))) return
    const seq = this.durability.accepted(verdict.ends, (c) => before.get(c) ?? 0)
    this.size.accepted(update, verdict, this.doc)
    this.step1Cache = null
    this.fullStateCache = null
    for (const c of verdict.clients) conn.ownedIds.add(c)
    this.deps.metrics.updateAccepted?.(update.length)
    conn.inflight++
    this.deps.docStore.append(this.boardId, update).then(
      () => {
        conn.inflight--
        // Joiners' answers that waited for this go out first, then the update.
        this.durability.stored(seq, verdict.ends)
        if (this.destroyed) return
        this.queueBroadcast(update, conn)
        this.deps.publish(this.boardId, 'update', update)
        if (conn.inflight === 0) this.sendSaved(conn)
      },
      (err: unknown) => {
        conn.inflight--
        this.log.error({ err, boardId: this.boardId }, 'update could not be stored')
        // The document now holds what the database does not: it cannot be
        // served on. Everyone reconnects and reloads (senders re-send).
        this.deps.onBroken(this, 'storage unavailable')
      },
    )
  }

  /** Rebuilds the document from the database, after everything accepted so far is stored. */
  private rebuild(): void {
    if (this.rebuilding) return
    this.rebuilding = (async () => {
      await this.deps.docStore.flush()
      const loaded = await this.deps.docStore.load(this.boardId)
      if (this.destroyed) return
      this.ydoc.destroy()
      this.ydoc = emptyDoc()
      this.rootNames = rootNamesOf(this.ydoc)
      this.pendingState = null
      this.step1Cache = null
      this.fullStateCache = null
      this.load(loaded)
      this.size.reset(loaded.bytes)
      this.durability.reset()
      this.sendAwaitedStep1()
    })()
      .catch((err: unknown) => {
        this.log.error({ err, boardId: this.boardId }, 'rebuilding a room failed')
        this.deps.onBroken(this, 'rebuild failed')
      })
      .finally(() => {
        this.rebuilding = null
      })
  }

  /**
   * Applies what the database has that the room lacks, as of a read started
   * at or after `since` (performance.now()): one read serves everyone who
   * needs no fresher one.
   */
  private catchUpFromStore(since: number): Promise<void> {
    if (this.catchingUp && this.catchingUp.started >= since) return this.catchingUp.done
    if (this.lastCatchUp >= since && !this.catchingUp) return Promise.resolve()
    const wait = this.catchingUp?.done ?? Promise.resolve()
    const run = wait.then(async () => {
      const started = performance.now()
      try {
        const loaded = await this.deps.docStore.load(this.boardId)
        if (!this.destroyed && !this.rebuilding) this.catchUp([...(loaded.snapshot ? [loaded.snapshot] : []), ...loaded.updates])
        this.lastCatchUp = Math.max(this.lastCatchUp, started)
      } catch (err) {
        this.log.warn({ err, boardId: this.boardId }, 'catching up from storage failed')
      }
    })
    const entry = { started: performance.now(), done: run }
    this.catchingUp = entry
    void run.finally(() => {
      if (this.catchingUp === entry) this.catchingUp = null
    })
    return run
  }

  /**
   * Applies an update another instance accepted (guarded and stored there).
   * False if it depends on something we have not seen yet: the caller
   * should catch up from the database.
   */
  applyRemote(update: Uint8Array): boolean {
    if (this.rebuilding) {
      // The rebuild reads the database, which has it.
      return true
    }
    const doc = this.doc
    let pending = false
    try {
      Y.applyUpdate(doc, update, 'remote')
      pending = doc.store.pendingStructs !== null || doc.store.pendingDs !== null
    } catch (err) {
      this.log.error({ err, boardId: this.boardId }, 'a remote update could not be applied; rebuilding the room from storage')
      this.rebuild()
      return true
    }
    this.size.grew(update.length)
    this.step1Cache = null
    this.fullStateCache = null
    this.queueBroadcast(update, null)
    return !pending
  }

  /** Applies stored state the room may lack; peers get only what was new. */
  catchUp(stored: Uint8Array[]): void {
    if (this.rebuilding) return
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
    for (const [clientId, owner] of owners) {
      this.owners.set(clientId, owner)
      if (owner === conn.principalKey) conn.claimedIds++
    }
  }

  /** "Everything up to these clocks of yours is stored": only ever what the database has. */
  private sendSaved(conn: Connection): void {
    if (!conn.ext || conn.ownedIds.size === 0) return
    const clocks: Record<string, number> = {}
    for (const c of conn.ownedIds) clocks[c] = this.durability.storedClock(c, Y.getState(this.doc.store, c))
    conn.send(encodeExt({ kind: ExtKind.saved, clocks }))
  }

  refuse(conn: Connection, reason: RefusalReason, detail: string): void {
    this.deps.metrics.updateRefused?.(reason)
    // The reason only: a refused update's content is never logged.
    this.log.info({ boardId: this.boardId, conn: conn.id, reason, detail: detail.slice(0, 200) }, 'update refused')
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
    // Skip a peer only when every update in the frame is its own.
    const senders = new Set(items.map((i) => i.from))
    const recipients = [...this.conns].filter((c) => !(senders.size === 1 && senders.has(c)))
    if (recipients.length === 0) return
    let bytes = 0
    for (const i of items) bytes += i.update.length
    if (items.length === 1 || bytes <= MERGE_MAX_BYTES) {
      const message = encodeSyncUpdate(items.length === 1 ? items[0]!.update : Y.mergeUpdates(items.map((i) => i.update)))
      for (const c of recipients) c.send(message)
      this.deps.metrics.broadcast?.(recipients.length)
      return
    }
    // Merging big updates costs more than it saves (it decodes and encodes
    // every struct in one go): they go out one frame each, in order.
    for (const { update, from } of items) {
      const message = encodeSyncUpdate(update)
      let sent = 0
      for (const c of recipients) {
        if (c === from) continue
        c.send(message)
        sent++
      }
      this.deps.metrics.broadcast?.(sent)
    }
  }

  // ---- presence (see room-presence.ts) -------------------------------------

  expireRemoteAwareness(now: number): void {
    this.presence.expireRemote(now)
  }

  applyRemoteAwareness(update: Uint8Array): void {
    this.presence.applyRemote(update)
  }
}
