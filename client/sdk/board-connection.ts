// Opens a board's live document with the unmodified y-websocket provider and
// adds what Drawbridge's `?ext=1` messages tell: the role the server gave us,
// whether our edits are durable, refusals, and why a connection ended.
import * as decoding from 'lib0/decoding'
import type * as encoding from 'lib0/encoding'
import type { Awareness } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import type { Role } from '../../shared/capabilities.js'
import { CloseCode, EXT_MESSAGE_TYPE, ExtKind, type RefusalReason, refusalMessages } from '../../shared/constants.js'
import type { ExtMessage } from '../../shared/protocol.js'
import type { CapacityNotice } from '../../shared/session.js'
import type { PresenceUser } from '../../shared/types.js'
import { Emitter } from './emitter.js'

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected' | 'ended'
/** What the "saved" indicator shows: Saved / Saving… / Offline, changes will sync. */
export type SaveState = 'saved' | 'saving' | 'offline'
export type EndReason = 'unauthenticated' | 'forbidden' | 'kicked' | 'not_found' | 'too_large' | 'rate_limited' | 'refused_repeatedly'

export interface Ended {
  code: number
  reason: EndReason
  /** Plain language, for the "you can't be here any more" screen. */
  message: string
}

export interface BoardFlags {
  locked: boolean
  archived: boolean
}

export type WelcomeMessage = Extract<ExtMessage, { kind: 'welcome' }>

/** One remote awareness state, with the `user` the server stamped on it. */
export interface PresenceState {
  clientId: number
  user: PresenceUser
  [field: string]: unknown
}

export interface BoardConnectionOptions {
  /** Server origin, `http(s)://host[:port]`; `/collab` is added. */
  baseUrl: string
  boardId: string
  token: string
  /** Node 20 has no global WebSocket: pass `ws` there. */
  WebSocket?: unknown
  doc?: Y.Doc
  maxBackoffTime?: number
}

export interface BoardConnectionEvents {
  status: [ConnectionStatus]
  synced: []
  welcome: [WelcomeMessage]
  role: [Role, Role | null]
  board: [BoardFlags]
  presence: [PresenceState[]]
  save: [SaveState]
  refused: [{ reason: RefusalReason; message: string }]
  /** With every `welcome`: the board was full and we got `reader` instead of `role` (null: we have our own role). */
  capacity: [CapacityNotice | null]
  /** The server refused an update: everything now lives in `doc` (the old one is destroyed after this event). */
  reset: [Y.Doc, Y.Doc]
  ended: [Ended]
}

const END_REASONS: Record<number, [EndReason, string]> = {
  [CloseCode.unauthenticated]: ['unauthenticated', 'Your session has expired or is not valid any more. Sign in or open the invite link again.'],
  [CloseCode.forbidden]: ['forbidden', 'Your access to this board was removed.'],
  [CloseCode.kicked]: ['kicked', 'A host took you out of this session.'],
  [CloseCode.notFound]: ['not_found', 'This board was deleted or does not exist.'],
  [CloseCode.tooLarge]: ['too_large', 'This board has grown too large to open.'],
  [CloseCode.rateLimited]: ['rate_limited', 'Too many changes too quickly; reload the page to continue.'],
}

/** More refusals than this within RESET_WINDOW_MS means something is wrong with us; stop instead of looping. */
const MAX_RESETS = 5
const RESET_WINDOW_MS = 30_000

export function collabUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/^http/, 'ws') + '/collab'
}

export class BoardConnection extends Emitter<BoardConnectionEvents> {
  doc: Y.Doc
  provider!: WebsocketProvider
  status: ConnectionStatus = 'connecting'
  role: Role | null = null
  welcome: WelcomeMessage | null = null
  /** Set when the board was full as we joined: we are a reader until we rejoin. */
  capacity: CapacityNotice | null = null
  flags: BoardFlags = { locked: false, archived: false }
  saveState: SaveState = 'offline'
  ended: Ended | null = null
  synced = false
  /** Last `saved.clocks` from the server, per client id. */
  private savedClocks = new Map<number, number>()
  /** The reason of the last `refused` message on this connection. */
  private lastRefusal: RefusalReason | null = null
  private resets: number[] = []
  private destroyed = false
  private localFields: Record<string, unknown> = {}
  private readonly detach: (() => void)[] = []

  constructor(private readonly options: BoardConnectionOptions) {
    super()
    this.doc = options.doc ?? new Y.Doc()
    this.open()
  }

  get awareness(): Awareness {
    return this.provider.awareness
  }

  get boardId(): string {
    return this.options.boardId
  }

  /** Resolves once the first full sync with the server is done (or rejects if the connection ended first). */
  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve()
    if (this.ended) return Promise.reject(new Error(this.ended.message))
    return new Promise((resolve, reject) => {
      const offs = [
        this.on('synced', () => (offs.forEach((f) => f()), resolve())),
        this.on('ended', (e) => (offs.forEach((f) => f()), reject(new Error(e.message)))),
      ]
    })
  }

  /** Other people's presence (our own state excluded), each with its server-stamped `user`. */
  presence(): PresenceState[] {
    const out: PresenceState[] = []
    for (const [clientId, state] of this.awareness.getStates()) {
      if (clientId === this.doc.clientID) continue
      const user = (state as { user?: PresenceUser }).user
      if (!user || typeof user.id !== 'string') continue
      out.push({ ...state, clientId, user })
    }
    return out
  }

  /** Publishes fields of our awareness state (cursor, viewport, selection); `user` is the server's. */
  setPresence(fields: Record<string, unknown>): void {
    Object.assign(this.localFields, fields)
    const current = this.awareness.getLocalState() ?? {}
    this.awareness.setLocalState({ ...current, ...fields })
  }

  private open(): void {
    const doc = this.doc
    const provider = new WebsocketProvider(collabUrl(this.options.baseUrl), this.options.boardId, doc, {
      params: { token: this.options.token, ext: '1' },
      // Another tab may hold another principal's token for this board;
      // merging docs across tabs would send structs under a foreign client id.
      disableBc: true,
      maxBackoffTime: this.options.maxBackoffTime ?? 2500,
      ...(this.options.WebSocket ? { WebSocketPolyfill: this.options.WebSocket as typeof WebSocket } : {}),
    })
    this.provider = provider
    provider.messageHandlers[EXT_MESSAGE_TYPE] = (_encoder: encoding.Encoder, decoder: decoding.Decoder) => {
      let message: ExtMessage
      try {
        message = JSON.parse(decoding.readVarString(decoder)) as ExtMessage
      } catch {
        return
      }
      this.onExt(message)
    }
    // y-protocols peers ignore a state whose clock is 0 (the one a new
    // Awareness starts with), so set it once more: everyone, readers too,
    // shows up in presence at once.
    provider.awareness.setLocalState({ ...this.localFields })

    const onStatus = ({ status }: { status: 'connected' | 'disconnected' | 'connecting' }) => {
      if (this.ended || provider !== this.provider) return
      this.setStatus(status)
    }
    const onSync = (state: boolean) => {
      if (provider !== this.provider) return
      this.synced = state
      if (state) this.emit('synced')
      this.updateSave()
    }
    const onClosed = (event: { code: number; reason: string }) => {
      if (provider !== this.provider) return
      // A full board (4413 announced by a `too_large` refusal) is not the
      // end: like any refused update, start over from the server's state.
      const full = event.code === CloseCode.tooLarge && this.lastRefusal === 'too_large'
      this.lastRefusal = null
      if (event.code === CloseCode.updateRefused || full) this.reset()
      else this.end(event.code)
    }
    const onAwareness = () => {
      if (provider === this.provider) this.emit('presence', this.presence())
    }
    const onUpdate = (_update: Uint8Array, origin: unknown) => {
      if (origin !== provider) this.updateSave()
    }
    provider.on('status', onStatus)
    provider.on('sync', onSync)
    provider.on('closed', onClosed)
    provider.awareness.on('change', onAwareness)
    doc.on('update', onUpdate)
    this.detach.push(() => {
      provider.off('status', onStatus)
      provider.off('sync', onSync)
      provider.off('closed', onClosed)
      provider.awareness.off('change', onAwareness)
      doc.off('update', onUpdate)
    })
  }

  private onExt(message: ExtMessage): void {
    switch (message.kind) {
      case ExtKind.welcome: {
        this.welcome = message
        const previous = this.role
        this.role = message.role as Role
        this.setFlags(message.board)
        this.capacity = message.capacity ? { capacity: message.capacity.capacity, role: message.capacity.role as Role } : null
        this.emit('welcome', message)
        this.emit('capacity', this.capacity)
        if (previous !== this.role) this.emit('role', this.role, previous)
        return
      }
      case ExtKind.saved:
        for (const [id, clock] of Object.entries(message.clocks)) {
          this.savedClocks.set(Number(id), Math.max(clock, this.savedClocks.get(Number(id)) ?? 0))
        }
        this.updateSave()
        return
      case ExtKind.refused:
        this.lastRefusal = message.reason
        this.emit('refused', { reason: message.reason, message: message.message || refusalMessages[message.reason] })
        return
      case ExtKind.board:
        this.setFlags({ locked: message.locked, archived: message.archived })
        return
      default:
        // Newer servers may add kinds; ignoring them keeps old SDKs working.
        return
    }
  }

  private setFlags(flags: BoardFlags): void {
    if (flags.locked === this.flags.locked && flags.archived === this.flags.archived) return
    this.flags = { locked: flags.locked, archived: flags.archived }
    this.emit('board', this.flags)
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.status) return
    this.status = status
    this.emit('status', status)
    this.updateSave()
  }

  /** Compares what the server says it stored for our client id with what we have written. */
  private computeSave(): SaveState {
    if (this.status !== 'connected' || !this.synced) return 'offline'
    const local = Y.getState(this.doc.store, this.doc.clientID)
    const saved = this.savedClocks.get(this.doc.clientID) ?? 0
    return saved >= local ? 'saved' : 'saving'
  }

  private updateSave(): void {
    if (this.ended) return
    const next = this.computeSave()
    if (next === this.saveState) return
    this.saveState = next
    this.emit('save', next)
  }

  /** 4422: the server never applied our update; our doc has diverged, so start over from the server's state. */
  private reset(): void {
    const now = Date.now()
    this.resets = this.resets.filter((t) => now - t < RESET_WINDOW_MS)
    this.resets.push(now)
    if (this.resets.length > MAX_RESETS) {
      this.finish({ code: CloseCode.updateRefused, reason: 'refused_repeatedly', message: 'Your changes keep being refused; reload the page.' })
      return
    }
    const old = this.doc
    this.teardownProvider()
    this.doc = new Y.Doc()
    this.synced = false
    this.savedClocks = new Map()
    this.status = 'connecting'
    this.open()
    this.emit('reset', this.doc, old)
    this.emit('status', this.status)
    this.updateSave()
    old.destroy()
  }

  private end(code: number): void {
    const [reason, message] = END_REASONS[code] ?? (['forbidden', 'The connection to this board was closed.'] as [EndReason, string])
    this.finish({ code, reason, message })
  }

  private finish(ended: Ended): void {
    if (this.ended) return
    this.ended = ended
    this.teardownProvider()
    this.status = 'ended'
    this.emit('status', 'ended')
    this.emit('ended', ended)
  }

  private teardownProvider(): void {
    for (const f of this.detach.splice(0)) f()
    this.provider.destroy()
  }

  /** Leaves the board (removes our presence) and releases the document. */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    if (!this.ended) this.teardownProvider()
    this.removeAllListeners()
    this.doc.destroy()
  }
}

export function connectBoard(options: BoardConnectionOptions): BoardConnection {
  return new BoardConnection(options)
}
