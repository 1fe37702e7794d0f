// A room's presence (Yjs awareness): states verified against the connection
// that sent them, stamped with the server's view of who that is, bounded in
// size and rate, relayed in one message per loop turn, shared with other
// instances, and dropped when their connection (or instance) goes.
import { CloseCode } from '../../../shared/constants.js'
import { type AwarenessEntry, decodeAwarenessUpdate, encodeAwarenessMessage, encodeAwarenessUpdate } from '../../../shared/protocol.js'
import type { Connection } from './connection.js'

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

export interface PresenceLimits {
  /** Largest presence state (its JSON), in bytes. A bigger one closes the connection with 4413. */
  maxStateBytes: number
  /** Presence messages per second per connection; faster ones are held back and only the newest is relayed. */
  rate: number
  burst: number
}

export const DEFAULT_PRESENCE_LIMITS: PresenceLimits = { maxStateBytes: 32 * 1024, rate: 30, burst: 60 }

export interface PresenceHost {
  readonly boardId: string
  readonly destroyed: boolean
  conns(): Iterable<Connection>
  /** Who owns a Yjs client id on the board (undefined: nobody yet). */
  ownerOf(clientId: number): string | undefined
  /** Claims a client id for the connection's principal (durably). */
  claim(conn: Connection, ids: number[]): Promise<void>
  refuse(conn: Connection, reason: 'malformed', detail: string): void
  publish(update: Uint8Array): void
  relayed(recipients: number): void
}

interface Pacing {
  tokens: number
  last: number
  /** The newest message that arrived over the rate, relayed when the rate allows. */
  held: Uint8Array | null
  timer: NodeJS.Timeout | null
}

export class RoomPresence {
  private readonly states = new Map<number, AwarenessState>()
  /** Last clock and state relayed per awareness client id, removals included. */
  private readonly relayedStates = new Map<number, { clock: number; state: string }>()
  private readonly outbox = new Map<number, AwarenessEntry>()
  private toPublish: AwarenessEntry[] = []
  private scheduled = false
  private readonly pacing = new WeakMap<Connection, Pacing>()

  constructor(
    private readonly host: PresenceHost,
    private readonly limits: PresenceLimits = DEFAULT_PRESENCE_LIMITS,
  ) {}

  entries(): AwarenessEntry[] {
    const out: AwarenessEntry[] = []
    for (const [clientId, s] of this.states) out.push({ clientId, clock: s.clock, state: s.state })
    return out
  }

  /** Everything known, as one message for a joiner (or null when nobody is there). */
  snapshotMessage(): Uint8Array | null {
    const states = this.entries()
    return states.length > 0 ? encodeAwarenessMessage(encodeAwarenessUpdate(states)) : null
  }

  /** The connection left: its states are removed for everyone. */
  left(conn: Connection): void {
    const p = this.pacing.get(conn)
    if (p?.timer) clearTimeout(p.timer)
    const removed: AwarenessEntry[] = []
    for (const [clientId, s] of this.states) {
      if (s.conn !== conn) continue
      this.states.delete(clientId)
      const clock = s.clock + 1
      this.relayedStates.set(clientId, { clock, state: 'null' })
      removed.push({ clientId, clock, state: 'null' })
    }
    if (removed.length > 0) this.send(removed, true)
  }

  clear(): void {
    this.states.clear()
    this.relayedStates.clear()
    this.outbox.clear()
  }

  /**
   * A presence message from a connection, paced: over the rate, the newest
   * message waits (older held ones are superseded) and goes out when the
   * rate allows, so a fast cursor costs peers at most `rate` messages a second.
   */
  receive(conn: Connection, update: Uint8Array): void | Promise<void> {
    const now = performance.now()
    let p = this.pacing.get(conn)
    if (!p) this.pacing.set(conn, (p = { tokens: this.limits.burst, last: now, held: null, timer: null }))
    p.tokens = Math.min(this.limits.burst, p.tokens + ((now - p.last) / 1000) * this.limits.rate)
    p.last = now
    if (p.tokens >= 1 && p.held === null) {
      p.tokens -= 1
      return this.handle(conn, update)
    }
    p.held = update
    if (p.timer) return
    const pacing = p
    p.timer = setTimeout(() => {
      pacing.timer = null
      const held = pacing.held
      pacing.held = null
      pacing.tokens = Math.max(0, pacing.tokens - 1)
      pacing.last = performance.now()
      if (!held || conn.state !== 'open' || this.host.destroyed) return
      // Outside the connection's ordered processing: a failure (the claim's
      // database write) ends the connection instead of going unhandled.
      Promise.resolve(this.handle(conn, held)).catch(() => conn.close(CloseCode.tryAgainLater, 'internal error'))
    }, Math.ceil(1000 / this.limits.rate))
    p.timer.unref()
  }

  /** May `conn` speak for awareness client `clientId`? Claims its first one. */
  private owner(conn: Connection, clientId: number): 'yes' | 'no' | 'claim' {
    if (conn.awarenessId === clientId || conn.ownedIds.has(clientId)) return 'yes'
    if (conn.awarenessId !== null) return 'no'
    const owner = this.host.ownerOf(clientId)
    if (owner !== undefined && owner !== conn.principalKey) return 'no'
    const holder = this.states.get(clientId)?.conn
    if (holder && holder !== conn && holder.state !== 'closed') return 'no'
    return owner === undefined ? 'claim' : 'yes'
  }

  private handle(conn: Connection, update: Uint8Array, claimed = false): void | Promise<void> {
    let entries: AwarenessEntry[]
    try {
      entries = decodeAwarenessUpdate(update)
    } catch (err) {
      return this.host.refuse(conn, 'malformed', (err as Error).message)
    }
    const accepted: AwarenessEntry[] = []
    for (const e of entries) {
      let verdict = this.owner(conn, e.clientId)
      if (verdict === 'claim') {
        if (!claimed) return this.host.claim(conn, [e.clientId]).then(() => this.handle(conn, update, true))
        verdict = this.host.ownerOf(e.clientId) === conn.principalKey ? 'yes' : 'no'
      }
      // Stock clients re-send other people's states; those are dropped quietly.
      if (verdict === 'no') continue
      // Checked on the state as sent, before it is parsed or stamped.
      if (e.state.length > this.limits.maxStateBytes) {
        return conn.close(CloseCode.tooLarge, `presence state larger than ${this.limits.maxStateBytes} bytes`)
      }
      conn.ownAwareness(e.clientId)
      const stamped = this.stamp(conn, e.state)
      if (stamped === null) continue
      const clock = this.relayClock(e.clientId, e.clock, stamped)
      if (clock === null) continue
      if (stamped === 'null') this.states.delete(e.clientId)
      else this.states.set(e.clientId, { clock, state: stamped, conn, at: Date.now() })
      accepted.push({ clientId: e.clientId, clock, state: stamped })
    }
    if (accepted.length > 0) this.send(accepted, true)
  }

  /**
   * The clock to relay a state with, or null to drop it. A client that
   * reconnects re-sends its state with a clock the others already passed
   * (its removal was announced with clock + 1), so a changed state is bumped
   * past the last relayed clock; an unchanged one is a duplicate. Bumping
   * only on change keeps the echo to the sender from looping.
   */
  private relayClock(clientId: number, clock: number, state: string): number | null {
    const last = this.relayedStates.get(clientId)
    // Peers ignore a first state with clock 0 (their unknown clients count as
    // clock 0), and that is what a stock client that never moves sends: a
    // reader would never appear. Relayed as clock 1 it does.
    let out = last === undefined && clock === 0 && state !== 'null' ? 1 : clock
    if (last && clock <= last.clock) {
      if (last.state === state) return null
      out = last.clock + 1
    }
    this.relayedStates.set(clientId, { clock: out, state })
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
  private send(entries: AwarenessEntry[], publish: boolean): void {
    if (publish) this.toPublish.push(...entries)
    // A later entry for the same client in this turn supersedes an earlier one.
    for (const e of entries) this.outbox.set(e.clientId, e)
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }

  private flush(): void {
    this.scheduled = false
    const entries = [...this.outbox.values()]
    const toPublish = this.toPublish
    this.outbox.clear()
    this.toPublish = []
    if (this.host.destroyed) return
    if (entries.length > 0) {
      const message = encodeAwarenessMessage(encodeAwarenessUpdate(entries))
      // Everyone, the sender included: a stock client that hears nothing for
      // 30 s assumes the connection is dead, and its own echo keeps it alive.
      let n = 0
      for (const c of this.host.conns()) {
        c.send(message)
        n++
      }
      this.host.relayed(n)
    }
    if (toPublish.length > 0) this.host.publish(encodeAwarenessUpdate(toPublish))
  }

  /** Drops remote states that stopped being renewed, telling local clients. */
  expireRemote(now: number): void {
    const gone: AwarenessEntry[] = []
    for (const [clientId, s] of this.states) {
      if (s.conn !== null || now - s.at < REMOTE_AWARENESS_TTL_MS) continue
      this.states.delete(clientId)
      const clock = s.clock + 1
      this.relayedStates.set(clientId, { clock, state: 'null' })
      gone.push({ clientId, clock, state: 'null' })
    }
    if (gone.length > 0) this.send(gone, false)
  }

  /** Awareness accepted by another instance: stored for joiners and relayed. */
  applyRemote(update: Uint8Array): void {
    let entries: AwarenessEntry[]
    try {
      entries = decodeAwarenessUpdate(update)
    } catch {
      return
    }
    const fresh = entries.filter((e) => {
      const last = this.relayedStates.get(e.clientId)
      if (last && last.clock >= e.clock) return false
      this.relayedStates.set(e.clientId, { clock: e.clock, state: e.state })
      if (e.state === 'null') this.states.delete(e.clientId)
      else this.states.set(e.clientId, { clock: e.clock, state: e.state, conn: null, at: Date.now() })
      return true
    })
    if (fresh.length > 0) this.send(fresh, false)
  }
}
