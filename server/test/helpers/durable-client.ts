// A client the way a browser tab is one: its Y.Doc outlives its connections.
// It speaks the protocol itself (opted in to "saved" acknowledgements),
// reconnects to whichever instance is up, re-sends whatever the server lacks
// on every sync, and remembers every clock the server said was saved. Used by
// the kill -9 loops.
import * as decoding from 'lib0/decoding'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { decodeExt, encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate } from '../../../shared/protocol.js'
import { wsUrl } from './collab.js'

export interface DurableClientOptions {
  name: string
  boardId: string
  token: string
  /** The instances to connect to; asked again before each reconnect. */
  urls: () => string[]
}

export class DurableClient {
  readonly doc = new Y.Doc()
  /** The highest clock of this doc's own client id the server acknowledged as saved. */
  acked = 0
  connected = false
  /** Close codes that mean the server refused us (never expected in these tests). */
  readonly refusals: { code: number; reason: string }[] = []
  connects = 0
  private ws: WebSocket | null = null
  private stopped = false
  private synced = false

  constructor(private readonly options: DurableClientOptions) {
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === 'server' || !this.synced) return
      this.ws?.send(encodeSyncUpdate(update))
    })
    this.connect()
  }

  get clock(): number {
    return Y.getState(this.doc.store, this.doc.clientID)
  }

  get name(): string {
    return this.options.name
  }

  private connect(): void {
    if (this.stopped) return
    const urls = this.options.urls()
    const url = urls[Math.floor(Math.random() * urls.length)]
    if (!url) {
      setTimeout(() => this.connect(), 50)
      return
    }
    const q = new URLSearchParams({ token: this.options.token, ext: '1' })
    const ws = new WebSocket(`${wsUrl(url)}/collab/${this.options.boardId}?${q}`)
    this.ws = ws
    this.synced = false
    ws.binaryType = 'nodebuffer'
    ws.on('open', () => {
      this.connects++
      this.connected = true
      ws.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
    })
    ws.on('message', (data: Buffer) => this.onMessage(ws, new Uint8Array(data)))
    ws.on('error', () => {})
    ws.on('close', (code, reason) => {
      if (this.ws === ws) {
        this.ws = null
        this.connected = false
        this.synced = false
      }
      if (code === 4422 || code === 4401 || code === 4403 || code === 4404) this.refusals.push({ code, reason: reason.toString() })
      if (!this.stopped) setTimeout(() => this.connect(), 20 + Math.random() * 80)
    })
  }

  private onMessage(ws: WebSocket, bytes: Uint8Array): void {
    const ext = decodeExt(bytes)
    if (ext) {
      if (ext.kind === 'saved') this.acked = Math.max(this.acked, ext.clocks[this.doc.clientID] ?? 0)
      return
    }
    const d = decoding.createDecoder(bytes)
    if (decoding.readVarUint(d) !== 0) return
    const type = decoding.readVarUint(d)
    const payload = decoding.readVarUint8Array(d)
    if (type === 0) {
      // The server's state vector: send everything it lacks (our unsaved edits included).
      ws.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, payload)))
      this.synced = true
    } else {
      Y.applyUpdate(this.doc, payload, 'server')
    }
  }

  /** Everything this client wrote is acknowledged. */
  get settled(): boolean {
    return this.connected && this.acked >= this.clock
  }

  stop(): void {
    this.stopped = true
    this.ws?.terminate()
    this.doc.destroy()
  }
}
