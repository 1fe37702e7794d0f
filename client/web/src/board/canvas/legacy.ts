// Boards drawn before the Excalidraw canvas hold entries of the old schema
// (rect, ellipse, sticky, text, arrow, pen in `shapes`; scribble, highlight,
// note in `markup`; see doc-model.ts). They are converted when they are read,
// the same way on every client, and written in the new schema only when
// someone edits them (the whole entry at once, with its label as a new
// entry). Readers and reviewers can open such boards without writing anything.
import type * as Y from 'yjs'
import { readItem, type Item } from '../doc-model.js'
import type { Root, Stored } from './element-codec.js'

const LEGACY_TYPES = new Set(['rect', 'ellipse', 'sticky', 'text', 'arrow', 'pen', 'scribble', 'highlight', 'note'])

/** `text`, `arrow` and `ellipse` are element types too; the old schema had `w`/`h` where elements have `width`. */
export function isLegacyEntry(m: Y.Map<unknown>): boolean {
  const type = m.get('type')
  return typeof type === 'string' && LEGACY_TYPES.has(type) && !m.has('width')
}

/** The id of the text element made from a legacy shape's label. */
export const labelId = (id: string) => `${id}-label`

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/**
 * A fractional index from the old `z` alone (ties broken by id), so every
 * client puts an unconverted entry at the same place whatever else it has
 * converted: 'd' + four base-62 digits of z + 10⁶, then the id.
 */
export function legacyIndex(z: number, id: string): string {
  let n = Math.max(0, Math.min(2_000_000, Math.round(z) + 1_000_000))
  let digits = ''
  for (let i = 0; i < 4; i++) {
    digits = DIGITS[n % 62]! + digits
    n = Math.floor(n / 62)
  }
  const tail = id.replace(/[^0-9A-Za-z]/g, '').slice(0, 24)
  return `d${digits}${tail}V`
}

const colour = (c: string, fallback: string) => (c === 'none' || c === 'transparent' ? fallback : c)

function base(item: Item, type: string): Stored {
  const b = { x: Math.min(item.x, item.x + item.w), y: Math.min(item.y, item.y + item.h), w: Math.abs(item.w), h: Math.abs(item.h) }
  return {
    type,
    x: b.x,
    y: b.y,
    width: b.w,
    height: b.h,
    angle: 0,
    strokeColor: item.stroke,
    backgroundColor: colour(item.fill, 'transparent'),
    fillStyle: 'solid',
    strokeWidth: 2,
    strokeStyle: 'solid',
    roughness: 0,
    opacity: 100,
    groupIds: [],
    frameId: null,
    roundness: null,
    seed: seedOf(item.id),
    index: legacyIndex(item.z, item.id),
    boundElements: null,
    link: null,
    locked: false,
    ...(item.author ? { author: item.author } : {}),
  }
}

function seedOf(id: string): number {
  let h = 2166136261
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619)
  return Math.abs(h) % 2 ** 31
}

function label(item: Item, container: Stored, size: number): { id: string; json: Stored } {
  return {
    id: labelId(item.id),
    json: {
      ...base(item, 'text'),
      strokeColor: '#1e1e1e',
      backgroundColor: 'transparent',
      // Just above its container, below whatever comes next.
      index: `${container.index as string}V`,
      text: item.text,
      originalText: item.text,
      fontSize: size,
      fontFamily: 5,
      textAlign: 'center',
      verticalAlign: 'middle',
      containerId: item.id,
      autoResize: true,
      lineHeight: 1.25,
    },
  }
}

function points(item: Item): { points: number[][]; pressures: number[] } {
  const flat = item.points ?? []
  const pts: number[][] = []
  const pressures: number[] = []
  for (let i = 0; i + 1 < flat.length; i += 3) {
    pts.push([flat[i]!, flat[i + 1]!])
    pressures.push(Math.max(0, Math.min(1, flat[i + 2] ?? 0.5)))
  }
  if (pts.length === 0) pts.push([0, 0])
  return { points: pts, pressures }
}

/** One legacy entry → the element(s) it shows as (a shape with a label is two). */
export function convertLegacy(id: string, root: Root, value: Y.Map<unknown>, boundArrows: (shapeId: string) => string[]): { id: string; json: Stored }[] {
  const item = readItem(id, root, value)
  if (!item) return []
  const out: { id: string; json: Stored }[] = []
  const arrows = boundArrows(id).map((a) => ({ id: a, type: 'arrow' }))
  switch (item.type) {
    case 'rect':
    case 'ellipse':
    case 'sticky':
    case 'note': {
      const shape = base(item, item.type === 'ellipse' ? 'ellipse' : 'rectangle')
      if (item.type === 'sticky' || item.type === 'note') {
        shape.backgroundColor = colour(item.fill, item.type === 'note' ? '#ffec99' : '#fff3a0')
        shape.strokeColor = 'transparent'
      }
      const bound: { id: string; type: string }[] = [...arrows]
      if (item.text) {
        const text = label(item, shape, item.type === 'sticky' || item.type === 'note' ? 16 : 20)
        bound.push({ id: text.id, type: 'text' })
        out.push({ id, json: { ...shape, boundElements: bound } }, text)
      } else out.push({ id, json: { ...shape, boundElements: bound.length ? bound : null } })
      return out
    }
    case 'text':
      return [{ id, json: { ...base(item, 'text'), backgroundColor: 'transparent', text: item.text, originalText: item.text, fontSize: 20, fontFamily: 5, textAlign: 'left', verticalAlign: 'top', containerId: null, autoResize: true, lineHeight: 1.25 } }]
    case 'arrow':
      return [
        {
          id,
          json: {
            ...base(item, 'arrow'),
            x: item.x,
            y: item.y,
            points: [
              [0, 0],
              [item.w, item.h],
            ],
            startBinding: item.from ? { elementId: item.from, focus: 0, gap: 4 } : null,
            endBinding: item.to ? { elementId: item.to, focus: 0, gap: 4 } : null,
            startArrowhead: null,
            endArrowhead: 'arrow',
            elbowed: false,
          },
        },
      ]
    case 'pen':
    case 'scribble':
    case 'highlight': {
      const p = points(item)
      const highlight = item.type === 'highlight'
      return [
        {
          id,
          json: {
            ...base(item, 'freedraw'),
            backgroundColor: 'transparent',
            strokeWidth: highlight ? 4 : 1,
            opacity: highlight ? 40 : 100,
            points: p.points,
            pressures: p.pressures,
            simulatePressure: p.pressures.length === 0,
          },
        },
      ]
    }
    default:
      return []
  }
}

/** Old arrows attached to a shape, for its `boundElements`. */
export function legacyArrowIndex(shapes: Y.Map<unknown>): Map<string, string[]> {
  const byShape = new Map<string, string[]>()
  shapes.forEach((value, id) => {
    const m = value as Y.Map<unknown>
    if (typeof m?.get !== 'function' || m.get('type') !== 'arrow') return
    for (const end of ['from', 'to']) {
      const target = m.get(end)
      if (typeof target === 'string') byShape.set(target, [...(byShape.get(target) ?? []), id])
    }
  })
  return byShape
}
