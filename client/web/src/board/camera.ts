// The view onto the infinite canvas: the world point at the screen's top-left
// and a zoom factor, so screen = (world - camera) * zoom.
export interface Camera {
  x: number
  y: number
  zoom: number
}

export const MIN_ZOOM = 0.05
export const MAX_ZOOM = 8

export const clampZoom = (z: number) => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z))

export function toWorld(cam: Camera, sx: number, sy: number): { x: number; y: number } {
  return { x: cam.x + sx / cam.zoom, y: cam.y + sy / cam.zoom }
}

export function toScreen(cam: Camera, wx: number, wy: number): { x: number; y: number } {
  return { x: (wx - cam.x) * cam.zoom, y: (wy - cam.y) * cam.zoom }
}

/** Zooms keeping the world point under (sx, sy) where it is on screen. */
export function zoomAt(cam: Camera, sx: number, sy: number, zoom: number): Camera {
  const z = clampZoom(zoom)
  const p = toWorld(cam, sx, sy)
  return { x: p.x - sx / z, y: p.y - sy / z, zoom: z }
}

export function transformOf(cam: Camera): string {
  return `matrix(${cam.zoom},0,0,${cam.zoom},${-cam.x * cam.zoom},${-cam.y * cam.zoom})`
}

/** A camera showing the world rectangle centred in a screen of the given size. */
export function fitRect(rect: { x: number; y: number; w: number; h: number }, width: number, height: number, pad = 40, maxZoom = 1): Camera {
  const zoom = clampZoom(Math.min((width - pad * 2) / Math.max(rect.w, 1), (height - pad * 2) / Math.max(rect.h, 1), maxZoom))
  return { x: rect.x + rect.w / 2 - width / 2 / zoom, y: rect.y + rect.h / 2 - height / 2 / zoom, zoom }
}
