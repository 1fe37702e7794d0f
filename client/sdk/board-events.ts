// socket.io board events (shared/events.ts), typed end to end. Subscriptions
// live on the server per socket, so they are renewed after every reconnect.
import { io, type Socket } from 'socket.io-client'
import {
  type Ack,
  type ClientToServerEvents,
  SOCKET_PATH,
  type ServerToClientEvents,
  SocketEvent,
} from '../../shared/events.js'
import { ApiError } from './errors.js'

export type EventSocket = Socket<ServerToClientEvents, ClientToServerEvents>
export type EventName = keyof ServerToClientEvents

export interface BoardEventsOptions {
  baseUrl: string
  token: string
  /** Default: websocket first, polling as the fallback (proxies that block upgrades). */
  transports?: ('websocket' | 'polling')[]
  ackTimeoutMs?: number
}

export class BoardEvents {
  readonly socket: EventSocket
  private readonly boards = new Set<string>()
  private readonly ackTimeoutMs: number

  constructor(options: BoardEventsOptions) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000
    this.socket = io(options.baseUrl.replace(/\/+$/, ''), {
      path: SOCKET_PATH,
      auth: { token: options.token },
      transports: options.transports ?? ['websocket', 'polling'],
    })
    this.socket.on('connect', () => {
      // A reconnect is a new server-side socket: it has no subscriptions yet.
      if (!this.socket.recovered) for (const boardId of this.boards) void this.send(boardId).catch(() => {})
    })
  }

  get connected(): boolean {
    return this.socket.connected
  }

  /** Starts receiving a board's events; rejects with ApiError when the server refuses. */
  async subscribe(boardId: string): Promise<void> {
    this.boards.add(boardId)
    try {
      await this.send(boardId)
    } catch (err) {
      this.boards.delete(boardId)
      throw err
    }
  }

  unsubscribe(boardId: string): void {
    this.boards.delete(boardId)
    this.socket.emit(SocketEvent.unsubscribe, { boardId })
  }

  private async send(boardId: string): Promise<void> {
    let ack: Ack
    try {
      ack = await this.socket.timeout(this.ackTimeoutMs).emitWithAck(SocketEvent.subscribe, { boardId })
    } catch {
      throw new ApiError(0, 'timeout', 'The server did not answer the subscription')
    }
    if ('error' in ack) throw new ApiError(0, ack.error.code, ack.error.message)
  }

  on<E extends EventName>(event: E, listener: ServerToClientEvents[E]): () => void {
    // socket.io's typed `on` cannot relate E to the listener across the generic; the cast is the bridge.
    this.socket.on(event, listener as never)
    return () => void this.socket.off(event, listener as never)
  }

  /** Waits for the next `event` whose payload satisfies `match`. */
  next<E extends EventName>(event: E, match: (...args: Parameters<ServerToClientEvents[E]>) => boolean = () => true, timeoutMs = 10_000) {
    return new Promise<Parameters<ServerToClientEvents[E]>>((resolve, reject) => {
      const timer = setTimeout(() => {
        off()
        reject(new Error(`timed out waiting for ${event}`))
      }, timeoutMs)
      const listener = ((...args: Parameters<ServerToClientEvents[E]>) => {
        if (!match(...args)) return
        clearTimeout(timer)
        off()
        resolve(args)
      }) as unknown as ServerToClientEvents[E]
      const off = this.on(event, listener)
    })
  }

  close(): void {
    this.boards.clear()
    this.socket.disconnect()
  }
}

export function connectBoardEvents(options: BoardEventsOptions): BoardEvents {
  return new BoardEvents(options)
}
