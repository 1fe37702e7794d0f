// One Excalidraw element ⇄ the plain JSON values of its Y.Map (schema in
// docs/WEB.md). Anything with write access can put anything in the document,
// so what is read goes through Excalidraw's own restore (defaults, repairs)
// before it reaches the scene.
import { restoreElements } from '@excalidraw/excalidraw'
import type { ExcalidrawElement } from '@excalidraw/excalidraw/element/types'
import * as Y from 'yjs'
import type { Author } from '../doc-model.js'

export type Root = 'shapes' | 'markup'
export type Stored = Record<string, unknown>

/**
 * Local bookkeeping, never stored: the id is the map key, deletion removes
 * the entry, versions and timestamps change on every local render, and an
 * image's upload status is ours to track.
 */
const LOCAL_ONLY = new Set(['id', 'version', 'versionNonce', 'updated', 'isDeleted', 'status'])

export const ELEMENT_TYPES = new Set([
  'rectangle',
  'diamond',
  'ellipse',
  'text',
  'line',
  'arrow',
  'freedraw',
  'image',
  'frame',
  'magicframe',
  'embeddable',
  'iframe',
])

/** Element types guests never create (the update guard refuses them too): they load content from elsewhere. */
export const GUEST_FORBIDDEN_ELEMENTS = new Set(['image', 'embeddable', 'iframe'])

/** The stored fields of an element: plain JSON, one key per element property, plus its author. */
export function storedFields(el: ExcalidrawElement, author: Author | null): Stored {
  const out: Stored = {}
  for (const [key, value] of Object.entries(el)) {
    if (LOCAL_ONLY.has(key) || value === undefined) continue
    out[key] = value
  }
  if (author) out.author = author
  return out
}

const same = (a: unknown, b: unknown) => a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b))

/** Keys whose values differ between what is stored and `next` (removed keys map to undefined). */
export function changedKeys(stored: Stored, next: Stored, ignore?: ReadonlySet<string>): string[] {
  const keys: string[] = []
  for (const key of new Set([...Object.keys(stored), ...Object.keys(next)])) {
    if (ignore?.has(key)) continue
    if (!same(stored[key], next[key])) keys.push(key)
  }
  return keys
}

/** Writes only `keys` of `next` into the entry (creating it when missing). */
export function writeEntry(root: Y.Map<unknown>, id: string, next: Stored, keys: readonly string[] | 'all'): void {
  let map = root.get(id)
  if (!(map instanceof Y.Map)) {
    map = new Y.Map<unknown>()
    for (const [k, v] of Object.entries(next)) if (v !== undefined) (map as Y.Map<unknown>).set(k, v)
    root.set(id, map)
    return
  }
  const m = map as Y.Map<unknown>
  for (const key of keys === 'all' ? new Set([...m.keys(), ...Object.keys(next)]) : keys) {
    const v = next[key]
    if (v === undefined) {
      if (m.has(key)) m.delete(key)
    } else if (keys !== 'all' || !same(m.get(key), v)) m.set(key, v)
  }
}

export function readAuthor(v: unknown): Author | null {
  if (!v || typeof v !== 'object') return null
  const a = v as Record<string, unknown>
  if (typeof a.id !== 'string' || (a.kind !== 'user' && a.kind !== 'guest')) return null
  return { id: a.id, kind: a.kind, name: typeof a.name === 'string' ? a.name.slice(0, 64) : '' }
}

/** A stored entry's JSON as an Excalidraw element, or null if it is not one. */
export function isElementEntry(json: Stored): boolean {
  return typeof json.type === 'string' && ELEMENT_TYPES.has(json.type)
}

/**
 * Stored entries → scene elements, repaired by Excalidraw's restore. Their
 * version starts above whatever the scene had for the id, so the renderer
 * redraws them.
 */
export function toElements(entries: { id: string; json: Stored }[], versions: (id: string) => number): ExcalidrawElement[] {
  const raw = entries.map(({ id, json }) => {
    const { author: _author, ...rest } = json
    return { ...rest, id, isDeleted: false, status: 'saved', version: versions(id) + 1, versionNonce: (Math.random() * 2 ** 31) | 0 }
  })
  return restoreElements(raw as unknown as ExcalidrawElement[], null, { refreshDimensions: false, repairBindings: true }) as ExcalidrawElement[]
}
