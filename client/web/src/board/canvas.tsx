// The infinite canvas: one SVG whose world group carries the camera. Pan and
// zoom change one attribute (the item layer does not re-render), which is
// what keeps a 5,000-shape board smooth.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import type { Thread } from '../../../../shared/types.js'
import type { PresenceState } from '../../../sdk/index.js'
import { transformOf } from './camera.js'
import type { CanvasController, Draft } from './controller.js'
import type { DocModel } from './doc-model.js'
import { arrowHead, type Rect, strokePath, strokeSize } from './geometry.js'
import { Overlay } from './overlay.js'
import { ShapeLayer } from './shape-layer.js'

interface Props {
  controller: CanvasController
  model: DocModel
  presence: PresenceState[]
  threads: Thread[]
  showResolved: boolean
  onOpenThread: (id: string) => void
  onPointerWorld: (p: { x: number; y: number } | null) => void
  readOnly: boolean
}

/**
 * The world area whose items are in the DOM: the viewport plus half a screen
 * on every side, so most pans only move the camera. It is recomputed when the
 * view leaves it or the zoom changes a lot.
 */
interface Region {
  rect: Rect
  zoom: number
}
const LOD_ZOOM = 0.3

function regionFor(c: CanvasController): Region {
  const w = c.width / c.camera.zoom
  const h = c.height / c.camera.zoom
  return { rect: { x: c.camera.x - w / 2, y: c.camera.y - h / 2, w: w * 2, h: h * 2 }, zoom: c.camera.zoom }
}

function covers(r: Region, c: CanvasController): boolean {
  const ratio = c.camera.zoom / r.zoom
  if (ratio > 1.6 || ratio < 0.8 || (r.zoom < LOD_ZOOM) !== (c.camera.zoom < LOD_ZOOM)) return false
  const w = c.width / c.camera.zoom
  const h = c.height / c.camera.zoom
  return c.camera.x >= r.rect.x && c.camera.y >= r.rect.y && c.camera.x + w <= r.rect.x + r.rect.w && c.camera.y + h <= r.rect.y + r.rect.h
}

/** The dot grid moves and scales with the camera (doubling its spacing when dots would crowd). */
function paintGrid(el: HTMLElement | null, c: CanvasController): void {
  if (!el) return
  let size = 24 * c.camera.zoom
  while (size < 12) size *= 2
  el.style.backgroundSize = `${size}px ${size}px`
  el.style.backgroundPosition = `${-((c.camera.x * c.camera.zoom) % size)}px ${-((c.camera.y * c.camera.zoom) % size)}px`
}

function DraftView({ draft }: { draft: Draft | null }) {
  if (!draft) return null
  switch (draft.kind) {
    case 'box': {
      const { x, y, w, h } = draft.rect
      return draft.type === 'ellipse' ? (
        <ellipse class="draft" cx={x + w / 2} cy={y + h / 2} rx={w / 2} ry={h / 2} />
      ) : (
        <rect class="draft" x={x} y={y} width={w} height={h} />
      )
    }
    case 'arrow':
      return (
        <g class="draft-arrow">
          <line x1={draft.x1} y1={draft.y1} x2={draft.x2} y2={draft.y2} />
          <path d={arrowHead(draft.x1, draft.y1, draft.x2, draft.y2)} fill="none" />
        </g>
      )
    case 'stroke':
      return (
        <path
          class="draft-stroke"
          d={strokePath(draft.points.slice(), strokeSize(draft.type), draft.type === 'highlight' ? 0 : 0.5)}
          opacity={draft.type === 'highlight' ? 0.4 : 0.8}
          fill={draft.type === 'highlight' ? '#ffd400' : '#1e1e1e'}
        />
      )
    default:
      return null
  }
}

export function Canvas({ controller, model, presence, threads, showResolved, onOpenThread, onPointerWorld, readOnly }: Props) {
  const host = useRef<HTMLDivElement>(null)
  const world = useRef<SVGGElement>(null)
  const [version, setVersion] = useState(model.version)
  const [, setTick] = useState(0)
  const [region, setRegion] = useState<Region>(() => regionFor(controller))

  useEffect(() => {
    setVersion(model.version)
    return model.subscribe(() => setVersion(model.version))
  }, [model])

  useEffect(
    () =>
      controller.subscribe((what) => {
        if (what === 'camera' && world.current) {
          world.current.setAttribute('transform', transformOf(controller.camera))
          paintGrid(host.current, controller)
          setRegion((r) => (covers(r, controller) ? r : regionFor(controller)))
        }
        setTick((t) => t + 1)
      }),
    [controller],
  )

  useLayoutEffect(() => {
    const el = host.current
    if (!el) return
    const measure = () => {
      const r = el.getBoundingClientRect()
      controller.width = r.width
      controller.height = r.height
      setRegion(regionFor(controller))
    }
    measure()
    paintGrid(el, controller)
    const ro = new ResizeObserver(measure)
    ro.observe(el)
    // Non-passive, so the browser does not scroll or zoom the page itself.
    const onWheel = (e: WheelEvent) => {
      e.preventDefault()
      const r = el.getBoundingClientRect()
      controller.wheel(e, e.clientX - r.left, e.clientY - r.top)
    }
    el.addEventListener('wheel', onWheel, { passive: false })
    return () => {
      ro.disconnect()
      el.removeEventListener('wheel', onWheel)
    }
  }, [controller])

  const local = (e: PointerEvent) => {
    const r = host.current!.getBoundingClientRect()
    return [e.clientX - r.left, e.clientY - r.top] as const
  }

  const onPointerDown = (e: PointerEvent) => {
    const target = e.target as Element
    // Pins, the text editor and other controls handle their own pointers.
    if (target.closest('[data-ui]')) return
    host.current!.focus({ preventScroll: true })
    host.current!.setPointerCapture(e.pointerId)
    const [x, y] = local(e)
    controller.down(e, x, y, target)
  }
  const onPointerMove = (e: PointerEvent) => {
    const [x, y] = local(e)
    controller.move(e, x, y)
    onPointerWorld({ x: controller.camera.x + x / controller.camera.zoom, y: controller.camera.y + y / controller.camera.zoom })
  }
  const onPointerUp = (e: PointerEvent) => {
    // With pointer capture the event target is the host; ask what is really under the pointer.
    const under = document.elementFromPoint(e.clientX, e.clientY)
    controller.up(e, under)
  }

  const cursor = controller.spaceDown || controller.tool === 'hand' ? 'grab' : controller.tool === 'select' ? 'default' : 'crosshair'
  return (
    <div
      ref={host}
      class="canvas"
      style={{ cursor }}
      tabIndex={0}
      role="application"
      aria-label={readOnly ? 'Board canvas (view only). Arrow keys pan, plus and minus zoom.' : 'Board canvas. Arrow keys pan, plus and minus zoom.'}
      aria-roledescription="whiteboard"
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={() => controller.cancelGesture()}
      onPointerLeave={() => onPointerWorld(null)}
      onDblClick={(e) => {
        const key = (e.target as Element).closest('[data-key]')?.getAttribute('data-key')
        const item = key ? model.get(key) : undefined
        if (item && controller.editable(item) && ['rect', 'ellipse', 'sticky', 'text', 'note'].includes(item.type)) {
          controller.select([key!])
          controller.edit(key!)
        }
      }}
    >
      <svg class="canvas-svg" data-testid="canvas-svg" width="100%" height="100%">
        <g ref={world} transform={transformOf(controller.camera)}>
          <ShapeLayer model={model} version={version} hidden={controller.editing} region={region.rect} lod={region.zoom < LOD_ZOOM} />
          <DraftView draft={controller.draft} />
        </g>
      </svg>
      <Overlay
        controller={controller}
        model={model}
        version={version}
        presence={presence}
        threads={threads}
        showResolved={showResolved}
        onOpenThread={onOpenThread}
      />
    </div>
  )
}
