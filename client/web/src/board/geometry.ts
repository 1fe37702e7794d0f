// Pure geometry for items: freehand outlines, connector ends, hit boxes, text wrapping.
import { getStroke } from 'perfect-freehand'
import { bounds, type DocModel, type Item } from './doc-model.js'

export interface Rect {
  x: number
  y: number
  w: number
  h: number
}

const outlineCache = new WeakMap<number[], string>()

/** SVG path of a perfect-freehand outline; cached per points array (items are immutable snapshots). */
export function strokePath(points: number[], size: number, thinning = 0.5): string {
  const cached = outlineCache.get(points)
  if (cached) return cached
  const input: [number, number, number][] = []
  for (let i = 0; i + 2 < points.length; i += 3) input.push([points[i]!, points[i + 1]!, points[i + 2] || 0.5])
  const outline = getStroke(input, { size, thinning, smoothing: 0.5, streamline: 0.4, simulatePressure: false })
  let d = ''
  if (outline.length > 0) {
    d = `M${outline[0]![0].toFixed(1)},${outline[0]![1].toFixed(1)}`
    for (let i = 1; i < outline.length; i++) d += `L${outline[i]![0].toFixed(1)},${outline[i]![1].toFixed(1)}`
    d += 'Z'
  }
  outlineCache.set(points, d)
  return d
}

export const strokeSize = (type: Item['type']) => (type === 'highlight' ? 22 : type === 'scribble' ? 5 : 6)

function edgePoint(r: Rect, towards: { x: number; y: number }): { x: number; y: number } {
  const cx = r.x + r.w / 2
  const cy = r.y + r.h / 2
  const dx = towards.x - cx
  const dy = towards.y - cy
  if (dx === 0 && dy === 0) return { x: cx, y: cy }
  const sx = r.w / 2 / Math.abs(dx || 1e-9)
  const sy = r.h / 2 / Math.abs(dy || 1e-9)
  const s = Math.min(sx, sy)
  return { x: cx + dx * s, y: cy + dy * s }
}

/** Arrow ends, following attached shapes (stopping at their edges). */
export function arrowEnds(item: Item, model: DocModel): { x1: number; y1: number; x2: number; y2: number } {
  let a = { x: item.x, y: item.y }
  let b = { x: item.x + item.w, y: item.y + item.h }
  const from = item.from ? model.shape(item.from) : undefined
  const to = item.to ? model.shape(item.to) : undefined
  const fromRect = from && from.type !== 'arrow' ? bounds(from) : null
  const toRect = to && to.type !== 'arrow' ? bounds(to) : null
  const centre = (r: Rect) => ({ x: r.x + r.w / 2, y: r.y + r.h / 2 })
  if (fromRect) a = edgePoint(fromRect, toRect ? centre(toRect) : b)
  if (toRect) b = edgePoint(toRect, fromRect ? centre(fromRect) : a)
  return { x1: a.x, y1: a.y, x2: b.x, y2: b.y }
}

export function arrowHead(x1: number, y1: number, x2: number, y2: number, size = 14): string {
  const angle = Math.atan2(y2 - y1, x2 - x1)
  const p = (a: number) => `${(x2 - size * Math.cos(angle + a)).toFixed(1)},${(y2 - size * Math.sin(angle + a)).toFixed(1)}`
  return `M${p(0.45)}L${x2.toFixed(1)},${y2.toFixed(1)}L${p(-0.45)}`
}

/** The box used for selection and hit tests, in world units. */
export function itemRect(item: Item, model: DocModel): Rect {
  if (item.type === 'arrow') {
    const e = arrowEnds(item, model)
    return { x: Math.min(e.x1, e.x2), y: Math.min(e.y1, e.y2), w: Math.abs(e.x2 - e.x1), h: Math.abs(e.y2 - e.y1) }
  }
  return bounds(item)
}

export function intersects(a: Rect, b: Rect): boolean {
  return a.x <= b.x + b.w && b.x <= a.x + a.w && a.y <= b.y + b.h && b.y <= a.y + a.h
}

export function unionRect(rects: Rect[]): Rect | null {
  if (rects.length === 0) return null
  let x1 = Infinity
  let y1 = Infinity
  let x2 = -Infinity
  let y2 = -Infinity
  for (const r of rects) {
    x1 = Math.min(x1, r.x)
    y1 = Math.min(y1, r.y)
    x2 = Math.max(x2, r.x + r.w)
    y2 = Math.max(y2, r.y + r.h)
  }
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 }
}

/** Greedy word wrap by an average glyph width; good enough for labels and stickies. */
export function wrapText(text: string, width: number, fontSize: number, maxLines = 40): string[] {
  const perLine = Math.max(1, Math.floor(width / (fontSize * 0.56)))
  const lines: string[] = []
  for (const paragraph of text.split('\n')) {
    let line = ''
    for (const word of paragraph.split(/\s+/)) {
      if (!word) continue
      let w = word
      while (w.length > perLine) {
        if (line) lines.push(line)
        lines.push(w.slice(0, perLine))
        line = ''
        w = w.slice(perLine)
      }
      if (!line) line = w
      else if (line.length + 1 + w.length <= perLine) line += ' ' + w
      else {
        lines.push(line)
        line = w
      }
    }
    lines.push(line)
    if (lines.length >= maxLines) break
  }
  return lines.slice(0, maxLines)
}
