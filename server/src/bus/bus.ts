// The bus: how instances tell each other about access changes (signals) and
// share live room traffic (accepted Yjs updates and presence). One interface,
// two implementations: in-process (one instance) and Redis (several).
import { EventEmitter } from 'node:events'
import { nanoid } from 'nanoid'
import type { BoardSignal, SignalHandler, SignalTransport } from './signals.js'

export type RoomMessageKind = 'update' | 'awareness'
export type RoomHandler = (kind: RoomMessageKind, data: Uint8Array) => void

export interface Bus extends SignalTransport {
  readonly kind: 'local' | 'redis'
  /** Unique per process; messages carry it so an instance never hears its own echo. */
  readonly instanceId: string
  /** False while the transport is down (Redis unreachable). */
  readonly healthy: boolean
  /** Sends room traffic to the *other* instances that have the board open. */
  publishRoom(boardId: string, kind: RoomMessageKind, data: Uint8Array): void
  /** Starts receiving a board's traffic from other instances; resolves once subscribed. */
  joinRoom(boardId: string, handler: RoomHandler): Promise<void>
  leaveRoom(boardId: string): void
  /**
   * 'down' when the transport is lost, 'up' when it is back (after a 'down').
   * Signals sent meanwhile by others may be lost to this instance, so on
   * 'up' whatever holds live connections re-checks all of them against the
   * database (signals this instance published meanwhile are sent then).
   */
  onHealth(listener: (up: boolean) => void): () => void
  close(): Promise<void>
}

/** Single process: signals go to this process's subscribers, rooms have no one else to reach. */
export class LocalBus implements Bus {
  readonly kind = 'local' as const
  readonly instanceId = nanoid(10)
  readonly healthy = true
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

  publishRoom(): void {}

  async joinRoom(): Promise<void> {}

  leaveRoom(): void {}

  onHealth(): () => void {
    return () => {}
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners()
  }
}
