// A structural pass over a Yjs update (v1 encoding) that reads only ids,
// lengths and the shape of contents, before Yjs decodes anything. Decoding,
// guarding and applying cost a few microseconds per struct, so a 2 MiB
// update of tiny structs would hold the event loop for a second: this pass
// (one read of the bytes, no objects per value) bounds that work first, and
// knows where each struct's bytes are, so big updates can be cut into slices
// that are guarded and applied one event-loop turn at a time.
//
// Pure functions; see docs/SECURITY.md ("Work an update may cost").

export interface UpdateLimits {
  /** Structs (items, GC, skip) in one update. */
  maxStructs: number
  /** Client sections in one update. */
  maxClients: number
  /** Delete ranges in one update. */
  maxDeleteRanges: number
  /** Nesting of values inside one struct's content (arrays, objects, JSON). */
  maxValueDepth: number
  /** Length of a map key or root name, in UTF-16 units. */
  maxKeyLength: number
}

export const DEFAULT_UPDATE_LIMITS: UpdateLimits = {
  maxStructs: 50_000,
  maxClients: 64,
  maxDeleteRanges: 50_000,
  maxValueDepth: 32,
  maxKeyLength: 1024,
}

/** One client's section: its structs in clock order and where their bytes are. */
export interface ClientRun {
  client: number
  /** Byte offset of each struct, plus the end of the last one (length n + 1). */
  offsets: number[]
  /** Clock of each struct, plus the clock after the last one (length n + 1). */
  clocks: number[]
  /** References to other clients: flat triples (struct index, client, clock). */
  foreign: number[]
}

export interface UpdateScan {
  runs: ClientRun[]
  structs: number
  deleteRanges: number
  /** Where the delete set starts and ends. */
  dsStart: number
  dsEnd: number
}

export type ScanResult =
  | { ok: true; scan: UpdateScan }
  /** `too_complex`: over a limit; `malformed`: not a well-formed v1 update. */
  | { ok: false; reason: 'too_complex' | 'malformed'; detail: string }

class ScanError extends Error {
  constructor(
    readonly reason: 'too_complex' | 'malformed',
    detail: string,
  ) {
    super(detail)
  }
}

const malformed = (detail: string) => new ScanError('malformed', detail)

// As strict as Yjs's own reader (lib0): invalid UTF-8 is an error, a BOM is text.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** A bounds-checked reader: every read past the end is a ScanError, never undefined. */
class Reader {
  pos = 0
  constructor(readonly bytes: Uint8Array) {}

  u8(): number {
    if (this.pos >= this.bytes.length) throw malformed('unexpected end of update')
    return this.bytes[this.pos++]!
  }

  uint(): number {
    // Most varints (lengths, small clocks, flags) are one byte.
    const first = this.u8()
    if (first < 0x80) return first
    let num = first & 0x7f
    let mult = 128
    for (;;) {
      const b = this.u8()
      num += (b & 0x7f) * mult
      if (b < 0x80) return num
      mult *= 128
      if (mult > 2 ** 53) throw malformed('integer out of range')
    }
  }

  int(): void {
    // Signed varint: same continuation bits; only the length matters here.
    while (this.u8() >= 0x80) {
      /* skip */
    }
  }

  skip(n: number): void {
    if (n > this.bytes.length - this.pos) throw malformed('unexpected end of update')
    this.pos += n
  }

  /** Skips a length-prefixed UTF-8 string; returns its byte length. */
  skipString(): number {
    const n = this.uint()
    this.skip(n)
    return n
  }

  string(): string {
    const n = this.uint()
    this.skip(n)
    try {
      return utf8.decode(this.bytes.subarray(this.pos - n, this.pos))
    } catch {
      throw malformed('invalid UTF-8')
    }
  }
}

function skipAny(r: Reader, depth: number, limits: UpdateLimits): void {
  if (depth > limits.maxValueDepth) throw new ScanError('too_complex', `values nested deeper than ${limits.maxValueDepth} levels`)
  const code = r.u8()
  switch (code) {
    case 127: // undefined
    case 126: // null
    case 121: // false
    case 120: // true
      return
    case 125:
      return r.int()
    case 124:
      return r.skip(4)
    case 123:
    case 122:
      return r.skip(8)
    case 119:
    case 116:
      r.skipString()
      return
    case 118: {
      const n = r.uint()
      for (let i = 0; i < n; i++) {
        r.skipString()
        skipAny(r, depth + 1, limits)
      }
      return
    }
    case 117: {
      const n = r.uint()
      for (let i = 0; i < n; i++) skipAny(r, depth + 1, limits)
      return
    }
    default:
      throw malformed(`unknown value type ${code}`)
  }
}

/** Nesting depth of a JSON text (ContentJSON, embeds, formats), without parsing it. */
function jsonDepth(text: string, limits: UpdateLimits): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 || c === 123) {
      if (++depth > limits.maxValueDepth) throw new ScanError('too_complex', `values nested deeper than ${limits.maxValueDepth} levels`)
    } else if (c === 93 || c === 125) depth--
  }
}

function key(r: Reader, limits: UpdateLimits): void {
  const n = r.uint()
  // UTF-16 length is at most the UTF-8 byte length, so this bound is safe.
  if (n > limits.maxKeyLength * 3) throw new ScanError('too_complex', `a key is longer than ${limits.maxKeyLength} characters`)
  r.skip(n)
}

/** Reads one item's content; returns its length in clocks. */
function content(r: Reader, ref: number, limits: UpdateLimits): number {
  switch (ref) {
    case 1: // deleted
      return r.uint()
    case 2: {
      // JSON (legacy): strings of JSON text
      const n = r.uint()
      for (let i = 0; i < n; i++) jsonDepth(r.string(), limits)
      return n
    }
    case 3: // binary
      r.skipString()
      return 1
    case 4: // string: its length in UTF-16 units is its clock length
      return r.string().length
    case 5: // embed
      jsonDepth(r.string(), limits)
      return 1
    case 6: // format
      key(r, limits)
      jsonDepth(r.string(), limits)
      return 1
    case 7: {
      // type
      const typeRef = r.uint()
      if (typeRef > 6) throw malformed(`unknown type ${typeRef}`)
      if (typeRef === 3 || typeRef === 5) key(r, limits) // XML element / hook name
      return 1
    }
    case 8: {
      // any
      const n = r.uint()
      for (let i = 0; i < n; i++) skipAny(r, 1, limits)
      return n
    }
    case 9: // sub-document: guid and options
      r.skipString()
      skipAny(r, 1, limits)
      return 1
    default:
      throw malformed(`unknown content type ${ref}`)
  }
}

/** Notes a reference from struct `i` of `run` to another client's struct. */
function foreign(run: ClientRun, i: number, client: number, clock: number): void {
  if (client !== run.client) run.foreign.push(i, client, clock)
}

function scan(update: Uint8Array, limits: UpdateLimits): UpdateScan {
  const r = new Reader(update)
  const runs: ClientRun[] = []
  const seen = new Set<number>()
  let structs = 0
  const sections = r.uint()
  if (sections > limits.maxClients) throw new ScanError('too_complex', `writes as ${sections} client ids; at most ${limits.maxClients}`)
  for (let s = 0; s < sections; s++) {
    const n = r.uint()
    const client = r.uint()
    let clock = r.uint()
    // Yjs keeps only the last section of a client: two would be read
    // differently by the guard and by Yjs.
    if (seen.has(client)) throw malformed(`client ${client} appears twice`)
    seen.add(client)
    structs += n
    if (structs > limits.maxStructs) throw new ScanError('too_complex', `more than ${limits.maxStructs} structs in one update`)
    const run: ClientRun = { client, offsets: [], clocks: [], foreign: [] }
    for (let i = 0; i < n; i++) {
      run.offsets.push(r.pos)
      run.clocks.push(clock)
      const info = r.u8()
      const ref = info & 0b11111
      let length: number
      if (ref === 0 || ref === 10) {
        length = r.uint() // GC or skip
      } else {
        if (info & 0x80) foreign(run, i, r.uint(), r.uint()) // origin
        if (info & 0x40) foreign(run, i, r.uint(), r.uint()) // right origin
        if ((info & 0xc0) === 0) {
          if (r.uint() === 1) key(r, limits) // root name
          else foreign(run, i, r.uint(), r.uint()) // parent item
          if (info & 0x20) key(r, limits) // map key
        }
        length = content(r, ref, limits)
      }
      // Zero-length structs do not advance the clock; Yjs never writes them.
      if (length < 1) throw malformed(`empty struct at ${client}:${clock}`)
      clock += length
    }
    run.offsets.push(r.pos)
    run.clocks.push(clock)
    runs.push(run)
  }
  const dsStart = r.pos
  let deleteRanges = 0
  const dsClients = r.uint()
  for (let i = 0; i < dsClients; i++) {
    r.uint()
    const n = r.uint()
    deleteRanges += n
    if (deleteRanges > limits.maxDeleteRanges) throw new ScanError('too_complex', `more than ${limits.maxDeleteRanges} deletions in one update`)
    for (let j = 0; j < n; j++) {
      r.uint()
      r.uint()
    }
  }
  return { runs, structs, deleteRanges, dsStart, dsEnd: r.pos }
}

/** Checks an update's structure against the limits; cheap (one pass over the bytes). */
export function scanUpdate(update: Uint8Array, limits: UpdateLimits = DEFAULT_UPDATE_LIMITS): ScanResult {
  try {
    return { ok: true, scan: scan(update, limits) }
  } catch (err) {
    if (err instanceof ScanError) return { ok: false, reason: err.reason, detail: err.message }
    throw err
  }
}
