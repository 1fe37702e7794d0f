// Actions shared by keyboard shortcuts and toolbar buttons.
import type * as Y from 'yjs'
import type { CanvasController } from './controller.js'
import { deleteItems, type Item, updateItems } from './doc-model.js'
import { fitRect } from './camera.js'
import { itemRect, unionRect } from './geometry.js'
import type { ToolDef } from './tools.js'

const refs = (items: Item[]) => items.map((i) => ({ layer: i.layer, id: i.id }))

export function deleteSelection(c: CanvasController): void {
  const items = c.selectedItems()
  if (items.length === 0) return
  // Its own undo step, not merged with the typing or dragging just before.
  c.ctx.onGestureEnd()
  deleteItems(c.ctx.doc(), refs(items))
  c.select([])
  c.ctx.onGestureEnd()
}

export function reorder(c: CanvasController, where: 'front' | 'back'): void {
  const items = c.selectedItems()
  if (items.length === 0) return
  c.ctx.onGestureEnd()
  const model = c.ctx.model()
  // Keep the selection's own order, stacked above (or below) everything else in its layer.
  const sorted = [...items].sort((a, b) => a.z - b.z)
  updateItems(
    c.ctx.doc(),
    sorted.map((it, i) => {
      const range = model.zRange(it.layer)
      return { layer: it.layer, id: it.id, patch: { z: where === 'front' ? range.max + 1 + i : range.min - sorted.length + i } }
    }),
  )
  c.ctx.onGestureEnd()
}

export function recolor(c: CanvasController, patch: { stroke?: string; fill?: string }): void {
  const items = c.selectedItems().filter((i) => i.type !== 'highlight')
  if (items.length === 0) return
  c.ctx.onGestureEnd()
  updateItems(
    c.ctx.doc(),
    items.map((it) => ({ layer: it.layer, id: it.id, patch: it.type === 'pen' || it.type === 'scribble' || it.type === 'arrow' || it.type === 'text' ? { stroke: patch.stroke } : patch })),
  )
  c.ctx.onGestureEnd()
}

export function nudge(c: CanvasController, dx: number, dy: number): void {
  const items = c.selectedItems()
  updateItems(c.ctx.doc(), items.map((it) => ({ layer: it.layer, id: it.id, patch: { x: it.x + dx, y: it.y + dy } })))
}

export function zoomToFit(c: CanvasController): void {
  const model = c.ctx.model()
  const r = unionRect(model.sorted().map((i) => itemRect(i, model)))
  if (!r) return c.setCamera({ x: -c.width / 2, y: -c.height / 2, zoom: 1 })
  c.setCamera(fitRect(r, c.width, c.height))
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable)
}

export interface KeyContext {
  controller: CanvasController
  undo: () => Y.UndoManager | null
  tools: ToolDef[]
  /** True while a dialog or panel has focus: shortcuts stay out of its way. */
  blocked: () => boolean
}

export function onKeyDown(e: KeyboardEvent, k: KeyContext): void {
  if (isTyping(e.target) || k.blocked()) return
  const c = k.controller
  const mod = e.ctrlKey || e.metaKey
  const key = e.key.toLowerCase()
  const done = () => e.preventDefault()
  if (mod && key === 'z') return done(), void (e.shiftKey ? k.undo()?.redo() : k.undo()?.undo())
  if (mod && key === 'y') return done(), void k.undo()?.redo()
  if (mod && key === 'a') {
    const model = c.ctx.model()
    c.select(model.sorted().filter((i) => c.editable(i)).map((i) => `${i.layer}:${i.id}`))
    return done()
  }
  if (mod) return
  // Toolbar buttons and links keep their own keys.
  const onControl = (e.target as HTMLElement | null)?.closest?.('button, a, [role="toolbar"], [role="dialog"]')
  if (key === ' ' && !onControl) {
    c.spaceDown = true
    return done()
  }
  if (onControl) return
  if (key === 'delete' || key === 'backspace') return done(), deleteSelection(c)
  if (key === 'escape') {
    if (c.selection.length > 0) c.select([])
    else c.setTool(k.tools.some((t) => t.id === 'select') ? 'select' : 'hand')
    return done()
  }
  if (key === ']') return done(), reorder(c, 'front')
  if (key === '[') return done(), reorder(c, 'back')
  if (key === '+' || key === '=') return done(), c.zoomBy(1.2)
  if (key === '-' || key === '_') return done(), c.zoomBy(1 / 1.2)
  if (key === '0') return done(), c.setCamera({ ...c.camera, zoom: 1 })
  // By code: Shift+1 types "!" on many layouts.
  if (e.code === 'Digit1' && e.shiftKey) return done(), zoomToFit(c)
  const arrows: Record<string, [number, number]> = { arrowleft: [-1, 0], arrowright: [1, 0], arrowup: [0, -1], arrowdown: [0, 1] }
  const dir = arrows[key]
  if (dir) {
    const step = e.shiftKey ? 10 : 1
    if (c.selectedItems().length > 0) nudge(c, dir[0] * step, dir[1] * step)
    else c.panBy(dir[0] * 60 * step, dir[1] * 60 * step)
    return done()
  }
  if (key === 'enter' && c.selection.length === 1) {
    const item = c.selectedItems()[0]
    if (item && ['rect', 'ellipse', 'sticky', 'text', 'note'].includes(item.type)) return done(), c.edit(c.selection[0]!)
  }
  const tool = k.tools.find((t) => t.key === key)
  if (tool && !e.altKey) return done(), c.setTool(tool.id)
}

export function onKeyUp(e: KeyboardEvent, c: CanvasController): void {
  if (e.key === ' ') c.spaceDown = false
}
