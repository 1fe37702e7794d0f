// The canvas's state and gestures, outside Preact: camera, tool, selection,
// drafts and drags. Pointer moves only touch this object; the view listens
// and repaints what changed (the camera is applied to the DOM directly).
import type * as Y from 'yjs'
import type { Abilities } from './abilities.js'
import { canEditItem } from './abilities.js'
import { type Camera, clampZoom, toWorld, zoomAt } from './camera.js'
import { type Author, createItem, type DocModel, type Item, type ItemType, type Layer, updateItems } from './doc-model.js'
import { intersects, itemRect, type Rect } from './geometry.js'
import type { ToolId } from './tools.js'

export type Draft =
  | { kind: 'box'; type: ItemType; rect: Rect }
  | { kind: 'arrow'; x1: number; y1: number; x2: number; y2: number }
  | { kind: 'stroke'; type: 'pen' | 'scribble' | 'highlight'; points: number[] }
  | { kind: 'marquee'; rect: Rect }

type Gesture =
  | { kind: 'pan'; sx: number; sy: number; cam: Camera }
  | { kind: 'move'; wx: number; wy: number; start: Map<string, { x: number; y: number }>; moved: boolean }
  | { kind: 'resize'; key: string; handle: string; item: Item }
  | { kind: 'draw'; wx: number; wy: number; from: string | null }
  | { kind: 'marquee'; wx: number; wy: number; base: string[] }

export interface ControllerContext {
  doc: () => Y.Doc
  model: () => DocModel
  abilities: () => Abilities
  me: () => Author | null
  style: () => { stroke: string; fill: string }
  onComment: (anchor: { x: number; y: number } | { shapeId: string }) => void
  /** Called after each finished gesture (undo grouping). */
  onGestureEnd: () => void
}

const MIN_SIZE = 8
const DEFAULT_SIZE: Partial<Record<ItemType, [number, number]>> = {
  rect: [160, 100],
  ellipse: [140, 100],
  sticky: [180, 180],
  note: [160, 110],
  text: [220, 40],
}

export class CanvasController {
  camera: Camera = { x: -80, y: -80, zoom: 1 }
  tool: ToolId = 'select'
  selection: string[] = []
  draft: Draft | null = null
  editing: string | null = null
  spaceDown = false
  width = 800
  height = 600
  private gesture: Gesture | null = null
  private readonly pointers = new Map<number, { x: number; y: number }>()
  private pinch: { dist: number; cx: number; cy: number; cam: Camera } | null = null
  private pendingMove: { layer: Layer; id: string; patch: Partial<Item> }[] | null = null
  private frame = 0
  private readonly listeners = new Set<(what: 'camera' | 'state') => void>()

  constructor(readonly ctx: ControllerContext) {}

  subscribe(listener: (what: 'camera' | 'state') => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(what: 'camera' | 'state'): void {
    for (const l of this.listeners) l(what)
  }

  setCamera(cam: Camera): void {
    this.camera = { x: cam.x, y: cam.y, zoom: clampZoom(cam.zoom) }
    this.emit('camera')
  }

  setTool(tool: ToolId): void {
    this.tool = tool
    this.editing = null
    if (tool !== 'select') this.selection = []
    this.emit('state')
  }

  select(keys: string[]): void {
    this.selection = keys
    this.emit('state')
  }

  edit(key: string | null): void {
    // A finished text edit is one undo step.
    if (this.editing !== key) this.ctx.onGestureEnd()
    this.editing = key
    this.emit('state')
  }

  /** Items the person may change; others cannot be selected or dragged. */
  editable(item: Item | undefined): item is Item {
    return !!item && canEditItem(this.ctx.abilities(), item, this.ctx.me())
  }

  selectedItems(): Item[] {
    const model = this.ctx.model()
    return this.selection.map((k) => model.get(k)).filter((i): i is Item => this.editable(i))
  }

  zoomBy(factor: number, sx = this.width / 2, sy = this.height / 2): void {
    this.setCamera(zoomAt(this.camera, sx, sy, this.camera.zoom * factor))
  }

  panBy(dx: number, dy: number): void {
    this.setCamera({ ...this.camera, x: this.camera.x + dx / this.camera.zoom, y: this.camera.y + dy / this.camera.zoom })
  }

  wheel(e: WheelEvent, sx: number, sy: number): void {
    // Trackpad pinches arrive as wheel events with ctrlKey set.
    if (e.ctrlKey || e.metaKey) this.zoomBy(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0025)), sx, sy)
    else {
      const scale = e.deltaMode === 1 ? 16 : 1
      this.panBy(e.deltaX * scale + (e.shiftKey ? e.deltaY * scale : 0), e.shiftKey ? 0 : e.deltaY * scale)
    }
  }

  down(e: PointerEvent, sx: number, sy: number, target: Element | null): void {
    this.pointers.set(e.pointerId, { x: sx, y: sy })
    if (this.pointers.size === 2) {
      // A second finger turns whatever the first one started into a pinch.
      this.cancelGesture()
      const [a, b] = [...this.pointers.values()] as [{ x: number; y: number }, { x: number; y: number }]
      this.pinch = { dist: Math.hypot(a.x - b.x, a.y - b.y), cx: (a.x + b.x) / 2, cy: (a.y + b.y) / 2, cam: this.camera }
      return
    }
    if (this.pointers.size > 2) return
    const w = toWorld(this.camera, sx, sy)
    const hitKey = target?.closest('[data-key]')?.getAttribute('data-key') ?? null
    const handle = target?.closest('[data-handle]')?.getAttribute('data-handle') ?? null
    if (this.editing) this.edit(null)
    if (e.button === 1 || this.spaceDown || this.tool === 'hand') {
      this.gesture = { kind: 'pan', sx, sy, cam: this.camera }
      return
    }
    if (e.button !== 0) return
    const model = this.ctx.model()
    switch (this.tool) {
      case 'select': {
        if (handle && this.selection.length === 1) {
          const item = model.get(this.selection[0]!)
          if (this.editable(item)) this.gesture = { kind: 'resize', key: this.selection[0]!, handle, item }
          return
        }
        const item = hitKey ? model.get(hitKey) : undefined
        if (this.editable(item)) {
          let sel = this.selection
          if (e.shiftKey) sel = sel.includes(hitKey!) ? sel.filter((k) => k !== hitKey) : [...sel, hitKey!]
          else if (!sel.includes(hitKey!)) sel = [hitKey!]
          this.select(sel)
          const start = new Map<string, { x: number; y: number }>()
          for (const it of this.selectedItems()) start.set(`${it.layer}:${it.id}`, { x: it.x, y: it.y })
          this.gesture = { kind: 'move', wx: w.x, wy: w.y, start, moved: false }
          return
        }
        // Other people's objects (for reviewers: everything not theirs) are not draggable.
        this.gesture = { kind: 'marquee', wx: w.x, wy: w.y, base: e.shiftKey ? this.selection : [] }
        if (!e.shiftKey) this.select([])
        return
      }
      case 'comment': {
        const item = hitKey ? model.get(hitKey) : undefined
        this.ctx.onComment(item && item.layer === 'shapes' ? { shapeId: item.id } : { x: Math.round(w.x), y: Math.round(w.y) })
        return
      }
      case 'pen':
      case 'scribble':
      case 'highlight':
        this.draft = { kind: 'stroke', type: this.tool, points: [w.x, w.y, e.pressure || 0.5] }
        this.gesture = { kind: 'draw', wx: w.x, wy: w.y, from: null }
        this.emit('state')
        return
      case 'arrow': {
        const from = hitKey?.startsWith('shapes:') ? hitKey.slice(7) : null
        this.draft = { kind: 'arrow', x1: w.x, y1: w.y, x2: w.x, y2: w.y }
        this.gesture = { kind: 'draw', wx: w.x, wy: w.y, from }
        this.emit('state')
        return
      }
      default:
        this.draft = { kind: 'box', type: this.tool, rect: { x: w.x, y: w.y, w: 0, h: 0 } }
        this.gesture = { kind: 'draw', wx: w.x, wy: w.y, from: null }
        this.emit('state')
    }
  }

  move(e: PointerEvent, sx: number, sy: number): void {
    if (this.pointers.has(e.pointerId)) this.pointers.set(e.pointerId, { x: sx, y: sy })
    if (this.pinch && this.pointers.size === 2) {
      const [a, b] = [...this.pointers.values()] as [{ x: number; y: number }, { x: number; y: number }]
      const p = this.pinch
      const cam = zoomAt(p.cam, p.cx, p.cy, (p.cam.zoom * Math.hypot(a.x - b.x, a.y - b.y)) / Math.max(p.dist, 1))
      const mx = (a.x + b.x) / 2 - p.cx
      const my = (a.y + b.y) / 2 - p.cy
      this.setCamera({ ...cam, x: cam.x - mx / cam.zoom, y: cam.y - my / cam.zoom })
      return
    }
    const g = this.gesture
    if (!g) return
    const w = toWorld(this.camera, sx, sy)
    switch (g.kind) {
      case 'pan':
        this.setCamera({ ...g.cam, x: g.cam.x - (sx - g.sx) / g.cam.zoom, y: g.cam.y - (sy - g.sy) / g.cam.zoom })
        return
      case 'move': {
        const dx = w.x - g.wx
        const dy = w.y - g.wy
        if (!g.moved && Math.hypot(dx, dy) * this.camera.zoom < 3) return
        g.moved = true
        const changes = [...g.start].map(([key, p]) => {
          const i = key.indexOf(':')
          return { layer: key.slice(0, i) as Layer, id: key.slice(i + 1), patch: { x: Math.round(p.x + dx), y: Math.round(p.y + dy) } }
        })
        this.queueWrite(changes)
        return
      }
      case 'resize':
        this.queueWrite([{ layer: g.item.layer, id: g.item.id, patch: resizePatch(g.item, g.handle, w.x, w.y) }])
        return
      case 'marquee': {
        const rect = normRect(g.wx, g.wy, w.x, w.y)
        this.draft = { kind: 'marquee', rect }
        const model = this.ctx.model()
        const hits = model.sorted().filter((it) => this.editable(it) && intersects(rect, itemRect(it, model)))
        this.selection = [...new Set([...g.base, ...hits.map((it) => `${it.layer}:${it.id}`)])]
        this.emit('state')
        return
      }
      case 'draw': {
        const d = this.draft
        if (!d) return
        if (d.kind === 'stroke') d.points.push(w.x, w.y, e.pressure || 0.5)
        else if (d.kind === 'arrow') {
          d.x2 = w.x
          d.y2 = w.y
        } else if (d.kind === 'box') d.rect = normRect(g.wx, g.wy, w.x, w.y)
        this.emit('state')
      }
    }
  }

  up(e: PointerEvent, target: Element | null): void {
    this.pointers.delete(e.pointerId)
    if (this.pinch) {
      if (this.pointers.size < 2) this.pinch = null
      return
    }
    const g = this.gesture
    this.gesture = null
    if (!g) return
    this.flushWrite()
    if (g.kind === 'draw') this.finishDraft(g.from, target)
    if (g.kind === 'marquee') this.draft = null
    this.ctx.onGestureEnd()
    this.emit('state')
  }

  cancelGesture(): void {
    this.gesture = null
    this.draft = null
    this.flushWrite()
    this.emit('state')
  }

  private finishDraft(from: string | null, target: Element | null): void {
    const d = this.draft
    this.draft = null
    if (!d) return
    const doc = this.ctx.doc()
    const style = this.ctx.style()
    const me = this.ctx.me()
    const model = this.ctx.model()
    if (d.kind === 'stroke') {
      const layer: Layer = d.type === 'pen' ? 'shapes' : 'markup'
      const xs = d.points.filter((_, i) => i % 3 === 0)
      const ys = d.points.filter((_, i) => i % 3 === 1)
      const x = Math.min(...xs)
      const y = Math.min(...ys)
      const points = d.points.map((v, i) => (i % 3 === 0 ? Math.round((v - x) * 10) / 10 : i % 3 === 1 ? Math.round((v - y) * 10) / 10 : Math.round(v * 100) / 100))
      createItem(doc, layer, {
        type: d.type,
        x: Math.round(x),
        y: Math.round(y),
        w: Math.round(Math.max(...xs) - x) || 1,
        h: Math.round(Math.max(...ys) - y) || 1,
        points,
        stroke: d.type === 'highlight' ? '#ffd400' : style.stroke,
        z: model.zRange(layer).max + 1,
        author: me ?? undefined,
      })
      return
    }
    if (d.kind === 'arrow') {
      const hit = target?.closest('[data-key]')?.getAttribute('data-key')
      const to = hit?.startsWith('shapes:') && hit.slice(7) !== from ? hit.slice(7) : null
      if (Math.hypot(d.x2 - d.x1, d.y2 - d.y1) < MIN_SIZE && !to) return
      const id = createItem(doc, 'shapes', {
        type: 'arrow',
        x: Math.round(d.x1),
        y: Math.round(d.y1),
        w: Math.round(d.x2 - d.x1),
        h: Math.round(d.y2 - d.y1),
        stroke: style.stroke,
        from: from ?? undefined,
        to: to ?? undefined,
        z: model.zRange('shapes').max + 1,
        author: me ?? undefined,
      })
      this.selection = [`shapes:${id}`]
      return
    }
    if (d.kind === 'box') {
      const layer: Layer = d.type === 'note' ? 'markup' : 'shapes'
      let { x, y, w, h } = d.rect
      if (w < MIN_SIZE && h < MIN_SIZE) {
        const [dw, dh] = DEFAULT_SIZE[d.type] ?? [120, 80]
        ;[x, y, w, h] = [x - dw / 2, y - dh / 2, dw, dh]
      }
      const fill = d.type === 'sticky' ? (style.fill === 'none' ? '#fff3a0' : style.fill) : d.type === 'note' ? '#ffd6e7' : style.fill
      const id = createItem(doc, layer, {
        type: d.type,
        x: Math.round(x),
        y: Math.round(y),
        w: Math.round(w),
        h: Math.round(h),
        fill: d.type === 'text' ? 'none' : fill,
        stroke: style.stroke,
        text: '',
        z: model.zRange(layer).max + 1,
        author: me ?? undefined,
      })
      const key = `${layer}:${id}`
      this.selection = [key]
      this.tool = 'select'
      if (d.type === 'sticky' || d.type === 'text' || d.type === 'note') this.editing = key
    }
  }

  // Drags write at most once per frame: smooth for others, kind to the rate limit.
  private queueWrite(changes: { layer: Layer; id: string; patch: Partial<Item> }[]): void {
    this.pendingMove = changes
    if (this.frame) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      this.flushWrite()
    })
  }

  private flushWrite(): void {
    if (this.frame) cancelAnimationFrame(this.frame)
    this.frame = 0
    const changes = this.pendingMove
    this.pendingMove = null
    if (changes) updateItems(this.ctx.doc(), changes)
  }
}

function normRect(x1: number, y1: number, x2: number, y2: number): Rect {
  return { x: Math.min(x1, x2), y: Math.min(y1, y2), w: Math.abs(x2 - x1), h: Math.abs(y2 - y1) }
}

function resizePatch(item: Item, handle: string, wx: number, wy: number): Partial<Item> {
  if (item.type === 'arrow') {
    // Dragging an arrow end detaches it from the shape it followed.
    if (handle === 'start') return { x: Math.round(wx), y: Math.round(wy), w: Math.round(item.x + item.w - wx), h: Math.round(item.y + item.h - wy), from: null }
    return { w: Math.round(wx - item.x), h: Math.round(wy - item.y), to: null }
  }
  let x1 = Math.min(item.x, item.x + item.w)
  let y1 = Math.min(item.y, item.y + item.h)
  let x2 = x1 + Math.abs(item.w)
  let y2 = y1 + Math.abs(item.h)
  if (handle.includes('w')) x1 = Math.min(wx, x2 - MIN_SIZE)
  if (handle.includes('e')) x2 = Math.max(wx, x1 + MIN_SIZE)
  if (handle.includes('n')) y1 = Math.min(wy, y2 - MIN_SIZE)
  if (handle.includes('s')) y2 = Math.max(wy, y1 + MIN_SIZE)
  return { x: Math.round(x1), y: Math.round(y1), w: Math.round(x2 - x1), h: Math.round(y2 - y1) }
}
