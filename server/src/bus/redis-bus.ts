// Multi-instance bus on Redis pub/sub (ioredis). Signals go to one channel,
// each board's room traffic to its own channel; every message carries the
// sending instance's id so nobody applies its own echo. Pub/sub drops what is
// sent while a subscriber is disconnected: after an outage the hub catches up
// from the database, where every accepted update is stored (see hub.ts), and
// every holder of live connections re-checks them (access changes are in the
// database too). Signals this instance could not publish are kept (bounded)
// and sent once Redis is back, for instances that never saw the outage.
import { EventEmitter } from 'node:events'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { nanoid } from 'nanoid'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Bus, RoomHandler, RoomMessageKind } from './bus.js'
import type { BoardSignal, SignalHandler } from './signals.js'

const KIND_CODE: Record<RoomMessageKind, number> = { update: 0, awareness: 1 }
/**
 * Signals kept while Redis is unreachable. Past this the oldest go: the
 * instances that lost them were cut off too, and re-check everything against
 * the database when they are back, so a full queue costs no access change.
 */
export const MAX_UNSENT_SIGNALS = 1000
const RETRY_UNSENT_MS = 1000
const CODE_KIND: RoomMessageKind[] = ['update', 'awareness']

export function encodeRoomMessage(origin: string, kind: RoomMessageKind, data: Uint8Array): Buffer {
  const e = encoding.createEncoder()
  encoding.writeVarString(e, origin)
  encoding.writeVarUint(e, KIND_CODE[kind])
  encoding.writeVarUint8Array(e, data)
  return Buffer.from(encoding.toUint8Array(e))
}

export function decodeRoomMessage(message: Uint8Array): { origin: string; kind: RoomMessageKind; data: Uint8Array } | null {
  try {
    const d = decoding.createDecoder(message)
    const origin = decoding.readVarString(d)
    const kind = CODE_KIND[decoding.readVarUint(d)]
    const data = decoding.readVarUint8Array(d)
    return kind ? { origin, kind, data } : null
  } catch {
    return null
  }
}

export interface RedisBusOptions {
  url: string
  prefix: string
  logger: Logger
}

export class RedisBus implements Bus {
  readonly kind = 'redis' as const
  readonly instanceId = nanoid(10)
  /** Commands and publishing. Also used by the rate limiter and locks. */
  readonly client: Redis
  private readonly subscriber: Redis
  private readonly emitter = new EventEmitter().setMaxListeners(0)
  private readonly rooms = new Map<string, RoomHandler>()
  private readonly signalChannel: string
  private up = false
  private wasDown = false
  /** Serialized signals Redis did not take, oldest first. */
  private readonly unsent: string[] = []
  private droppedSignals = 0
  private retryTimer: NodeJS.Timeout | null = null

  private constructor(private readonly options: RedisBusOptions) {
    const common = {
      // Keep trying forever, backing off to 2 s: the server recovers by itself.
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
      // Fail fast while disconnected instead of queueing commands forever.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    }
    this.client = new Redis(options.url, common)
    this.subscriber = new Redis(options.url, { ...common, enableOfflineQueue: true })
    this.signalChannel = `${options.prefix}signals`
    for (const c of [this.client, this.subscriber]) {
      c.on('error', (err: Error) => options.logger.debug({ err: err.message }, 'redis error'))
      c.on('ready', () => this.refreshHealth())
      c.on('close', () => this.refreshHealth())
      c.on('end', () => this.refreshHealth())
    }
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.onMessage(channel.toString(), message))
    // ioredis re-subscribes by itself after reconnecting.
  }

  /**
   * Connects, waiting up to `waitMs` for Redis. If it is not there yet the
   * bus starts unhealthy and comes up by itself when Redis does.
   */
  static async connect(options: RedisBusOptions, waitMs = 5000): Promise<RedisBus> {
    const bus = new RedisBus(options)
    bus.client.connect().catch(() => {})
    bus.subscriber.connect().catch(() => {})
    // Queued until connected, and renewed by ioredis after every reconnect.
    bus.subscriber.subscribe(bus.signalChannel).catch(() => {})
    const deadline = Date.now() + waitMs
    while (!bus.up && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    if (!bus.up) {
      bus.wasDown = true
      options.logger.warn({ url: options.url.replace(/\/\/[^@]*@/, '//***@') }, 'redis not reachable yet; collaboration waits for it')
    }
    return bus
  }

  get healthy(): boolean {
    return this.up
  }

  /** Key prefix for everything this deployment stores in Redis. */
  key(name: string): string {
    return this.options.prefix + name
  }

  private refreshHealth(): void {
    const up = this.client.status === 'ready' && this.subscriber.status === 'ready'
    if (up === this.up) return
    this.up = up
    if (!up) this.wasDown = true
    this.options.logger[up ? 'info' : 'warn']({ instance: this.instanceId }, up ? 'redis connection restored' : 'redis connection lost')
    if (up) this.sendUnsent()
    if (up && !this.wasDown) return
    this.emitter.emit('health', up)
  }

  onHealth(listener: (up: boolean) => void): () => void {
    this.emitter.on('health', listener)
    return () => this.emitter.off('health', listener)
  }

  // ---- signals -------------------------------------------------------------

  publish(signal: BoardSignal): void {
    // Applied here at once (even if Redis is down), and sent to the others.
    queueMicrotask(() => this.emitter.emit('signal', signal))
    const message = JSON.stringify({ origin: this.instanceId, signal })
    // Behind a backlog, in line: a removal must not overtake the grant before it.
    if (!this.up || this.unsent.length > 0) return this.keep(message)
    this.send(message)
  }

  /** Signals waiting for Redis to come back (tests, metrics). */
  get unsentSignals(): number {
    return this.unsent.length
  }

  private send(message: string): void {
    this.client.publish(this.signalChannel, message).catch((err: Error) => {
      this.options.logger.warn({ err: err.message }, 'could not publish a signal; it is sent again once Redis is back')
      this.keep(message)
    })
  }

  private keep(message: string): void {
    this.unsent.push(message)
    if (this.unsent.length > MAX_UNSENT_SIGNALS) {
      this.unsent.shift()
      if (this.droppedSignals++ === 0) this.options.logger.warn({ max: MAX_UNSENT_SIGNALS }, 'too many unsent signals; dropping the oldest')
    }
    // A publish can fail while the connection still looks up; try again soon
    // rather than only at the next reconnect.
    if (this.up && !this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null
        this.sendUnsent()
      }, RETRY_UNSENT_MS)
      this.retryTimer.unref()
    }
  }

  private sendUnsent(): void {
    if (!this.up || this.unsent.length === 0) return
    if (this.droppedSignals > 0) {
      this.options.logger.warn({ dropped: this.droppedSignals }, 'signals were dropped during the Redis outage; instances re-check from the database')
      this.droppedSignals = 0
    }
    const batch = this.unsent.splice(0)
    this.options.logger.info({ signals: batch.length }, 'sending signals kept during the Redis outage')
    for (const message of batch) this.send(message)
  }

  subscribe(handler: SignalHandler): () => void {
    this.emitter.on('signal', handler)
    return () => this.emitter.off('signal', handler)
  }

  // ---- rooms ---------------------------------------------------------------

  private roomChannel(boardId: string): string {
    return `${this.options.prefix}room:${boardId}`
  }

  publishRoom(boardId: string, kind: RoomMessageKind, data: Uint8Array): void {
    if (!this.up) return
    this.client.publish(this.roomChannel(boardId), encodeRoomMessage(this.instanceId, kind, data)).catch((err: Error) => {
      this.options.logger.warn({ err: err.message, boardId }, 'could not publish room traffic')
    })
  }

  async joinRoom(boardId: string, handler: RoomHandler): Promise<void> {
    this.rooms.set(boardId, handler)
    await this.subscriber.subscribe(this.roomChannel(boardId))
  }

  leaveRoom(boardId: string): void {
    if (!this.rooms.delete(boardId)) return
    this.subscriber.unsubscribe(this.roomChannel(boardId)).catch(() => {})
  }

  private onMessage(channel: string, message: Buffer): void {
    if (channel === this.signalChannel) {
      let parsed: { origin?: string; signal?: BoardSignal }
      try {
        parsed = JSON.parse(message.toString()) as { origin?: string; signal?: BoardSignal }
      } catch {
        return
      }
      if (parsed.origin !== this.instanceId && parsed.signal) this.emitter.emit('signal', parsed.signal)
      return
    }
    const boardId = channel.slice(this.roomChannel('').length)
    const handler = this.rooms.get(boardId)
    const decoded = handler && decodeRoomMessage(message)
    if (!decoded || decoded.origin === this.instanceId) return
    handler(decoded.kind, decoded.data)
  }

  async close(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.emitter.removeAllListeners()
    this.rooms.clear()
    await Promise.allSettled([this.subscriber.quit(), this.client.quit()])
    this.subscriber.disconnect()
    this.client.disconnect()
  }
}
