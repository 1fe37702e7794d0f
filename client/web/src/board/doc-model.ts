// The board document's first schema, which boards drawn before the
// Excalidraw canvas still hold: validated Item objects read from `shapes` and
// `markup` entries (canvas/legacy.ts turns them into elements). Also the
// origin of this client's own edits and the author they carry.
import * as Y from 'yjs'

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

