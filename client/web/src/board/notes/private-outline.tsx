// A dashed outline, in scene coordinates, around each of our private notes:
// they are on our canvas only until a facilitator reveals them.
import { getCommonBounds } from '@excalidraw/excalidraw'
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'
import { useSceneRedraw } from '../canvas/use-scene-redraw.js'
import type { PrivateLayer } from './private-layer.js'

export function PrivateOutline({ api, layer }: { api: ExcalidrawImperativeAPI; layer: PrivateLayer }) {
  useSceneRedraw(api)
  const ids = new Set(layer.ids())
  if (ids.size === 0) return null
  const { scrollX, scrollY, zoom } = api.getAppState()
  const z = zoom.value
  return (
    <div className="comment-layer" aria-hidden="true">
      {api
        .getSceneElements()
        .filter((e) => ids.has(e.id) && !('containerId' in e && e.containerId))
        .map((e) => {
          const [x1, y1, x2, y2] = getCommonBounds([e])
          return (
            <span
              key={e.id}
              className="private-outline"
              data-testid="private-outline"
              style={{ transform: `translate(${(x1 + scrollX) * z - 4}px, ${(y1 + scrollY) * z - 4}px)`, width: (x2 - x1) * z + 8, height: (y2 - y1) * z + 8 }}
            >
              <span className="private-tag">Private</span>
            </span>
          )
        })}
    </div>
  )
}
