// The tool palette and the actions on the selection. Only tools the role may
// use are rendered at all; arrow keys move between buttons (one tab stop).
import { useRef } from 'preact/hooks'
import type * as Y from 'yjs'
import type { Abilities } from './abilities.js'
import { deleteSelection, recolor, reorder, zoomToFit } from './commands.js'
import type { CanvasController } from './controller.js'
import { FILLS, PALETTE, type ToolDef } from './tools.js'

export function Icon({ d, size = 20 }: { d: string; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
      <path d={d} />
    </svg>
  )
}

/** Roving focus inside a toolbar: arrows move, Home/End jump. */
function rove(e: KeyboardEvent) {
  const bar = e.currentTarget as HTMLElement
  const buttons = [...bar.querySelectorAll<HTMLElement>('button:not([disabled])')]
  const i = buttons.indexOf(document.activeElement as HTMLElement)
  if (i < 0) return
  const horizontal = bar.getAttribute('aria-orientation') !== 'vertical'
  const next = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key]
  if (next !== undefined && (horizontal ? e.key.startsWith('ArrowR') || e.key.startsWith('ArrowL') : true)) {
    e.preventDefault()
    buttons[(i + next + buttons.length) % buttons.length]?.focus()
  } else if (e.key === 'Home' || e.key === 'End') {
    e.preventDefault()
    buttons[e.key === 'Home' ? 0 : buttons.length - 1]?.focus()
  }
}

interface Props {
  controller: CanvasController
  tools: ToolDef[]
  abilities: Abilities
  undo: Y.UndoManager | null
  style: { stroke: string; fill: string }
  setStyle: (s: { stroke: string; fill: string }) => void
  onExport: (kind: 'png' | 'svg') => void
}

export function Toolbar({ controller: c, tools, abilities, undo, style, setStyle, onExport }: Props) {
  const selected = c.selectedItems()
  const writable = abilities.content || abilities.markup
  const colorRef = useRef<HTMLDivElement>(null)
  return (
    <div class="toolbar-wrap">
      <div class="toolbar" role="toolbar" aria-label="Tools" onKeyDown={rove}>
        {tools.map((t) => (
          <button
            key={t.id}
            type="button"
            class="tool"
            data-tool={t.id}
            aria-pressed={c.tool === t.id}
            aria-label={`${t.label} (${t.key.toUpperCase()})`}
            title={`${t.label} (${t.key.toUpperCase()})`}
            onClick={() => c.setTool(t.id)}
          >
            <Icon d={t.icon} />
          </button>
        ))}
        {writable && undo ? (
          <>
            <span class="sep" aria-hidden="true" />
            <button type="button" class="tool" aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)" disabled={undo.undoStack.length === 0} onClick={() => undo.undo()}>
              <Icon d="M9 14L4 9l5-5M4 9h10a6 6 0 010 12h-3" />
            </button>
            <button type="button" class="tool" aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)" disabled={undo.redoStack.length === 0} onClick={() => undo.redo()}>
              <Icon d="M15 14l5-5-5-5M20 9H10a6 6 0 000 12h3" />
            </button>
          </>
        ) : null}
        <span class="sep" aria-hidden="true" />
        <button type="button" class="tool" aria-label="Zoom out (-)" title="Zoom out (-)" onClick={() => c.zoomBy(1 / 1.2)}>
          <Icon d="M5 12h14" />
        </button>
        <button type="button" class="tool zoom-level" aria-label="Reset zoom to 100% (0)" title="Reset zoom (0)" onClick={() => c.setCamera({ ...c.camera, zoom: 1 })}>
          {Math.round(c.camera.zoom * 100)}%
        </button>
        <button type="button" class="tool" aria-label="Zoom in (+)" title="Zoom in (+)" onClick={() => c.zoomBy(1.2)}>
          <Icon d="M5 12h14M12 5v14" />
        </button>
        <button type="button" class="tool" aria-label="Zoom to fit (Shift+1)" title="Zoom to fit (Shift+1)" onClick={() => zoomToFit(c)}>
          <Icon d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5" />
        </button>
        {abilities.export ? (
          <>
            <span class="sep" aria-hidden="true" />
            <button type="button" class="tool tool-text" aria-label="Export PNG" onClick={() => onExport('png')}>
              PNG
            </button>
            <button type="button" class="tool tool-text" aria-label="Export SVG" onClick={() => onExport('svg')}>
              SVG
            </button>
          </>
        ) : null}
      </div>
      {writable && (selected.length > 0 || c.tool !== 'select') && c.tool !== 'hand' && c.tool !== 'comment' ? (
        <div class="toolbar toolbar-style" role="toolbar" aria-label="Colours and arrangement" ref={colorRef} onKeyDown={rove}>
          {PALETTE.map((color) => (
            <button
              key={color}
              type="button"
              class="swatch"
              style={{ background: color }}
              aria-label={`Stroke colour ${color}`}
              aria-pressed={style.stroke === color}
              onClick={() => {
                setStyle({ ...style, stroke: color })
                recolor(c, { stroke: color })
              }}
            />
          ))}
          <span class="sep" aria-hidden="true" />
          {FILLS.map((fill) => (
            <button
              key={fill}
              type="button"
              class={`swatch swatch-fill${fill === 'none' ? ' swatch-none' : ''}`}
              style={{ background: fill === 'none' ? undefined : fill }}
              aria-label={fill === 'none' ? 'No fill' : `Fill colour ${fill}`}
              aria-pressed={style.fill === fill}
              onClick={() => {
                setStyle({ ...style, fill })
                recolor(c, { fill })
              }}
            />
          ))}
          {selected.length > 0 ? (
            <>
              <span class="sep" aria-hidden="true" />
              <button type="button" class="tool" aria-label="Bring to front (])" title="Bring to front (])" onClick={() => reorder(c, 'front')}>
                <Icon d="M8 8h12v12H8zM4 4h12v2M4 4v12h2" />
              </button>
              <button type="button" class="tool" aria-label="Send to back ([)" title="Send to back ([)" onClick={() => reorder(c, 'back')}>
                <Icon d="M4 4h12v12H4zM8 20h12V8" />
              </button>
              <button type="button" class="tool" aria-label="Delete (Del)" title="Delete (Del)" onClick={() => deleteSelection(c)}>
                <Icon d="M5 7h14M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3" />
              </button>
            </>
          ) : null}
        </div>
      ) : null}
    </div>
  )
}
