// One client on the collaboration endpoint. Talks to its socket only through
// `Peer`, so rooms can be tested in-process with fake peers.
import type { Role } from '../../../shared/capabilities.js'
import { CloseCode } from '../../../shared/constants.js'
import type { CapacityNotice } from '../../../shared/session.js'
import type { PresenceUser } from '../../../shared/types.js'
import type { ResolvedPrincipal } from '../auth/principals.js'
import { TokenBucket } from '../util/token-bucket.js'
import { BYTES_PER_UNIT, UNLIMITED_WORK, type WorkBudget } from './work-queue.js'

/** The tiny socket interface the hub needs. */
export interface Peer {
  send(data: Uint8Array): void
  close(code: number, reason: string): void
  /** Bytes queued for the network; used to drop clients that stopped reading. */
  readonly bufferedAmount: number
}

/** What a connection hands its messages to once it is in a room. */
export interface MessageSink {
  join(conn: Connection): void
  receive(conn: Connection, data: Uint8Array): void | Promise<void>
  leave(conn: Connection): void
}

export interface ConnectionLimits {
  maxMessageBytes: number
  preAuthMaxMessages: number
  rate: number
  burst: number
  /** A peer with more than this queued unsent is too slow to keep. */
  maxBufferedBytes: number
}

export interface Identity {
  principal: ResolvedPrincipal
  principalKey: string
  role: Role
  user: PresenceUser
  /** The board was full: `role` is reader instead of what the person has. */
  capacity?: CapacityNotice
}

/** An update that arrived before the part of its client's history it follows, and when. */
export interface HeldUpdate {
  update: Uint8Array
  at: number
}

/** How many held-back updates a connection may have waiting, how big and for how long. */
export interface HeldBackLimits {
  count: number
  bytes: number
  ms: number
}

let nextId = 1

export class Connection {
  readonly id = nextId++
  state: 'authenticating' | 'open' | 'closed' = 'authenticating'
  identity: Identity | null = null
  sink: MessageSink | null = null
  /** The first awareness client id this connection published. */
  private awareness: number | null = null
  /** Client ids this connection wrote structs with, plus its awareness id. */
  private readonly owned = new Set<number>()
  /** Appends not yet durable; "saved" is sent when this drops to zero. */
  private inflight = 0
  /** Updates that arrived before the part of their client's history they follow. */
  private heldBack: HeldUpdate[] = []
  /** Yjs client ids this connection claimed for its principal. */
  private claimed = 0
  /** When it joined its room (performance.now()). */
  private opened = 0
  /** It already made its room catch up from the database once (see RoomSync.handleUpdate). */
  private caughtUp = false
  /** Update work this connection may cost (shared by its client address). */
  work: WorkBudget = UNLIMITED_WORK
  private readonly bucket: TokenBucket
  private preAuth: Uint8Array[] = []
  private backlog: Uint8Array[] | null = null
  private readonly closeListeners: ((code: number) => void)[] = []

  constructor(
    private readonly peer: Peer,
    readonly ext: boolean,
    private readonly limits: ConnectionLimits,
  ) {
    this.bucket = new TokenBucket(limits.rate, limits.burst)
  }

  get role(): Role {
    return this.identity!.role
  }

  get principalKey(): string {
    return this.identity!.principalKey
  }

  // ---- what its room keeps on it --------------------------------------------

  get awarenessId(): number | null {
    return this.awareness
  }

  get ownedIds(): ReadonlySet<number> {
    return this.owned
  }

  get openedAt(): number {
    return this.opened
  }

  get claimedIds(): number {
    return this.claimed
  }

  /** It wrote structs with these client ids. */
  own(ids: Iterable<number>): void {
    for (const id of ids) this.owned.add(id)
  }

  /** It published presence as `clientId`; the first one becomes its awareness id. */
  ownAwareness(clientId: number): void {
    if (this.awareness === null) this.awareness = clientId
    this.owned.add(clientId)
  }

  /** A client id was claimed for its principal through it. */
  claimedId(): void {
    this.claimed++
  }

  /** True the first time only: a connection makes its room catch up from the database once. */
  firstCatchUp(): boolean {
    if (this.caughtUp) return false
    this.caughtUp = true
    return true
  }

  /** One of its accepted updates went to storage. */
  writeStarted(): void {
    this.inflight++
  }

  /** One of its writes ended (stored or failed). */
  writeEnded(): void {
    this.inflight--
  }

  /** None of its writes is on its way. */
  get settled(): boolean {
    return this.inflight === 0
  }

  /** Queues an update held back for the part before it; false (and nothing queued) past the limits. */
  holdBack(update: Uint8Array, limits: HeldBackLimits): boolean {
    const held = this.heldBack
    const bytes = held.reduce((n, h) => n + h.update.length, update.length)
    const oldest = held[0]?.at ?? Date.now()
    if (held.length >= limits.count || bytes > limits.bytes || Date.now() - oldest > limits.ms) return false
    held.push({ update, at: Date.now() })
    return true
  }

  /** Some update of it is held back. */
  get holdingBack(): boolean {
    return this.heldBack.length > 0
  }

  /** How long its oldest held-back update has waited (ms); null when none waits. */
  heldBackAge(): number | null {
    const oldest = this.heldBack[0]
    return oldest ? Date.now() - oldest.at : null
  }

  /** Takes every held-back update out of the queue, oldest first. */
  takeHeldBack(): HeldUpdate[] {
    return this.heldBack.splice(0)
  }

  /** Puts taken updates back at the front of the queue, in order. */
  returnHeldBack(held: HeldUpdate[]): void {
    this.heldBack.unshift(...held)
  }

  /** A message from the socket. */
  receive(data: Uint8Array): void {
    if (this.state === 'closed') return
    if (data.length > this.limits.maxMessageBytes) {
      return this.close(CloseCode.tooLarge, 'message too large')
    }
    if (!this.bucket.take()) return this.close(CloseCode.rateLimited, 'too many messages')
    // Charged on arrival, before anything reads it: one unit per 16 bytes is
    // at least what the smallest structs will cost, so an address over its
    // budget has its messages dropped unread instead of queued.
    if (!this.work.take(Math.floor(data.length / BYTES_PER_UNIT))) return this.close(CloseCode.rateLimited, 'update work budget used up; slow down')
    if (this.state === 'authenticating') {
      if (this.preAuth.length >= this.limits.preAuthMaxMessages) {
        return this.close(CloseCode.rateLimited, 'too many messages before authentication')
      }
      this.preAuth.push(data)
      return
    }
    this.process(data)
  }

  /** Authenticated: join the sink (a room) and replay what arrived meanwhile. */
  open(identity: Identity, sink: MessageSink): void {
    if (this.state !== 'authenticating') return
    this.identity = identity
    this.sink = sink
    this.state = 'open'
    this.opened = performance.now()
    sink.join(this)
    const queued = this.preAuth
    this.preAuth = []
    for (const data of queued) this.process(data)
  }

  /**
   * The server writing as a principal (a restore, a revert): a connection
   * that takes the live path (guard, limits, log, broadcast) without joining
   * the room, so nobody sees it arrive, and without a rate limit.
   */
  openDetached(identity: Identity, sink: MessageSink): void {
    if (this.state !== 'authenticating') return
    this.identity = identity
    this.sink = sink
    this.state = 'open'
    this.opened = performance.now()
  }

  // Messages are handled strictly in order. Most are handled synchronously;
  // when one needs the database (claiming a client id), later ones wait.
  private process(data: Uint8Array): void {
    if (this.backlog) {
      this.backlog.push(data)
      return
    }
    this.run(data)
  }

  private run(data: Uint8Array): void {
    if (this.state !== 'open') return
    let pending: void | Promise<void>
    try {
      pending = this.sink!.receive(this, data)
    } catch (err) {
      this.fail(err)
      return
    }
    if (pending) {
      this.backlog = []
      pending.then(
        () => this.drain(),
        (err: unknown) => this.fail(err),
      )
    }
  }

  private drain(): void {
    const queued = this.backlog ?? []
    this.backlog = null
    for (let i = 0; i < queued.length; i++) {
      if (this.state !== 'open') return
      this.run(queued[i]!)
      // run() went asynchronous again: the rest waits, still in order.
      const again = this.backlog as Uint8Array[] | null
      if (again !== null) {
        again.push(...queued.slice(i + 1))
        return
      }
    }
  }

  private fail(err: unknown): void {
    this.onError?.(err)
    this.close(CloseCode.tryAgainLater, 'internal error')
  }

  onError: ((err: unknown) => void) | null = null

  send(data: Uint8Array): void {
    if (this.state === 'closed') return
    // Reading the socket's backlog is not free; every 16th send (and every
    // big one) is often enough to catch a client that stopped reading.
    if ((++this.sends & 15) === 0 || data.length > 65_536) {
      if (this.peer.bufferedAmount > this.limits.maxBufferedBytes) {
        return this.close(CloseCode.tryAgainLater, 'client too slow')
      }
    }
    this.peer.send(data)
  }

  private sends = 0

  onClose(listener: (code: number) => void): void {
    this.closeListeners.push(listener)
  }

  /** Closes the socket (if still open) and leaves the room. */
  close(code: number, reason: string): void {
    if (this.state === 'closed') return
    this.peer.close(code, reason)
    this.closed(code)
  }

  /** The socket went away on its own. */
  closed(code: number): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.preAuth = []
    this.backlog = null
    this.heldBack.length = 0
    this.sink?.leave(this)
    for (const l of this.closeListeners) l(code)
  }
}
