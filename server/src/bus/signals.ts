// Board-level signals that must reach every part of every instance that has
// the board open: the collaboration hub re-checks its sockets, socket.io
// re-checks its subscriptions and emits events.
import { EventEmitter } from 'node:events'
import type { PrincipalKind } from '../../../shared/types.js'

export type BoardSignal =
  /** Settings changed (title, lock, archive, access mode, claim, tier): re-check every connection. */
  | { type: 'board.changed'; boardId: string }
  /** Roles, removals or revocations changed: re-check the named principal, or everyone. */
  | { type: 'access.changed'; boardId: string; target?: { kind: PrincipalKind; id: string } }
  | { type: 'board.deleted'; boardId: string; reason: 'deleted' | 'expired' }
  /** The global guest switch was turned off: every guest everywhere goes. */
  | { type: 'guests.disabled' }

export type SignalHandler = (signal: BoardSignal) => void

export interface SignalTransport {
  /** Deliver to every instance, this one included. */
  publish(signal: BoardSignal): void
  subscribe(handler: SignalHandler): () => void
}

/** Single-process transport. The Redis one lives in redis-bus.ts. */
export class LocalSignals implements SignalTransport {
  private readonly emitter = new EventEmitter().setMaxListeners(0)

  publish(signal: BoardSignal): void {
    // Asynchronous like the Redis transport, so callers never depend on
    // handlers having run before publish() returns.
    queueMicrotask(() => this.emitter.emit('signal', signal))
  }

  subscribe(handler: SignalHandler): () => void {
    this.emitter.on('signal', handler)
    return () => this.emitter.off('signal', handler)
  }
}
