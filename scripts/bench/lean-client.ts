// A lean load-generator client: a raw WebSocket speaking the y-websocket
// protocol by hand. No Y.Doc per client: it reads only message headers.
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'

export interface LeanStats {
  delivered: number
  bytes: number
}

/**
 * An update's (client, clock) as one number: the load generator looks these
 * up for every delivered update, and number keys allocate nothing.
 */
const CLOCK_SPAN = 2 ** 22
const updateKey = (client: number, clock: number) => client * CLOCK_SPAN + clock
export const clientOfKey = (key: number) => Math.floor(key / CLOCK_SPAN)

/** Reads (client, clock) of the first struct group of a V1 update: enough to identify it. */
export function updateId(update: Uint8Array): number | null {
  const d = decoding.createDecoder(update)
  if (decoding.readVarUint(d) === 0) return null
  decoding.readVarUint(d) // number of structs
  const client = decoding.readVarUint(d)
  const clock = decoding.readVarUint(d)
  return updateKey(client, clock)
}

/**
 * The (client, clock) of every struct in a V1 update, without building a
 * Y.Doc: enough to time each update inside a coalesced frame.
 */
export function updateIds(update: Uint8Array): number[] {
  const d = decoding.createDecoder(update)
  const ids: number[] = []
  const groups = decoding.readVarUint(d)
  for (let g = 0; g < groups; g++) {
    const structs = decoding.readVarUint(d)
    const client = decoding.readVarUint(d)
    let clock = decoding.readVarUint(d)
    for (let i = 0; i < structs; i++) {
      const info = decoding.readUint8(d)
      if (info === 10 || (info & 0x1f) === 0) {
        clock += decoding.readVarUint(d) // skip / GC
        continue
      }
      if (info & 0x80) (decoding.readVarUint(d), decoding.readVarUint(d))
      if (info & 0x40) (decoding.readVarUint(d), decoding.readVarUint(d))
      if ((info & 0xc0) === 0) {
        if (decoding.readVarUint(d) === 1) decoding.readVarString(d)
        else (decoding.readVarUint(d), decoding.readVarUint(d))
        if (info & 0x20) decoding.readVarString(d)
      }
      let length = 1
      switch (info & 0x1f) {
        case 1: // deleted
          length = decoding.readVarUint(d)
          break
        case 2: // JSON
          length = decoding.readVarUint(d)
          for (let k = 0; k < length; k++) decoding.readVarString(d)
          break
        case 3:
          decoding.readVarUint8Array(d)
          break
        case 4:
          length = decoding.readVarString(d).length
          break
        case 5:
          decoding.readVarString(d)
          break
        case 6:
          decoding.readVarString(d)
          decoding.readVarString(d)
          break
        case 7: {
          const ref = decoding.readVarUint(d)
          if (ref === 3 || ref === 5) decoding.readVarString(d)
          break
        }
        case 8:
          length = decoding.readVarUint(d)
          for (let k = 0; k < length; k++) decoding.readAny(d)
          break
        case 9:
          decoding.readVarString(d)
          decoding.readAny(d)
          break
        default:
          throw new Error(`unknown content ${info & 0x1f}`)
      }
      ids.push(updateKey(client, clock))
      clock += length
    }
  }
  return ids
}

export class LeanClient {
  ws: WebSocket
  opened: Promise<void>
  closedCode: number | null = null
  /** Called for every update (sync step 2 or update) payload received. */
  onUpdate: ((payload: Uint8Array, type: number, at: number) => void) | null = null
  onAwareness: ((payload: Uint8Array, at: number) => void) | null = null
  onFirstMessage: ((at: number) => void) | null = null
  onFullState: ((at: number, bytes: number) => void) | null = null
  stats: LeanStats = { delivered: 0, bytes: 0 }
  /** Updates (structs) received in update frames, counting each inside a coalesced frame. */
  updates = 0

  constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false })
    this.ws.binaryType = 'nodebuffer'
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
    this.ws.on('error', () => {})
    this.ws.on('close', (code) => {
      this.closedCode = code
    })
    this.ws.on('message', (data: Buffer) => this.message(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)))
  }

  private message(m: Uint8Array): void {
    const at = performance.now()
    if (this.onFirstMessage) {
      this.onFirstMessage(at)
      this.onFirstMessage = null
    }
    this.stats.delivered++
    this.stats.bytes += m.length
    const d = decoding.createDecoder(m)
    const type = decoding.readVarUint(d)
    if (type === 0) {
      const sub = decoding.readVarUint(d)
      if (sub === 1 && this.onFullState) this.onFullState(at, m.length)
      if ((sub === 1 || sub === 2) && this.onUpdate) this.onUpdate(decoding.readVarUint8Array(d), sub, at)
    } else if (type === 1 && this.onAwareness) {
      this.onAwareness(decoding.readVarUint8Array(d), at)
    }
  }

  /** Asks for the full state (sync step 1 with an empty state vector). */
  requestState(): void {
    this.ws.send(new Uint8Array([0, 0, 1, 0]))
  }

  sendUpdate(update: Uint8Array): void {
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 0)
    encoding.writeVarUint(e, 2)
    encoding.writeVarUint8Array(e, update)
    this.ws.send(encoding.toUint8Array(e))
  }

  sendAwareness(clientId: number, clock: number, state: unknown): void {
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 1)
    const inner = encoding.createEncoder()
    encoding.writeVarUint(inner, 1)
    encoding.writeVarUint(inner, clientId)
    encoding.writeVarUint(inner, clock)
    encoding.writeVarString(inner, JSON.stringify(state))
    encoding.writeVarUint8Array(e, encoding.toUint8Array(inner))
    this.ws.send(encoding.toUint8Array(e))
  }

  close(): void {
    this.ws.terminate()
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export function summarize(samples: number[]): { p50: number; p99: number; n: number } {
  const s = [...samples].sort((a, b) => a - b)
  return { p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), n: s.length }
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits
