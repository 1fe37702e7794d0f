// Screen-space layer above the canvas: selection and handles, the marquee,
// other people's cursors, comment pins and the text editor. It re-renders on
// every camera move, so it holds only a handful of elements.
import { useLayoutEffect, useRef } from 'preact/hooks'
import type { Thread } from '../../../../shared/types.js'
import type { PresenceState } from '../../../sdk/index.js'
import { toScreen } from './camera.js'
import type { CanvasController } from './controller.js'
import { bounds, type DocModel, type Item, updateItems } from './doc-model.js'
import { itemRect, type Rect } from './geometry.js'

interface Props {
  controller: CanvasController
  model: DocModel
  version: number
  presence: PresenceState[]
  threads: Thread[]
  showResolved: boolean
  onOpenThread: (id: string) => void
}

const RESIZABLE = new Set(['rect', 'ellipse', 'sticky', 'text', 'note'])

function screenRect(c: CanvasController, r: Rect): Rect {
  const p = toScreen(c.camera, r.x, r.y)
  return { x: p.x, y: p.y, w: r.w * c.camera.zoom, h: r.h * c.camera.zoom }
}

function TextEditor({ controller, item }: { controller: CanvasController; item: Item }) {
  const ref = useRef<HTMLTextAreaElement>(null)
  // Before paint, so the first keystrokes after the click land in the text.
  useLayoutEffect(() => {
    ref.current?.focus()
    ref.current?.select()
  }, [item.id])
  const r = screenRect(controller, bounds(item))
  const size = (item.type === 'text' ? 22 : item.type === 'note' ? 14 : item.type === 'sticky' ? 16 : 18) * controller.camera.zoom
  return (
    <textarea
      data-ui
      ref={ref}
      class={`text-editor text-editor-${item.type}`}
      aria-label="Text"
      style={{ left: `${r.x}px`, top: `${r.y}px`, width: `${Math.max(r.w, 60)}px`, height: `${Math.max(r.h, 30)}px`, fontSize: `${size}px` }}
      value={item.text}
      onInput={(e) => updateItems(controller.ctx.doc(), [{ layer: item.layer, id: item.id, patch: { text: (e.target as HTMLTextAreaElement).value.slice(0, 10_000) } }])}
      onKeyDown={(e) => {
        e.stopPropagation()
        if (e.key === 'Escape' || (e.key === 'Enter' && (e.ctrlKey || e.metaKey))) controller.edit(null)
      }}
      onBlur={() => controller.edit(null)}
    />
  )
}

export function Overlay({ controller: c, model, presence, threads, showResolved, onOpenThread }: Props) {
  const selected = c.selectedItems()
  const editing = c.editing ? model.get(c.editing) : undefined
  const handles: { id: string; x: number; y: number }[] = []
  if (selected.length === 1 && !c.editing) {
    const item = selected[0]!
    if (item.type === 'arrow') {
      const a = toScreen(c.camera, item.x, item.y)
      const b = toScreen(c.camera, item.x + item.w, item.y + item.h)
      if (!item.from) handles.push({ id: 'start', ...a })
      if (!item.to) handles.push({ id: 'end', ...b })
    } else if (RESIZABLE.has(item.type)) {
      const r = screenRect(c, itemRect(item, model))
      handles.push({ id: 'nw', x: r.x, y: r.y }, { id: 'ne', x: r.x + r.w, y: r.y }, { id: 'sw', x: r.x, y: r.y + r.h }, { id: 'se', x: r.x + r.w, y: r.y + r.h })
    }
  }
  const marquee = c.draft?.kind === 'marquee' ? screenRect(c, c.draft.rect) : null
  return (
    <div class="overlay">
      <svg class="overlay-svg" width="100%" height="100%">
        {selected.map((item) => {
          const r = screenRect(c, itemRect(item, model))
          return <rect key={`${item.layer}:${item.id}`} class="selection-box" x={r.x - 3} y={r.y - 3} width={r.w + 6} height={r.h + 6} />
        })}
        {handles.map((h) => (
          <rect key={h.id} data-handle={h.id} class={`handle handle-${h.id}`} x={h.x - 6} y={h.y - 6} width={12} height={12} rx={2} />
        ))}
        {marquee ? <rect class="marquee" x={marquee.x} y={marquee.y} width={marquee.w} height={marquee.h} /> : null}
      </svg>
      {presence.map((p) => {
        const cur = p.cursor as { x?: unknown; y?: unknown } | undefined
        if (!cur || typeof cur.x !== 'number' || typeof cur.y !== 'number') return null
        const s = toScreen(c.camera, cur.x, cur.y)
        if (s.x < -50 || s.y < -50 || s.x > c.width + 50 || s.y > c.height + 50) return null
        return (
          <div key={p.clientId} class="cursor" style={{ transform: `translate(${s.x}px, ${s.y}px)`, color: p.user.color }} data-testid="remote-cursor">
            <svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true">
              <path d="M1 1l6 15 2-6 6-2z" fill="currentColor" stroke="#fff" stroke-width="1.2" />
            </svg>
            <span class="cursor-label" style={{ background: p.user.color }}>
              {p.user.name}
              {p.user.guest ? <span class="badge badge-guest">GUEST</span> : null}
            </span>
          </div>
        )
      })}
      {threads
        .filter((t) => showResolved || !t.resolved)
        .map((t) => {
          let at: { x: number; y: number } | null = null
          if ('shapeId' in t.anchor) {
            const shape = model.shape(t.anchor.shapeId)
            if (shape) {
              const r = itemRect(shape, model)
              at = { x: r.x + r.w, y: r.y }
            }
          } else at = { x: t.anchor.x, y: t.anchor.y }
          if (!at) return null
          const s = toScreen(c.camera, at.x, at.y)
          return (
            <button
              key={t.id}
              data-ui
              type="button"
              class={`pin${t.resolved ? ' pin-resolved' : ''}`}
              style={{ transform: `translate(${s.x}px, ${s.y - 28}px)` }}
              aria-label={`Comment by ${t.author.name}: ${t.body.slice(0, 60)}`}
              onClick={() => onOpenThread(t.id)}
            >
              {t.replies.length + 1}
            </button>
          )
        })}
      {editing ? <TextEditor controller={c} item={editing} /> : null}
    </div>
  )
}
