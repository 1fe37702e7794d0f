// Real socket.io clients for board events.
import { io, type Socket } from 'socket.io-client'
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '../../../shared/events.js'

export type EventSocket = Socket<ServerToClientEvents, ClientToServerEvents> & {
  /** Every event received, in order: [name, payload]. */
  received: [string, any][]
  /** Resolves with the first payload of `event` matching `match` (already received ones count). */
  next(event: string, match?: (payload: any) => boolean, timeoutMs?: number): Promise<any>
  subscribe(boardId: string): Promise<Ack>
}

export async function eventSocket(url: string, token: string | null, transports: ('websocket' | 'polling')[] = ['websocket']): Promise<EventSocket> {
  const socket = io(url, { path: '/socket.io', auth: token === null ? {} : { token }, transports, reconnection: false }) as EventSocket
  socket.received = []
  const waiters: (() => void)[] = []
  socket.onAny((event: string, payload: unknown) => {
    socket.received.push([event, payload])
    for (const w of waiters.splice(0)) w()
  })
  socket.next = (event, match = () => true, timeoutMs = 5000) =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`timed out waiting for ${event}; got ${JSON.stringify(socket.received.map((r) => r[0]))}`)), timeoutMs)
      const check = () => {
        const hit = socket.received.find(([e, p]) => e === event && match(p))
        if (hit) {
          clearTimeout(deadline)
          resolve(hit[1])
        } else waiters.push(check)
      }
      check()
    })
  socket.subscribe = (boardId) => new Promise((resolve) => socket.emit('board:subscribe', { boardId }, resolve))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', (err) => reject(err))
  })
  return socket
}

/** The connect_error a token gets, or null if it connects. */
export async function connectError(url: string, token: string | null): Promise<{ message: string; data: any } | null> {
  try {
    const s = await eventSocket(url, token)
    s.disconnect()
    return null
  } catch (err) {
    return { message: (err as Error).message, data: (err as { data?: unknown }).data }
  }
}
