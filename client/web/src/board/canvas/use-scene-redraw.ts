// Overlays drawn in scene coordinates (comment pins, change outlines) render
// again when the canvas pans, zooms or its scene changes, at most once a frame.
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'
import { useEffect, useState } from 'react'

export function useSceneRedraw(api: ExcalidrawImperativeAPI): void {
  const [, setTick] = useState(0)
  useEffect(() => {
    let frame = 0
    const redraw = () => {
      if (frame) return
      frame = requestAnimationFrame(() => {
        frame = 0
        setTick((t) => t + 1)
      })
    }
    const offScroll = api.onScrollChange(redraw)
    const offChange = api.onChange(redraw)
    return () => {
      cancelAnimationFrame(frame)
      offScroll()
      offChange()
    }
  }, [api])
}
