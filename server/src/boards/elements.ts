// Elements as the document API shows and takes them (docs/API.md, "Document
// API"): the entries of the `shapes` and `markup` roots, read out of a Y.Doc,
// and the checks and Yjs edits behind a write. Pure: no storage, no rights
// (the update guard decides those on the live path).
import { randomBytes } from 'node:crypto'
import * as Y from 'yjs'
import { badRequest } from '../errors.js'
import { plainDoc } from '../util/y-doc.js'

export const ELEMENT_ROOTS = ['shapes', 'markup'] as const
export type ElementRoot = (typeof ELEMENT_ROOTS)[number]

export interface Element {
  id: string
  root: ElementRoot
  fields: Record<string, unknown>
}

/** Ids an integration may give new elements (Excalidraw's are nanoids). */
export const NEW_ELEMENT_ID = /^[A-Za-z0-9_-]{1,128}$/
const TYPE = /^[a-z]{1,32}$/
export const MAX_FIELDS = 128
export const MAX_FIELD_KEY = 128
/** The guard refuses values nested deeper (as it counts: the entry's own object is one level); checked first for a clear 400. */
const MAX_VALUE_DEPTH = 32
/**
 * Keys the web app never stores in an entry (docs/API.md, "Element entries"):
 * the id is the map key, the rest is Excalidraw's own bookkeeping.
 */
const NOT_STORED = new Set(['id', 'version', 'versionNonce', 'updated', 'isDeleted', 'status'])
/** Set by the server on creation, from the caller's token. */
export const AUTHOR = 'author'

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** An entry's fields, or null when the entry is not an element (not an object). */
function fieldsOf(value: unknown): Record<string, unknown> | null {
  if (value instanceof Y.Map) return value.toJSON() as Record<string, unknown>
  if (isRecord(value)) return { ...value }
  return null
}

export function elementIn(doc: Y.Doc, root: ElementRoot, id: string): Element | null {
  const map = doc.getMap<unknown>(root)
  if (!map.has(id)) return null
  const fields = fieldsOf(map.get(id))
  return fields ? { id, root, fields } : null
}

/** The elements of the roots, in paint order: `shapes` under `markup`, each by its fractional `index`, then id. */
export function elementsIn(doc: Y.Doc, roots: readonly ElementRoot[]): Element[] {
  const out: Element[] = []
  for (const root of roots) {
    const list: Element[] = []
    doc.getMap<unknown>(root).forEach((value, id) => {
      const fields = fieldsOf(value)
      if (fields) list.push({ id, root, fields })
    })
    // fractional-indexing keys order by plain code-unit comparison, not locale.
    const key = (e: Element) => (typeof e.fields.index === 'string' ? e.fields.index : '')
    list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    out.push(...list)
  }
  return out
}

/** Where `id` lives: in `root` when given, else whichever element root holds it. Null: nowhere; 'both': ambiguous. */
export function locate(doc: Y.Doc, id: string, root: ElementRoot | undefined): ElementRoot | 'both' | null {
  if (root) return doc.getMap(root).has(id) ? root : null
  const found = ELEMENT_ROOTS.filter((r) => doc.getMap(r).has(id))
  return found.length === 2 ? 'both' : (found[0] ?? null)
}

function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + value.reduce<number>((m, v) => Math.max(m, depthOf(v)), 0)
  if (isRecord(value)) return 1 + Object.values(value).reduce<number>((m, v) => Math.max(m, depthOf(v)), 0)
  return 0
}

/** Checks fields to store: keys, the stored-keys rule, `type`, value nesting. `where` names the field in messages. */
export function checkFields(fields: Record<string, unknown>, where: string, options: { create: boolean }): void {
  const keys = Object.keys(fields)
  if (keys.length > MAX_FIELDS) throw badRequest(`${where}: at most ${MAX_FIELDS} fields`)
  for (const key of keys) {
    if (key.length === 0 || key.length > MAX_FIELD_KEY) throw badRequest(`${where}: field names are 1-${MAX_FIELD_KEY} characters`)
    if (NOT_STORED.has(key)) throw badRequest(`${where}.${key}: not stored in an element (the id is the element's key)`)
    if (key === AUTHOR && !options.create) throw badRequest(`${where}.${key}: set by the server when the element is created`)
    if (depthOf(fields[key]) >= MAX_VALUE_DEPTH) throw badRequest(`${where}.${key}: values nest at most ${MAX_VALUE_DEPTH - 1} levels`)
  }
  if (options.create || 'type' in fields) {
    if (typeof fields.type !== 'string' || !TYPE.test(fields.type)) throw badRequest(`${where}.type: an element type (lower-case letters, e.g. "rectangle")`)
  }
}

/**
 * Per live document, a copy kept in step with it for building writes. Making
 * the copy from scratch costs as much as loading the board (over a second for
 * 10,000 shapes, all of it on the event loop); bringing a kept one up to date
 * costs what changed since. Dropped after a quiet half minute, with the room
 * (the live document is the key), or when a write built on it was not applied.
 */
const shadows = new WeakMap<Y.Doc, { doc: Y.Doc; timer: NodeJS.Timeout | undefined }>()
const SHADOW_IDLE_MS = 30_000

function shadowOf(live: Y.Doc): Y.Doc {
  let shadow = shadows.get(live)
  if (shadow) {
    clearTimeout(shadow.timer)
    Y.applyUpdate(shadow.doc, Y.encodeStateAsUpdate(live, Y.encodeStateVector(shadow.doc)))
  } else {
    const doc = plainDoc(live.gc)
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(live))
    shadow = { doc, timer: undefined }
    shadows.set(live, shadow)
  }
  shadow.timer = setTimeout(() => dropShadow(live), SHADOW_IDLE_MS)
  shadow.timer.unref()
  return shadow.doc
}

/** Forgets the copy of `live`: the last update built on it did not reach `live`, so the two differ. */
export function dropShadow(live: Y.Doc): void {
  const shadow = shadows.get(live)
  if (!shadow) return
  clearTimeout(shadow.timer)
  shadows.delete(live)
  shadow.doc.destroy()
}

/**
 * The update that `edit` makes to a copy of `live`, written with `clientId`
 * (`live` itself is not changed: the update goes through the update guard
 * like any client's). Null when the edit changed nothing. The room drops
 * the copy (dropShadow) when it does not apply the update.
 */
export function updateFrom(live: Y.Doc, clientId: number, edit: (copy: Y.Doc) => void): Uint8Array | null {
  const copy = shadowOf(live)
  // Only after the state is in: Yjs gives a document a new client id when
  // remote content arrives under its own.
  copy.clientID = clientId
  let update: Uint8Array | null = null
  const collect = (u: Uint8Array) => {
    update = update ? Y.mergeUpdates([update, u]) : u
  }
  copy.on('update', collect)
  try {
    copy.transact(() => edit(copy))
  } catch (err) {
    // Half an edit may be in the copy.
    dropShadow(live)
    throw err
  } finally {
    copy.off('update', collect)
  }
  return update
}

/** A client id nobody has written with on this document. */
export function freshClientId(live: Y.Doc): number {
  for (;;) {
    const id = randomBytes(4).readUInt32LE(0)
    if (!live.store.clients.has(id)) return id
  }
}

/** Writes a new element as one Y.Map of plain values (the web app's schema). */
export function putElement(copy: Y.Doc, root: ElementRoot, id: string, fields: Record<string, unknown>): void {
  copy.getMap<unknown>(root).set(id, new Y.Map(Object.entries(fields)))
}

/** Sets and removes fields of an existing entry (an entry written as one plain object becomes a Y.Map). Answers the fields after. */
export function changeElement(copy: Y.Doc, root: ElementRoot, id: string, set: Record<string, unknown>, unset: readonly string[]): Record<string, unknown> {
  const map = copy.getMap<unknown>(root)
  const current = map.get(id)
  const before = fieldsOf(current) ?? {}
  const after: Record<string, unknown> = { ...before }
  for (const key of unset) delete after[key]
  for (const [key, value] of Object.entries(set)) after[key] = value
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
  if (current instanceof Y.Map) {
    // Only what differs: every write is a new item in the document, kept for history.
    for (const key of unset) if (key in before) current.delete(key)
    for (const [key, value] of Object.entries(set)) if (!(key in before) || !same(before[key], value)) current.set(key, value)
  } else if (!same(before, after)) {
    map.set(id, new Y.Map(Object.entries(after)))
  }
  return after
}
