// History from the update log, as pure functions over Yjs documents: the
// board's content at any point, what each logged update did to which
// element (replayed with observers), and the Yjs update that brings a live
// document to wanted content. No database, no sockets: the service feeds
// these the log and writes their answers through the collaboration hub.
import * as Y from 'yjs'
import { DOC_ROOTS } from '../../../shared/constants.js'
import type { ChangeKind, DocContent, HistoryRoot } from '../../../shared/history.js'
import { freshClientId, updateFrom } from '../boards/elements.js'
import { boardDoc } from '../util/y-doc.js'

/** One stored update: who sent it (a principal key; null on rows older than history) and when. */
export interface LogRow {
  seq: number
  actor: string | null
  at: number
  data: Uint8Array
}

/** What one logged update did to one entry of a root (an element; a meta key). */
export interface EntryChange {
  seq: number
  at: number
  actor: string | null
  root: HistoryRoot
  id: string
  kind: ChangeKind
  /** The fields it set or removed (`changed`); every field (`added`); none (`deleted`). */
  fields: string[]
}

export function emptyContent(): DocContent {
  return { shapes: {}, markup: {}, meta: {} }
}

/** A document holding the base and the rows, merged first (one apply is far cheaper than many). */
export function buildDoc(base: Uint8Array | null, rows: readonly Uint8Array[]): Y.Doc {
  const doc = boardDoc()
  const parts = base ? [base, ...rows] : [...rows]
  if (parts.length === 1) Y.applyUpdate(doc, parts[0]!)
  else if (parts.length > 1) Y.applyUpdate(doc, Y.mergeUpdates(parts))
  return doc
}

const plain = (v: unknown): unknown => (v instanceof Y.AbstractType ? v.toJSON() : v)

/** One entry as JSON: an element's stored fields; a meta value as it is. */
export function entryValue(value: unknown): unknown {
  return plain(value)
}

/** The document's content as plain JSON. */
export function contentOf(doc: Y.Doc): DocContent {
  const out = emptyContent()
  for (const root of DOC_ROOTS) {
    const map = doc.getMap<unknown>(root)
    for (const [id, value] of map.entries()) out[root][id] = plain(value)
  }
  return out
}

/** What a replay's observers need between rows. */
interface Watch {
  current: LogRow | null
  found: Map<string, EntryChange>
  detach(): void
}

function watch(doc: Y.Doc): Watch {
  const w: Watch = { current: null, found: new Map(), detach: () => {} }
  const observers: [Y.Map<unknown>, (events: Y.YEvent<any>[]) => void][] = []
  for (const root of DOC_ROOTS) {
    const map = doc.getMap<unknown>(root)
    const observer = (events: Y.YEvent<any>[]) => {
      const row = w.current
      if (!row) return
      for (const event of events) {
        if (event.target === map) {
          for (const [id, change] of event.changes.keys) {
            const kind: ChangeKind = change.action === 'add' ? 'added' : change.action === 'delete' ? 'deleted' : 'changed'
            const value = map.get(id)
            const fields = kind === 'deleted' ? [] : value instanceof Y.Map ? [...value.keys()] : ['']
            w.found.set(`${root}\n${id}`, { seq: row.seq, at: row.at, actor: row.actor, root, id, kind, fields })
          }
        } else {
          const id = event.path[0]
          if (typeof id !== 'string') continue
          const key = `${root}\n${id}`
          const seen = w.found.get(key)
          if (seen && seen.kind !== 'changed') continue
          const fields = new Set(seen?.fields)
          if (event.path.length > 1) fields.add(String(event.path[1]))
          else for (const k of event.changes.keys.keys()) fields.add(k)
          w.found.set(key, { seq: row.seq, at: row.at, actor: row.actor, root, id, kind: 'changed', fields: [...fields] })
        }
      }
    }
    map.observeDeep(observer)
    observers.push([map, observer])
  }
  w.detach = () => {
    w.current = null
    for (const [map, observer] of observers) map.unobserveDeep(observer)
  }
  return w
}

function step(doc: Y.Doc, w: Watch, row: LogRow, onChange: (c: EntryChange) => void): void {
  w.current = row
  w.found.clear()
  Y.applyUpdate(doc, row.data)
  for (const c of w.found.values()) onChange(c)
}

/**
 * Applies rows one by one and reports what each did, entry by entry (an
 * element added, deleted, or which of its fields changed), as Yjs actually
 * integrated it: an edit that lost a concurrent conflict reports nothing.
 */
export function replay(doc: Y.Doc, rows: Iterable<LogRow>, onChange: (c: EntryChange) => void): void {
  const w = watch(doc)
  try {
    for (const row of rows) step(doc, w, row, onChange)
  } finally {
    w.detach()
  }
}

/**
 * The same, for work nobody waits on (automatic versions): it gives the
 * event loop back every few milliseconds, so a long log never holds live
 * traffic for the whole replay. `doc` must be this caller's own.
 */
export async function replayInSlices(doc: Y.Doc, rows: Iterable<LogRow>, onChange: (c: EntryChange) => void, sliceMs = 4): Promise<void> {
  const w = watch(doc)
  try {
    let since = performance.now()
    for (const row of rows) {
      step(doc, w, row, onChange)
      if (performance.now() - since < sliceMs) continue
      await new Promise((resolve) => setImmediate(resolve))
      since = performance.now()
    }
  } finally {
    w.detach()
  }
}

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b)
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** How one entry differs: gone, new, or these fields. Null when equal. */
export type EntryDelta = { kind: 'removed' } | { kind: 'recreated' } | { kind: 'reset'; fields: string[] }

export function entryDelta(root: HistoryRoot, live: unknown, wanted: unknown): EntryDelta | null {
  if (wanted === undefined) return live === undefined ? null : { kind: 'removed' }
  if (live === undefined) return { kind: 'recreated' }
  if (root !== 'meta' && isRecord(live) && isRecord(wanted)) {
    const fields = [...new Set([...Object.keys(live), ...Object.keys(wanted)])].filter((k) => !same(live[k], wanted[k]))
    return fields.length ? { kind: 'reset', fields } : null
  }
  return same(live, wanted) ? null : { kind: 'reset', fields: [''] }
}

/** Wanted content per entry; `undefined` means the entry must not exist. */
export type Wanted = Map<HistoryRoot, Map<string, unknown>>

/**
 * The update that brings `live` to the wanted entries (others untouched),
 * written by a fresh client id on the kept copy of `live` (boards/elements.ts):
 * `live` itself is not changed, so the update goes through the update guard
 * like anyone's, and a restore on a big board costs what it changes, not a
 * copy of the board. Null when nothing differs.
 */
export function updateTowards(live: Y.Doc, wanted: Wanted): Uint8Array | null {
  return updateFrom(live, freshClientId(live), (copy) => {
    for (const [root, entries] of wanted) {
      const map = copy.getMap<unknown>(root)
      for (const [id, value] of entries) {
        const current = map.get(id)
        const delta = entryDelta(root, plain(current), value)
        if (!delta) continue
        if (delta.kind === 'removed') map.delete(id)
        else if (root === 'meta' || !isRecord(value)) map.set(id, value)
        else if (delta.kind === 'recreated' || !(current instanceof Y.Map)) map.set(id, new Y.Map(Object.entries(value)))
        else {
          for (const field of delta.fields) {
            if (value[field] === undefined) current.delete(field)
            else current.set(field, value[field])
          }
        }
      }
    }
  })
}

/** The wanted entries for making the document equal `content` everywhere. */
export function wantedFrom(live: DocContent, content: DocContent): Wanted {
  const wanted: Wanted = new Map()
  for (const root of DOC_ROOTS) {
    const entries = new Map<string, unknown>()
    for (const id of new Set([...Object.keys(live[root]), ...Object.keys(content[root])])) entries.set(id, content[root][id])
    wanted.set(root, entries)
  }
  return wanted
}
