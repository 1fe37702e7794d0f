// Which element is under a scene point: the topmost whose bounding box holds
// it (good enough for hints and tooltips; Excalidraw's own hit test is private).
import { getCommonBounds } from '@excalidraw/excalidraw'
import type { ExcalidrawElement } from '@excalidraw/excalidraw/element/types'
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'

export function elementAt(api: ExcalidrawImperativeAPI, x: number, y: number): ExcalidrawElement | null {
  const elements = api.getSceneElements()
  for (let i = elements.length - 1; i >= 0; i--) {
    const [x1, y1, x2, y2] = getCommonBounds([elements[i]!])
    if (x >= x1 && x <= x2 && y >= y1 && y <= y2) return elements[i]!
  }
  return null
}
