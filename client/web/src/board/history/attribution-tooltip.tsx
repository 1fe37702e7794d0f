// Who made what, on the live canvas: hovering an element shows who created
// it and who changed it last (the history's attribution; for something newer
// than that, the author the element carries). Shown while the history panel
// is open, only over the drawing surface, never while a button is down.
import { viewportCoordsToSceneCoords } from '@excalidraw/excalidraw'
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'
import { useEffect, useRef, useState } from 'react'
import * as Y from 'yjs'
import type { Attribution, ElementAttribution } from '../../../../../shared/history.js'
import { readAuthor } from '../canvas/element-codec.js'
import { elementAt } from '../canvas/hit-test.js'
import { timeAgo } from './labels.js'
import { PersonName } from './person-name.js'

interface Props {
  api: ExcalidrawImperativeAPI
  doc: Y.Doc
  attribution: Attribution
}

interface Hover {
  id: string
  left: number
  top: number
}

/** What the history says about an element, or what the element itself says of its author. */
function attributionOf(attribution: Attribution, doc: Y.Doc, id: string): ElementAttribution | null {
  const known = attribution.elements[id]
  if (known) return known
  for (const root of ['shapes', 'markup']) {
    const entry = doc.getMap<unknown>(root).get(id)
    if (!(entry instanceof Y.Map)) continue
    const author = readAuthor(entry.get('author'))
    return author ? { createdBy: { ...author, guest: author.kind === 'guest' }, createdAt: null, changedBy: null, changedAt: null } : null
  }
  return null
}

export function AttributionTooltip({ api, doc, attribution }: Props) {
  const ref = useRef<HTMLDivElement>(null)
  const [hover, setHover] = useState<Hover | null>(null)

  useEffect(() => {
    const host = ref.current?.parentElement
    if (!host) return
    let frame = 0
    let last: PointerEvent | null = null
    const look = () => {
      frame = 0
      const e = last
      if (!e) return
      // Over Excalidraw's toolbars and menus, or mid-gesture: no tooltip.
      if (e.buttons !== 0 || !(e.target instanceof HTMLCanvasElement)) return setHover(null)
      const state = api.getAppState()
      const at = viewportCoordsToSceneCoords({ clientX: e.clientX, clientY: e.clientY }, state)
      const el = elementAt(api, at.x, at.y)
      if (!el) return setHover(null)
      const box = host.getBoundingClientRect()
      const container = 'containerId' in el ? el.containerId : null
      const id = container && !attribution.elements[el.id] ? container : el.id
      setHover((cur) => {
        const left = e.clientX - box.left + 14
        const top = e.clientY - box.top + 18
        return cur && cur.id === id && Math.abs(cur.left - left) < 2 && Math.abs(cur.top - top) < 2 ? cur : { id, left, top }
      })
    }
    const onMove = (e: PointerEvent) => {
      last = e
      if (!frame) frame = requestAnimationFrame(look)
    }
    const onLeave = () => {
      last = null
      setHover(null)
    }
    host.addEventListener('pointermove', onMove, true)
    host.addEventListener('pointerleave', onLeave)
    host.addEventListener('pointerdown', onLeave, true)
    return () => {
      cancelAnimationFrame(frame)
      host.removeEventListener('pointermove', onMove, true)
      host.removeEventListener('pointerleave', onLeave)
      host.removeEventListener('pointerdown', onLeave, true)
    }
  }, [api, attribution])

  const info = hover ? attributionOf(attribution, doc, hover.id) : null
  const box = ref.current?.parentElement?.getBoundingClientRect()
  // Kept inside the canvas: flipped to the left of the pointer near the right edge.
  const flip = !!hover && !!box && hover.left + 260 > box.width
  return (
    <div ref={ref} className="attribution-layer">
      {hover && info ? (
        <div
          className="attribution-tip"
          role="tooltip"
          data-testid="attribution-tip"
          style={{ transform: `translate(${flip ? hover.left - 28 : hover.left}px, ${hover.top}px)${flip ? ' translateX(-100%)' : ''}` }}
        >
          {info.createdBy ? (
            <div>
              Created by <PersonName person={info.createdBy} />
              {info.createdAt ? <span className="muted-inverse"> · {timeAgo(info.createdAt)}</span> : null}
            </div>
          ) : (
            <div>Creator unknown</div>
          )}
          {info.changedBy ? (
            <div>
              Last changed by <PersonName person={info.changedBy} />
              {info.changedAt ? <span className="muted-inverse"> · {timeAgo(info.changedAt)}</span> : null}
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  )
}
