// The sync core of a room: the path every update takes, bound its work
// (update-scan) → guard → apply → store → release (broadcast, publish,
// "saved"), updates held back for the part before them, and the document
// rebuilt from (or caught up with) storage. Nobody sees an update before it
// is stored (see durability.ts). Storage is behind `DocLog`.
import { writeRights } from '../../../shared/rules.js'
import { parsePrincipalKey, principalKey } from '../auth/principals.js'
import type { Logger } from 'pino'
import * as Y from 'yjs'
import { CloseCode, ExtKind, type RefusalReason, refusalMessages } from '../../../shared/constants.js'
import { encodeExt } from '../../../shared/protocol.js'
import type { DocLog, LoadedDoc } from '../store/doc-log.js'
import type { Connection, HeldBackLimits } from './connection.js'
import { Durability } from './durability.js'
import { checkUpdate, type GuardState, type GuardVerdict } from './guard.js'
import { EMPTY_STATE_VECTOR, RoomDocument } from './room-document.js'
import { type RecoveryHost, RoomRecovery } from './room-recovery.js'
import { type RoomLimits, SizeAccount } from './size-account.js'
import { scanUpdate, type UpdateScan } from './update-scan.js'
import { sliceUpdate } from './update-slices.js'
import { BYTES_PER_UNIT, HEAVY_BYTES, HEAVY_STRUCTS, heavyTurns, SLICE_STRUCTS } from './work-queue.js'

export interface BoardFlags {
  locked: boolean
  archived: boolean
  /** Guest limits the host set (shared/rules.ts BoardFlags). */
  guestTools?: readonly string[] | null
  lockedFrames?: readonly string[]
}

export interface RoomMetrics {
  updateAccepted?(bytes: number): void
  updateRefused?(reason: RefusalReason): void
  awarenessRelayed?(recipients: number): void
  broadcast?(recipients: number): void
}

/** What the sync core needs from the rest of the server. */
export interface SyncDeps {
  docLog: DocLog
  logger: Logger
  limits: RoomLimits
  metrics: RoomMetrics
  /** Other instances may hold the board too (and store updates this room has not seen). */
  shared: boolean
  /** Accepted updates (once stored) and awareness go to other instances through this. */
  publish(boardId: string, kind: 'update' | 'awareness', data: Uint8Array): void
}

/** What the sync core needs from its room. */
export interface SyncHost extends RecoveryHost {
  readonly flags: BoardFlags
}

/**
 * Refusals that an update can earn only because this instance has not seen
 * what another one stored: what it builds on, or the client ids (and so the
 * authors) of what it re-sends. The rest are about the update itself.
 */
const MAY_BE_STORED_ELSEWHERE: ReadonlySet<RefusalReason> = new Set<RefusalReason>([
  'foreign_client',
  'unresolvable',
  'clock_gap',
  'future_delete',
  'read_only',
  'locked',
  'archived',
  'gc_struct',
  'not_own_markup',
  'forbidden_shape_type',
  'tool_not_allowed',
  'locked_frame',
])

/** Updates held back waiting for the part before them (see holdBack): count, bytes, age. */
const HELD_BACK: HeldBackLimits = { count: 500, bytes: 4 * 1024 * 1024, ms: 3_000 }

export class RoomSync {
  private readonly document: RoomDocument
  readonly owners = new Map<number, string>()
  /** Resolves once the stored client-id owners are in `owners`. */
  private ownersLoading: Promise<void> | null
  private readonly durability = new Durability()
  readonly size: SizeAccount
  /** Rebuilds the document from the database and catches up with it. */
  readonly recovery: RoomRecovery
  /** Connections that have not had our sync step 1 yet (it needs the Y.Doc). */
  private readonly awaitingStep1 = new Set<Connection>()

  constructor(
    private readonly host: SyncHost,
    loaded: LoadedDoc,
    private readonly deps: SyncDeps,
  ) {
    const boardId = host.boardId
    this.ownersLoading = deps.docLog.loadOwners(boardId).then((stored) => {
      for (const [id, owner] of stored) if (!this.owners.has(id)) this.owners.set(id, principalKey(owner))
      this.ownersLoading = null
    })
    // A failure surfaces to the first message that waits on it.
    this.ownersLoading.catch(() => {})
    this.size = new SizeAccount(deps.limits, loaded.bytes, (id) => this.owners.get(id))
    this.document = new RoomDocument(loaded, {
      built: () => this.sendAwaitedStep1(),
      pendingStructs: () => this.log.warn({ boardId }, 'stored document has pending structs'),
    })
    this.recovery = new RoomRecovery(host, deps.docLog, deps.logger, {
      document: this.document,
      size: this.size,
      durability: this.durability,
      rebuilt: () => this.sendAwaitedStep1(),
    })
  }

  /** Set while the document is being rebuilt from the database: every message waits for it. */
  get rebuilding(): Promise<void> | null {
    return this.recovery.rebuilding
  }

  private get log(): Logger {
    return this.deps.logger
  }

  private get boardId(): string {
    return this.host.boardId
  }

  /** The board document, built from the stored state on first use. */
  get doc(): Y.Doc {
    return this.document.doc
  }

  /**
   * The built document, when it holds exactly what was stored or handed to
   * the log for this board (DocStore's live compaction, see compactLive):
   * not while it is rebuilt (a failed apply may have left part of an update
   * in it), and not before it is built (nothing was appended then).
   */
  get appendedDoc(): Y.Doc | null {
    return this.document.built && this.rebuilding === null ? this.document.doc : null
  }

  /** Runs `run` once the stored client-id owners are known. */
  afterOwners(run: () => void | Promise<void>): void | Promise<void> {
    return this.ownersLoading ? this.ownersLoading.then(run) : run()
  }

  private sendAwaitedStep1(): void {
    if (this.awaitingStep1.size === 0) return
    const step1 = this.document.step1()
    for (const c of this.awaitingStep1) c.send(step1)
    this.awaitingStep1.clear()
  }

  /** A joiner: our step 1 now, or once the document is built. */
  greet(conn: Connection): void {
    // A fresh client needs nothing but our state; one that has content gets
    // our step 1 once the document is built (see syncStep1).
    if (this.document.built && this.rebuilding === null) conn.send(this.document.step1())
    else this.awaitingStep1.add(conn)
  }

  left(conn: Connection): void {
    this.awaitingStep1.delete(conn)
  }

  /** Client ids of one principal now belong to another (a guest carried into an account). */
  reassignOwner(from: string, to: string): void {
    for (const [clientId, owner] of this.owners) if (owner === from) this.owners.set(clientId, to)
    this.size.reassign(from, to)
  }

  /** Resolves once everything accepted so far is stored. */
  whenStored(): Promise<void> {
    return this.durability.settled ? Promise.resolve() : new Promise<void>((resolve) => this.durability.whenStored(resolve))
  }

  /** The stored state as one update (what an export may show), without building the document if it is not built. */
  async encodeState(): Promise<Uint8Array> {
    if (this.rebuilding) await this.rebuilding
    if (!this.durability.settled) await new Promise<void>((resolve) => this.durability.whenStored(resolve))
    return this.document.state()
  }

  destroy(): void {
    // Whoever waits for a commit stops waiting (sends to closed connections are dropped).
    this.durability.reset()
    this.document.destroy()
    this.awaitingStep1.clear()
  }

  // ---- sync messages -------------------------------------------------------

  syncStep1(conn: Connection, stateVector: Uint8Array): void {
    const reply = this.step2For(stateVector, conn)
    if (reply === null) return
    // Only what is stored: if updates are still on their way to the
    // database, the answer waits for them (it is computed now, so it
    // holds nothing accepted later; those are broadcast after it).
    this.durability.whenStored(() => {
      for (const frame of reply) conn.send(frame)
    })
    // The client has content: building the document sends it our step 1,
    // so it can send back whatever we lack.
    if (!EMPTY_STATE_VECTOR(stateVector)) void this.document.doc
  }

  /** Our answer to a client's state vector (a step 2, maybe an update after it); null when the connection used up its work budget on it. */
  private step2For(stateVector: Uint8Array, conn: Connection): Uint8Array[] | null {
    if (EMPTY_STATE_VECTOR(stateVector)) return this.document.fullState()
    const reply = this.document.diffFor(stateVector)
    if (reply === null) return this.document.fullState()
    // A state vector that claims little makes us encode a lot: that costs
    // work budget (one unit per KiB), like the updates a client sends.
    if (!conn.work.take(reply.length >> 10)) {
      conn.close(CloseCode.rateLimited, 'too much work requested')
      return null
    }
    return [reply]
  }

  private guardState(): GuardState {
    return { doc: this.doc, rootNames: this.document.rootNames, owners: this.owners, ...this.host.flags }
  }

  /**
   * Bounds the update's work before anything decodes it, then guards and
   * applies it: at once when small; in slices, one event-loop turn each,
   * when big (see update-scan.ts and work-queue.ts).
   */
  receiveUpdate(conn: Connection, update: Uint8Array): void | Promise<void> {
    // A big message is not even read in the turn it arrived in: it waits for
    // a turn of its own, like each slice of it later.
    if (update.length > HEAVY_BYTES) {
      return heavyTurns.next().then(() => (conn.state === 'open' && !this.host.destroyed ? this.takeUpdate(conn, update) : undefined))
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
      if (conn.state !== 'open' || this.host.destroyed) return
      await this.handleUpdate(conn, slice, false, scan)
    }
  }

  private handleUpdate(conn: Connection, update: Uint8Array, claimed: boolean, scan?: UpdateScan, caughtUp = false): void | Promise<void> {
    const id = conn.identity!
    const limits = this.deps.limits
    const verdict = checkUpdate(
      update,
      this.guardState(),
      { principalKey: id.principalKey, role: id.role, guest: id.principal.kind === 'guest' },
      scan,
      limits.update,
    )
    if (!verdict.ok) {
      switch (verdict.reason) {
        case 'unclaimed':
          if (claimed) return this.refuse(conn, 'foreign_client', 'client id could not be claimed')
          if (conn.claimedIds + verdict.clients.length > limits.maxClientIdsPerConnection) {
            return this.refuse(conn, 'too_complex', `more than ${limits.maxClientIdsPerConnection} client ids on one connection`)
          }
          return this.claim(conn, verdict.clients).then(() => this.handleUpdate(conn, update, true, scan, caughtUp))
        default:
          // Another instance may have stored what this update builds on (or
          // re-sends: a peer that got it from an instance that then died).
          // Its client ids are then unknown here and count as the sender's,
          // so a reader's or reviewer's re-send of an editor's shapes looks
          // like its own write. The database decides, once per connection,
          // before we refuse or hold back: a read that started after the
          // connection opened has everything its client can have been sent.
          if (!caughtUp && this.deps.shared && MAY_BE_STORED_ELSEWHERE.has(verdict.reason) && conn.firstCatchUp()) {
            return this.recovery.catchUpFromStore(conn.openedAt).then(() =>
              conn.state === 'open' ? this.handleUpdate(conn, update, claimed, undefined, true) : undefined,
            )
          }
          // The missing part may still come, from anyone who may write at all.
          if (verdict.reason === 'clock_gap' && writeRights({ role: id.role, guest: id.principal.kind === 'guest', creatorGuest: false }, this.host.flags).scope !== 'none') {
            return this.holdBack(conn, update, verdict.detail)
          }
          return this.refuse(conn, verdict.reason, verdict.detail)
      }
    }
    if (verdict.noop) {
      // It may repeat something not stored yet: "saved" waits for that.
      this.durability.whenStored(() => {
        if (conn.settled) this.sendSaved(conn)
      })
      return
    }
    const size = this.size.admit(update, verdict, id.principalKey, this.doc)
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
    if (conn.holdingBack) return this.retryHeldBack(conn)
  }

  /**
   * A stock client that edited offline reconnects and sends new edits right
   * away, before its sync step 2 delivers the offline ones: those edits start
   * past the server's clock. They wait (bounded) for the missing part from the
   * same connection instead of being refused.
   */
  private holdBack(conn: Connection, update: Uint8Array, detail: string): void {
    const first = !conn.holdingBack
    if (!conn.holdBack(update, HELD_BACK)) return this.refuse(conn, 'clock_gap', detail)
    if (first) {
      // Nothing filled the gap in time: a pre-allocated clock, not a reconnect.
      const timer = setTimeout(() => {
        if (conn.state === 'open' && (conn.heldBackAge() ?? -1) >= HELD_BACK.ms) this.refuse(conn, 'clock_gap', detail)
      }, HELD_BACK.ms + 10)
      timer.unref()
    }
  }

  private retryHeldBack(conn: Connection): void | Promise<void> {
    const held = conn.takeHeldBack()
    let next: void | Promise<void>
    for (let i = 0; i < held.length; i++) {
      if (conn.state !== 'open') return
      next = this.handleUpdate(conn, held[i]!.update, false, undefined, true)
      if (next) {
        // A claim is under way: the rest waits behind it, in order.
        const rest = held.slice(i + 1)
        return next.then(() => {
          conn.returnHeldBack(rest)
          if (conn.holdingBack && conn.state === 'open') return this.retryHeldBack(conn)
        })
      }
    }
  }

  private accept(conn: Connection, update: Uint8Array, verdict: Extract<GuardVerdict, { ok: true }>): void {
    const before = new Map<number, number>()
    for (const c of verdict.ends.keys()) before.set(c, Y.getState(this.doc.store, c))
    // The guard only accepts what Yjs applies completely; should Yjs throw
    // anyway (or leave any of the update's structs pending), nothing
    // half-applied may survive: the document is rebuilt from the database and
    // the sender alone is refused.
    const failure = this.document.apply(update, conn, verdict.ends)
    if (failure !== null) {
      this.log.error({ err: failure, boardId: this.boardId }, 'an update could not be applied; rebuilding the room from storage')
      this.recovery.rebuild()
      return this.refuse(conn, 'unresolvable', 'the update could not be applied')
    }
    const seq = this.durability.accepted(verdict.ends, (c) => before.get(c) ?? 0)
    this.size.accepted(update, verdict, this.doc)
    conn.own(verdict.clients)
    this.deps.metrics.updateAccepted?.(update.length)
    conn.writeStarted()
    this.deps.docLog.append(this.boardId, update, conn.principalKey).then(
      () => {
        conn.writeEnded()
        // Joiners' answers that waited for this go out first, then the update.
        this.durability.stored(seq, verdict.ends)
        if (this.host.destroyed) return
        this.host.broadcast(update, conn)
        this.deps.publish(this.boardId, 'update', update)
        if (conn.settled) this.sendSaved(conn)
      },
      (err: unknown) => {
        conn.writeEnded()
        this.log.error({ err, boardId: this.boardId }, 'update could not be stored')
        // The document now holds what the database does not: it cannot be
        // served on. Everyone reconnects and reloads (senders re-send).
        this.host.broken('storage unavailable')
      },
    )
  }

  async claim(conn: Connection, ids: number[]): Promise<void> {
    const owners = await this.deps.docLog.claim(this.boardId, ids, parsePrincipalKey(conn.principalKey))
    for (const [clientId, ref] of owners) {
      const owner = principalKey(ref)
      this.owners.set(clientId, owner)
      if (owner === conn.principalKey) conn.claimedId()
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
}
