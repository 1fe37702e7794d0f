// The /collab WebSocket endpoint: accepts the upgrade (so that refusals can
// carry close codes), then hands the socket to the hub as a `Peer`.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import { CloseCode } from '../../../shared/constants.js'
import { redactUrl } from '../logger.js'
import type { ConnectionLimiter } from '../util/connection-limiter.js'
import { Connection, type ConnectionLimits, type Peer } from './connection.js'
import type { CollabHub } from './hub.js'
import { type WorkBudgetOptions, WorkBudgets } from './work-queue.js'

export const COLLAB_PATH = '/collab'

export interface EndpointLimits extends ConnectionLimits {
  preAuthTimeoutMs: number
  pingIntervalMs: number
  /** Update work per client address (see work-queue.ts). */
  work: WorkBudgetOptions
}

interface Tracked {
  ws: WebSocket
  conn: Connection
  alive: boolean
}

/**
 * Sockets written to in this turn of the event loop, corked: whatever else is
 * sent to them before the turn ends leaves in the same write (one system
 * call instead of one per message, the main cost of fan-out). ws corks and
 * uncorks per frame internally; nested corks only flush at the outermost.
 */
const corked = new Set<Duplex>()
let uncorkScheduled = false
function corkForThisTurn(socket: Duplex | undefined): void {
  if (!socket || corked.has(socket)) return
  socket.cork()
  corked.add(socket)
  if (uncorkScheduled) return
  uncorkScheduled = true
  setImmediate(() => {
    uncorkScheduled = false
    for (const s of corked) s.uncork()
    corked.clear()
  })
}

/**
 * A broadcast hands the same message to every peer: it is framed once (an
 * unmasked, final binary frame, RFC 6455 §5.2) and those bytes are written
 * to each socket, instead of ws framing it again per peer. Only small
 * messages: a copy of a large one (a full state) is not worth keeping.
 */
export const PREFRAME_MAX_BYTES = 16 * 1024
const framed = new WeakMap<Uint8Array, Buffer>()

export function binaryFrame(payload: Uint8Array): Buffer {
  const n = payload.length
  const header = n < 126 ? 2 : n <= 0xffff ? 4 : 10
  const out = Buffer.allocUnsafe(header + n)
  out[0] = 0x82
  if (n < 126) {
    out[1] = n
  } else if (n <= 0xffff) {
    out[1] = 126
    out.writeUInt16BE(n, 2)
  } else {
    out[1] = 127
    out.writeBigUInt64BE(BigInt(n), 2)
  }
  out.set(payload, header)
  return out
}

function framedOnce(message: Uint8Array): Buffer {
  let frame = framed.get(message)
  if (!frame) {
    frame = binaryFrame(message)
    framed.set(message, frame)
  }
  return frame
}

/** Closes for what the client sent, after which nothing more of it is read. */
const STOP_READING: ReadonlySet<number> = new Set([CloseCode.tooLarge, CloseCode.updateRefused, CloseCode.rateLimited])
/** How long such a socket stays, so that its close frame reaches the client. */
const ABUSE_LINGER_MS = 1_000

/** Pings go out over the interval in this many ticks (see CollabEndpoint.pingSlice). */
const PING_SLICES = 16

/** Close reasons are limited to 123 bytes by RFC 6455. */
const reasonText = (reason: string) => Buffer.from(reason).subarray(0, 120).toString()

// Module level on purpose: a handler made inside handleUpgrade would share
// its closure scope, and the socket would keep the whole upgrade request
// (headers and all) alive for as long as it stays open (ws-retention.test.ts).
const ignoreSocketError = (): void => {}

export class CollabEndpoint {
  private readonly wss: WebSocketServer
  private readonly sockets = new Set<Tracked>()
  private readonly pinger: NodeJS.Timeout
  private readonly budgets: WorkBudgets

  constructor(
    private readonly hub: CollabHub,
    private readonly limits: EndpointLimits,
    private readonly logger: Logger,
    private readonly limiter: ConnectionLimiter,
  ) {
    this.budgets = new WorkBudgets(limits.work)
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: limits.maxMessageBytes,
    })
    this.pinger = setInterval(() => this.pingSlice(), Math.max(1, Math.floor(limits.pingIntervalMs / PING_SLICES)))
    this.pinger.unref()
  }

  // A socket that missed a whole ping interval is gone; drop it so its
  // presence and memory go with it. Each socket is visited once per interval,
  // in one of PING_SLICES ticks: 2,000 pings written in one loop turn held
  // it for ~30 ms, which every update waiting behind them felt.
  private pingRound: Tracked[] = []
  private pingCursor = 0
  private pingChunk = 0
  private pingTick = 0

  private pingSlice(): void {
    if (this.pingTick++ % PING_SLICES === 0) {
      this.pingRound = [...this.sockets]
      this.pingCursor = 0
      this.pingChunk = Math.ceil(this.pingRound.length / PING_SLICES)
    }
    const end = Math.min(this.pingRound.length, this.pingCursor + this.pingChunk)
    for (; this.pingCursor < end; this.pingCursor++) {
      const t = this.pingRound[this.pingCursor]!
      if (!this.sockets.has(t)) continue
      if (!t.alive) {
        t.ws.terminate()
        continue
      }
      t.alive = false
      t.ws.ping()
    }
  }

  get socketCount(): number {
    return this.sockets.size
  }

  handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', ignoreSocketError)
    const url = new URL(req.url ?? '/', 'http://localhost')
    const rest = url.pathname.slice(COLLAB_PATH.length + 1)
    let boardId = ''
    try {
      boardId = decodeURIComponent(rest)
    } catch {
      boardId = ''
    }
    const token = url.searchParams.get('token')
    const ext = url.searchParams.get('ext') === '1'
    const ip = this.limiter.address(req)
    if (this.budgets.spent(ip)) {
      // An address that used up its update budget moments ago is told to slow
      // down before it costs a WebSocket, an authentication and a room join.
      socket.end('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    // The slot is taken only once the WebSocket exists and given back when it
    // closes: a handshake ws refuses (bad version or key) or one whose client
    // left mid-way never reaches this callback, so it can hold no slot.
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const slot = this.limiter.acquire(ip)
      if (!slot) {
        // Accepted only to say why; clients retry 1013 later.
        ws.close(CloseCode.tryAgainLater, 'too many connections from this address')
        return
      }
      ws.once('close', slot.release)
      this.accept(ws, boardId, token, ext, req.url ?? '', ip)
    })
  }

  // Takes the request's URL, not the request: every handler below shares one
  // closure scope, which would keep the whole upgrade request (headers and
  // all) alive for as long as the socket is open.
  private accept(ws: WebSocket, boardId: string, token: string | null, ext: boolean, requestUrl: string, ip: string): void {
    // ws closes over-long messages with 1009 by itself; the contract says 4413.
    const close = ws.close.bind(ws)
    ws.close = (code?: number, reason?: string | Buffer) => close(code === 1009 ? CloseCode.tooLarge : code, reason)
    // ws keeps its net.Socket private; corking it is the one reason we reach in.
    const socket = (ws as unknown as { _socket?: Duplex })._socket
    const peer: Peer = {
      send: (data) => {
        if (ws.readyState !== WebSocket.OPEN) return
        corkForThisTurn(socket)
        // Written beside ws's own frames, in order: ws queues frames only
        // when compressing, which is off, and once closing (not OPEN) we stop.
        if (socket && data.length <= PREFRAME_MAX_BYTES) socket.write(framedOnce(data))
        else ws.send(data)
      },
      close: (code, reason) => {
        if (ws.readyState !== WebSocket.OPEN && ws.readyState !== WebSocket.CONNECTING) return
        ws.close(code, reasonText(reason))
        if (!STOP_READING.has(code)) return
        // Refused for what it sent: read nothing more from it (an abusive
        // client keeps sending megabytes while the close handshake runs).
        // Our side ends after the close frame, so the client learns the
        // code at once; the socket goes for good a moment later.
        ws.pause()
        socket?.end()
        setTimeout(() => ws.terminate(), ABUSE_LINGER_MS).unref()
      },
      get bufferedAmount() {
        return ws.bufferedAmount
      },
    }
    const conn = new Connection(peer, ext, this.limits)
    conn.work = this.budgets.of(ip)
    const tracked: Tracked = { ws, conn, alive: true }
    this.sockets.add(tracked)
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const bytes = Array.isArray(data)
        ? new Uint8Array(Buffer.concat(data))
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      conn.receive(bytes)
    })
    ws.on('pong', () => {
      tracked.alive = true
    })
    ws.on('error', (err) => this.logger.debug({ err: err.message, boardId }, 'collab socket error'))
    ws.on('close', (code) => {
      this.sockets.delete(tracked)
      conn.closed(code)
    })
    this.authenticate(conn, boardId, token, requestUrl)
  }

  // Its own function for the same reason as accept's parameters: the token,
  // the URL and the timer are needed only until the connect settles, and in
  // accept's scope the socket's handlers would keep them as long as it is open.
  private authenticate(conn: Connection, boardId: string, token: string | null, requestUrl: string): void {
    const timer = setTimeout(() => {
      if (conn.state === 'authenticating') conn.close(CloseCode.tryAgainLater, 'authentication timed out')
    }, this.limits.preAuthTimeoutMs)
    timer.unref()
    if (!/^[\w-]{1,64}$/.test(boardId)) {
      clearTimeout(timer)
      return conn.close(CloseCode.notFound, 'board not found')
    }
    this.hub
      .connect(conn, boardId, token)
      .catch((err: unknown) => {
        this.logger.error({ err, boardId, url: redactUrl(requestUrl) }, 'collab connect failed')
        conn.close(CloseCode.tryAgainLater, 'server error')
      })
      .finally(() => clearTimeout(timer))
  }

  /** Stop pinging; sockets are closed by the hub (1001) or terminated here. */
  close(): void {
    clearInterval(this.pinger)
    this.pingRound = []
    for (const t of this.sockets) t.ws.terminate()
    this.sockets.clear()
  }
}
