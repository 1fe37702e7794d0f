// The y-websocket wire protocol plus Drawbridge's extension message, as pure
// functions shared by the server and the SDK: bytes in, values out, and back.
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { EXT_MESSAGE_TYPE, type ExtKind, type RefusalReason } from './constants.js'

export const MessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
  ext: EXT_MESSAGE_TYPE,
} as const

export const SyncType = { step1: 0, step2: 1, update: 2 } as const

export type IncomingMessage =
  | { type: 'syncStep1'; stateVector: Uint8Array }
  | { type: 'syncStep2'; update: Uint8Array }
  | { type: 'syncUpdate'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'queryAwareness' }
  /** Message types we do not act on (auth, our own ext, future ones): ignored, not an error. */
  | { type: 'ignored'; messageType: number }

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProtocolError'
  }
}

function readPayload(decoder: decoding.Decoder): Uint8Array {
  const payload = decoding.readVarUint8Array(decoder)
  // A length prefix that promises more bytes than the frame holds is lib0's
  // "unexpected end"; make it ours so callers handle one error type.
  return payload
}

/** Decodes one client → server message. Throws ProtocolError on malformed input. */
export function decodeMessage(data: Uint8Array): IncomingMessage {
  if (data.length === 0) throw new ProtocolError('empty message')
  try {
    const decoder = decoding.createDecoder(data)
    const messageType = decoding.readVarUint(decoder)
    switch (messageType) {
      case MessageType.sync: {
        const syncType = decoding.readVarUint(decoder)
        const payload = readPayload(decoder)
        if (syncType === SyncType.step1) return { type: 'syncStep1', stateVector: payload }
        if (syncType === SyncType.step2) return { type: 'syncStep2', update: payload }
        if (syncType === SyncType.update) return { type: 'syncUpdate', update: payload }
        throw new ProtocolError(`unknown sync message type ${syncType}`)
      }
      case MessageType.awareness:
        return { type: 'awareness', update: readPayload(decoder) }
      case MessageType.queryAwareness:
        return { type: 'queryAwareness' }
      default:
        return { type: 'ignored', messageType }
    }
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    throw new ProtocolError(`malformed message: ${(err as Error).message}`)
  }
}

function syncMessage(syncType: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.sync)
  encoding.writeVarUint(encoder, syncType)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

export const encodeSyncStep1 = (stateVector: Uint8Array) => syncMessage(SyncType.step1, stateVector)
export const encodeSyncStep2 = (update: Uint8Array) => syncMessage(SyncType.step2, update)
export const encodeSyncUpdate = (update: Uint8Array) => syncMessage(SyncType.update, update)

export function encodeAwarenessMessage(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.awareness)
  encoding.writeVarUint8Array(encoder, update)
  return encoding.toUint8Array(encoder)
}

/** One entry of an awareness update; `state` is the raw JSON text ("null" = removed). */
export interface AwarenessEntry {
  clientId: number
  clock: number
  state: string
}

export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  try {
    const decoder = decoding.createDecoder(update)
    const count = decoding.readVarUint(decoder)
    // Each entry takes at least 3 bytes; a count beyond that is a lie.
    if (count > update.length) throw new ProtocolError('awareness entry count exceeds message size')
    const entries: AwarenessEntry[] = []
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder)
      const clock = decoding.readVarUint(decoder)
      const state = decoding.readVarString(decoder)
      entries.push({ clientId, clock, state })
    }
    return entries
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    throw new ProtocolError(`malformed awareness update: ${(err as Error).message}`)
  }
}

export function encodeAwarenessUpdate(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const e of entries) {
    encoding.writeVarUint(encoder, e.clientId)
    encoding.writeVarUint(encoder, e.clock)
    encoding.writeVarString(encoder, e.state)
  }
  return encoding.toUint8Array(encoder)
}

/** Drawbridge → SDK messages, sent only to clients that connected with `?ext=1`. */
export type ExtMessage =
  | {
      kind: typeof ExtKind.welcome
      principal: { kind: 'user' | 'guest'; id: string; name: string }
      role: string
      user: Record<string, unknown>
      board: { locked: boolean; archived: boolean }
      /** The board was full: you got `role` (reader) instead of `capacity.role` (shared/session.ts). */
      capacity?: { capacity: number; role: string }
    }
  /** Server-side durable state for the connection's own client ids. */
  | { kind: typeof ExtKind.saved; clocks: Record<string, number> }
  | { kind: typeof ExtKind.refused; reason: RefusalReason; message: string }
  | { kind: typeof ExtKind.board; locked: boolean; archived: boolean }

export function encodeExt(message: ExtMessage): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.ext)
  encoding.writeVarString(encoder, JSON.stringify(message))
  return encoding.toUint8Array(encoder)
}

/** For the SDK and tests: reads an extension message, or null if `data` is not one. */
export function decodeExt(data: Uint8Array): ExtMessage | null {
  try {
    const decoder = decoding.createDecoder(data)
    if (decoding.readVarUint(decoder) !== MessageType.ext) return null
    return JSON.parse(decoding.readVarString(decoder)) as ExtMessage
  } catch {
    return null
  }
}
