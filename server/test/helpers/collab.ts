// Real clients for the collaboration endpoint: the unmodified y-websocket
// provider, and a raw socket for handwritten (attack) messages.
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import * as decoding from 'lib0/decoding'
import { decodeExt, type ExtMessage, encodeSyncStep1, encodeSyncUpdate, encodeSyncStep2, MessageType, SyncType } from '../../../shared/protocol.js'

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws')
}

export interface ProviderClient {
  doc: Y.Doc
  provider: WebsocketProvider
  /** Close events received (code, reason). */
  closes: { code: number; reason: string }[]
  synced(): Promise<void>
  /** Resolves with the first close code the server sent. */
  closed(): Promise<number>
  destroy(): void
}

export function providerClient(
  httpUrl: string,
  boardId: string,
  token: string,
  options: { params?: Record<string, string>; doc?: Y.Doc } = {},
): ProviderClient {
  const doc = options.doc ?? new Y.Doc()
  const provider = new WebsocketProvider(wsUrl(httpUrl) + '/collab', boardId, doc, {
    params: { token, ...options.params },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 200,
  })
  const closes: { code: number; reason: string }[] = []
  const waiters: ((code: number) => void)[] = []
  provider.on('connection-close', (event) => {
    if (!event) return
    closes.push({ code: event.code, reason: event.reason })
    for (const w of waiters.splice(0)) w(event.code)
  })
  return {
    doc,
    provider,
    closes,
    synced: () =>
      new Promise<void>((resolve) => {
        if (provider.synced) return resolve()
        const on = (state: boolean) => {
          if (state) {
            provider.off('sync', on)
            resolve()
          }
        }
        provider.on('sync', on)
      }),
    closed: () =>
      new Promise<number>((resolve) => {
        if (closes.length > 0) return resolve(closes[0]!.code)
        waiters.push(resolve)
      }),
    destroy: () => {
      provider.destroy()
      doc.destroy()
    },
  }
}

/** A bare WebSocket speaking the protocol by hand. */
export class RawClient {
  readonly messages: Uint8Array[] = []
  readonly ext: ExtMessage[] = []
  closeCode: number | null = null
  closeReason = ''
  private readonly listeners: (() => void)[] = []
  readonly ready: Promise<void>

  constructor(
    readonly ws: WebSocket,
  ) {
    ws.binaryType = 'nodebuffer'
    this.ready = new Promise((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    ws.on('message', (data: Buffer) => {
      const bytes = new Uint8Array(data)
      this.messages.push(bytes)
      const e = decodeExt(bytes)
      if (e) this.ext.push(e)
      this.notify()
    })
    ws.on('close', (code, reason) => {
      this.closeCode = code
      this.closeReason = reason.toString()
      this.notify()
    })
    ws.on('error', () => {})
  }

  static async open(httpUrl: string, path: string): Promise<RawClient> {
    const client = new RawClient(new WebSocket(wsUrl(httpUrl) + path))
    await client.ready
    return client
  }

  static connect(httpUrl: string, boardId: string, token: string | null, ext = true): Promise<RawClient> {
    const q = new URLSearchParams()
    if (token !== null) q.set('token', token)
    if (ext) q.set('ext', '1')
    return RawClient.open(httpUrl, `/collab/${boardId}?${q}`)
  }

  private notify(): void {
    for (const l of this.listeners.splice(0)) l()
  }

  /** Waits until `check` holds (re-evaluated on every message and on close). */
  async until<T>(check: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = check()
      if (value) return value
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for condition (close ${this.closeCode}${this.closeReason ? ` "${this.closeReason}"` : ''}, ${this.messages.length} messages)`)
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()))
        this.listeners.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  waitClose(timeoutMs = 5000): Promise<number> {
    return this.until(() => (this.closeCode !== null ? this.closeCode : null), timeoutMs)
  }

  send(data: Uint8Array | string): void {
    this.ws.send(data)
  }

  sendUpdate(update: Uint8Array): void {
    this.send(encodeSyncUpdate(update))
  }

  sendStep2(update: Uint8Array): void {
    this.send(encodeSyncStep2(update))
  }

  sendStep1(doc?: Y.Doc): void {
    this.send(encodeSyncStep1(doc ? Y.encodeStateVector(doc) : new Uint8Array([0])))
  }

  /**
   * Whether the server's sync step 2 (the whole document) has arrived. Wait
   * for this, not for any payload: an update stored just before the join can
   * reach a new connection ahead of its step 2.
   */
  hasStep2(): boolean {
    // Both are one-byte varints.
    return this.messages.some((m) => m[0] === MessageType.sync && m[1] === SyncType.step2)
  }

  /** Sends an empty sync step 1 and waits for the server's step 2. */
  async syncWithServer(): Promise<void> {
    this.sendStep1()
    await this.until(() => this.hasStep2())
  }

  /** Sync messages (type 0) carrying an update payload, i.e. step 2 and updates. */
  syncPayloads(): Uint8Array[] {
    return syncPayloadsOf(this.messages)
  }

  /** A doc built from everything the server sent. */
  docFromServer(): Y.Doc {
    const doc = new Y.Doc()
    for (const u of this.syncPayloads()) Y.applyUpdate(doc, u)
    return doc
  }

  close(): void {
    this.ws.close()
  }
}

/** The update payloads (sync step 2 and updates) among server messages. */
export function syncPayloadsOf(messages: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const m of messages) {
    const d = decoding.createDecoder(m)
    if (decoding.readVarUint(d) !== 0) continue
    const t = decoding.readVarUint(d)
    if (t === 1 || t === 2) out.push(decoding.readVarUint8Array(d))
  }
  return out
}

type Maybe<T> = T | undefined | null | false

/** Polls `check` (which may be async, e.g. a browser or database query) until it returns something truthy. */
export async function waitFor<T>(check: () => Maybe<T> | Promise<Maybe<T>>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
