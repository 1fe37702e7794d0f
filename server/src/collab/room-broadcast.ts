// A room's fan-out of stored updates to its peers.
//
// Bursts are coalesced: a quiet room, or any room while the process has
// time to spare, sends each update at once (next turn of the event loop); a
// busy one on a busy process sends at most one frame per peer every
// BROADCAST_WINDOW_MS, merging what arrived meanwhile. Each frame is encoded
// once for every peer. Most of the cost of a delivered message is the
// socket write itself, so fewer, larger frames are what makes fan-out cheap.
import * as Y from 'yjs'
import { encodeSyncUpdate } from '../../../shared/protocol.js'
import { loopLoad } from '../util/loop-load.js'
import type { Connection } from './connection.js'

/** Minimum spacing of update frames in a busy room (see Broadcaster.queue). */
export const BROADCAST_WINDOW_MS = 8
/** Below this busy share of the event loop (util/loop-load.ts) frames go out at once, window or not. */
const MERGE_ABOVE_BUSY = 0.5
/** Updates of one broadcast are merged into one frame up to this size. */
const MERGE_MAX_BYTES = 64 * 1024

export interface BroadcastHost {
  readonly destroyed: boolean
  conns(): Iterable<Connection>
  /** One frame went to this many peers. */
  sent(recipients: number): void
}

interface Outgoing {
  update: Uint8Array
  from: Connection | null
}

export class Broadcaster {
  private outbox: Outgoing[] = []
  private scheduled = false
  private lastFlush = 0

  constructor(private readonly host: BroadcastHost) {}

  /** Sends `update` to every peer but `from` (null: it came from storage or another instance). */
  queue(update: Uint8Array, from: Connection | null): void {
    this.outbox.push({ update, from })
    if (this.scheduled) return
    this.scheduled = true
    // The window trades latency for CPU, which only pays while the loop is busy.
    const wait = loopLoad.busy() < MERGE_ABOVE_BUSY ? 0 : this.lastFlush + BROADCAST_WINDOW_MS - performance.now()
    if (wait <= 0) setImmediate(() => this.flush())
    else setTimeout(() => this.flush(), wait)
  }

  clear(): void {
    this.outbox = []
  }

  private flush(): void {
    this.scheduled = false
    this.lastFlush = performance.now()
    const items = this.outbox
    this.outbox = []
    try {
      this.send(items)
    } finally {
      // A quiet room's outbox can outlive a young collection or two and be
      // moved to the old generation; left holding its updates and senders
      // there, it would keep them alive until the next full collection (see
      // forgetFinished in util/y-doc.ts).
      items.length = 0
    }
  }

  private send(items: readonly Outgoing[]): void {
    if (items.length === 0 || this.host.destroyed) return
    // Skip a peer only when every update in the frame is its own.
    const senders = new Set(items.map((i) => i.from))
    const recipients = [...this.host.conns()].filter((c) => !(senders.size === 1 && senders.has(c)))
    if (recipients.length === 0) return
    let bytes = 0
    for (const i of items) bytes += i.update.length
    if (items.length === 1 || bytes <= MERGE_MAX_BYTES) {
      const message = encodeSyncUpdate(items.length === 1 ? items[0]!.update : Y.mergeUpdates(items.map((i) => i.update)))
      for (const c of recipients) c.send(message)
      this.host.sent(recipients.length)
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
      this.host.sent(sent)
    }
  }
}
