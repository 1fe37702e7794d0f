// The board document as the app sees it: plain, validated Item objects read
// from the `shapes` and `markup` roots (schema in docs/WEB.md), rebuilt only
// for entries that changed, so 5,000 shapes cost nothing when one moves.
import * as Y from 'yjs'
import { DocRoot } from '../../../../shared/constants.js'

export type Layer = 'shapes' | 'markup'
export type ShapeType = 'rect' | 'ellipse' | 'sticky' | 'text' | 'arrow' | 'pen'
export type MarkupType = 'scribble' | 'highlight' | 'note'
export type ItemType = ShapeType | MarkupType

export interface Author {
  id: string
  kind: 'user' | 'guest'
  name: string
}

export interface Item {
  id: string
  layer: Layer
  type: ItemType
  /** Top-left corner; for arrows the start point. */
  x: number
  y: number
  /** Size; for arrows the vector from start to end (may be negative). */
  w: number
  h: number
  fill: string
  stroke: string
  text: string
  /** Pen, scribble, highlight: [x, y, pressure, …] relative to (x, y). */
  points: number[] | null
  /** Arrow ends attached to shapes (connectors follow them). */
  from: string | null
  to: string | null
  z: number
  author: Author | null
}

/** Transactions made by this client's own tools; the undo manager tracks only these. */
export const LOCAL = Symbol('local-edit')

const SHAPE_TYPES = new Set<string>(['rect', 'ellipse', 'sticky', 'text', 'arrow', 'pen'])
const MARKUP_TYPES = new Set<string>(['scribble', 'highlight', 'note'])
const COLOR = /^(#[0-9a-f]{3,8}|none|transparent)$/i
const MAX_POINTS = 30_000

const num = (v: unknown, fallback = 0) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback)
const str = (v: unknown, max = 10_000) => (typeof v === 'string' ? v.slice(0, max) : '')
const color = (v: unknown, fallback: string) => (typeof v === 'string' && COLOR.test(v) ? v : fallback)

function readAuthor(v: unknown): Author | null {
  if (!v || typeof v !== 'object') return null
  const a = v as Record<string, unknown>
  if (typeof a.id !== 'string' || (a.kind !== 'user' && a.kind !== 'guest')) return null
  return { id: a.id, kind: a.kind, name: str(a.name, 64) }
}

/** Anyone with write access can put anything in the document; read defensively. */
export function readItem(id: string, layer: Layer, value: unknown): Item | null {
  if (!(value instanceof Y.Map)) return null
  const m = value as Y.Map<unknown>
  const type = m.get('type')
  if (typeof type !== 'string' || !(layer === 'shapes' ? SHAPE_TYPES : MARKUP_TYPES).has(type)) return null
  const rawPoints = m.get('points')
  let points: number[] | null = null
  if (Array.isArray(rawPoints)) points = rawPoints.slice(0, MAX_POINTS * 3).map((p) => num(p))
  return {
    id,
    layer,
    type: type as ItemType,
    x: num(m.get('x')),
    y: num(m.get('y')),
    w: num(m.get('w'), 100),
    h: num(m.get('h'), 100),
    fill: color(m.get('fill'), 'none'),
    stroke: color(m.get('stroke'), '#1e1e1e'),
    text: str(m.get('text')),
    points,
    from: typeof m.get('from') === 'string' ? (m.get('from') as string) : null,
    to: typeof m.get('to') === 'string' ? (m.get('to') as string) : null,
    z: num(m.get('z')),
    author: readAuthor(m.get('author')),
  }
}

export function bounds(item: Pick<Item, 'x' | 'y' | 'w' | 'h'>): { x: number; y: number; w: number; h: number } {
  return {
    x: Math.min(item.x, item.x + item.w),
    y: Math.min(item.y, item.y + item.h),
    w: Math.abs(item.w),
    h: Math.abs(item.h),
  }
}

export class DocModel {
  readonly items = new Map<string, Item>()
  version = 0
  private sortedCache: Item[] | null = null
  private readonly listeners = new Set<() => void>()
  private readonly unobserve: (() => void)[] = []
  private scheduled = false

  constructor(readonly doc: Y.Doc) {
    for (const layer of [DocRoot.shapes, DocRoot.markup] as const) {
      const root = doc.getMap<unknown>(layer)
      root.forEach((value, id) => this.refresh(layer, id, value))
      const observer = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
        const touched = new Set<string>()
        for (const e of events) {
          if (e.target === root) for (const key of (e as Y.YMapEvent<unknown>).keysChanged) touched.add(key)
          else if (typeof e.path[0] === 'string') touched.add(e.path[0])
        }
        for (const id of touched) this.refresh(layer, id, root.get(id))
        this.changed()
      }
      root.observeDeep(observer)
      this.unobserve.push(() => root.unobserveDeep(observer))
    }
  }

  private refresh(layer: Layer, id: string, value: unknown): void {
    const item = readItem(id, layer, value)
    const key = `${layer}:${id}`
    if (item) this.items.set(key, item)
    else this.items.delete(key)
  }

  private changed(): void {
    this.version++
    this.sortedCache = null
    // Remote updates arrive in bursts; tell the view once per task.
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      for (const l of this.listeners) l()
    })
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Paint order: shapes below markup, then by z, ties by id so every client agrees. */
  sorted(): Item[] {
    if (!this.sortedCache) {
      this.sortedCache = [...this.items.values()].sort(
        (a, b) => (a.layer === b.layer ? 0 : a.layer === 'shapes' ? -1 : 1) || a.z - b.z || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )
    }
    return this.sortedCache
  }

  get(key: string): Item | undefined {
    return this.items.get(key)
  }

  /** By shape id alone (connectors and comment anchors refer to shapes that way). */
  shape(id: string): Item | undefined {
    return this.items.get(`shapes:${id}`)
  }

  zRange(layer: Layer): { min: number; max: number } {
    let min = 0
    let max = 0
    for (const item of this.items.values()) {
      if (item.layer !== layer) continue
      if (item.z < min) min = item.z
      if (item.z > max) max = item.z
    }
    return { min, max }
  }

  destroy(): void {
    for (const f of this.unobserve.splice(0)) f()
    this.listeners.clear()
  }
}

export const itemKey = (item: Pick<Item, 'layer' | 'id'>) => `${item.layer}:${item.id}`

export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return Array.from(bytes, (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('')
}

type Fields = Partial<Omit<Item, 'id' | 'layer'>>

export function createItem(doc: Y.Doc, layer: Layer, fields: Fields & { type: ItemType }, id = newId()): string {
  doc.transact(() => {
    const m = new Y.Map<unknown>()
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) m.set(k, v)
    doc.getMap<unknown>(layer).set(id, m)
  }, LOCAL)
  return id
}

/** Writes only fields that differ, so a drag that ends where it started sends nothing. */
export function updateItems(doc: Y.Doc, changes: { layer: Layer; id: string; patch: Fields }[]): void {
  doc.transact(() => {
    for (const { layer, id, patch } of changes) {
      const m = doc.getMap<unknown>(layer).get(id)
      if (!(m instanceof Y.Map)) continue
      for (const [k, v] of Object.entries(patch)) {
        if (v === undefined) continue
        if (v === null) {
          if (m.has(k)) m.delete(k)
        } else if (JSON.stringify(m.get(k)) !== JSON.stringify(v)) m.set(k, v)
      }
    }
  }, LOCAL)
}

export function deleteItems(doc: Y.Doc, refs: { layer: Layer; id: string }[]): void {
  doc.transact(() => {
    for (const { layer, id } of refs) doc.getMap<unknown>(layer).delete(id)
  }, LOCAL)
}
