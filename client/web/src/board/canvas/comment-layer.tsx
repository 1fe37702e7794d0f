// Comment pins over the canvas, anchored in scene coordinates (a point, or
// the top-right corner of an element) so they move with pan and zoom; and,
// while the comment tool is on, a layer that turns a click into an anchor.
import { viewportCoordsToSceneCoords } from '@excalidraw/excalidraw'
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'
import type { Anchor, Thread } from '../../../../../shared/types.js'
import { useSceneRedraw } from './use-scene-redraw.js'

interface Props {
  api: ExcalidrawImperativeAPI
  threads: Thread[]
  showResolved: boolean
  commenting: boolean
  draftAnchor: Anchor | null
  onOpenThread: (id: string) => void
  onCommentAt: (anchor: Anchor) => void
}

function scenePoint(api: ExcalidrawImperativeAPI, anchor: Anchor): { x: number; y: number } | null {
  if ('x' in anchor) return anchor
  const el = api.getSceneElements().find((e) => e.id === anchor.shapeId)
  return el ? { x: el.x + el.width, y: el.y } : null
}

export function CommentLayer({ api, threads, showResolved, commenting, draftAnchor, onOpenThread, onCommentAt }: Props) {
  useSceneRedraw(api)
  const { scrollX, scrollY, zoom } = api.getAppState()
  const place = (anchor: Anchor) => {
    const p = scenePoint(api, anchor)
    return p ? { left: (p.x + scrollX) * zoom.value, top: (p.y + scrollY) * zoom.value } : null
  }
  const visible = threads.filter((t) => showResolved || !t.resolved)
  const draft = draftAnchor ? place(draftAnchor) : null
  return (
    <div className="comment-layer">
      {commenting ? (
        <div
          className="comment-catcher"
          data-testid="comment-catcher"
          aria-hidden="true"
          onPointerDown={(e) => {
            e.preventDefault()
            onCommentAt(viewportCoordsToSceneCoords({ clientX: e.clientX, clientY: e.clientY }, api.getAppState()))
          }}
        />
      ) : null}
      {visible.map((t, i) => {
        const at = place(t.anchor)
        if (!at) return null
        return (
          <button
            key={t.id}
            type="button"
            className={`pin${t.resolved ? ' pin-resolved' : ''}`}
            style={{ transform: `translate(${at.left}px, ${at.top}px)` }}
            aria-label={`Comment by ${t.author.name}: ${t.body.slice(0, 60)}`}
            onClick={() => onOpenThread(t.id)}
          >
            {i + 1}
          </button>
        )
      })}
      {draft ? <span className="pin pin-draft" style={{ transform: `translate(${draft.left}px, ${draft.top}px)` }} aria-hidden="true" /> : null}
    </div>
  )
}
