// PNG and SVG export of the whole board. The item layer is rendered once
// more, off screen and in full (the canvas only keeps what is in view), with
// the same components, so the export looks exactly like the screen.
import { h, render } from 'preact'
import type { DocModel } from './doc-model.js'
import { itemRect, unionRect } from './geometry.js'
import { ShapeLayer } from './shape-layer.js'

function fullLayer(model: DocModel): SVGGElement {
  const host = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
  render(h(ShapeLayer, { model, version: model.version, hidden: null, region: null, lod: false }), host)
  const layer = (host.querySelector('g.items') as SVGGElement).cloneNode(true) as SVGGElement
  render(null, host)
  return layer
}

const PAD = 32
const FONT = 'font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;'

export function boardSvg(model: DocModel): { svg: string; width: number; height: number } | null {
  const r = unionRect(model.sorted().map((i) => itemRect(i, model)))
  if (!r) return null
  const width = Math.ceil(r.w + PAD * 2)
  const height = Math.ceil(r.h + PAD * 2)
  const clone = fullLayer(model)
  clone.removeAttribute('class')
  clone.querySelectorAll('[data-key]').forEach((el) => el.removeAttribute('data-key'))
  const body = new XMLSerializer().serializeToString(clone)
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="${r.x - PAD} ${r.y - PAD} ${width} ${height}" style='${FONT}'>` +
    `<rect x="${r.x - PAD}" y="${r.y - PAD}" width="${width}" height="${height}" fill="#ffffff"/>${body}</svg>`
  return { svg, width, height }
}

export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

const fileName = (title: string, ext: string) => `${title.replace(/[^\p{L}\p{N} _-]+/gu, '').trim() || 'board'}.${ext}`

export function exportSvg(model: DocModel, title: string): boolean {
  const out = boardSvg(model)
  if (!out) return false
  download(new Blob([out.svg], { type: 'image/svg+xml' }), fileName(title, 'svg'))
  return true
}

export async function exportPng(model: DocModel, title: string): Promise<boolean> {
  const out = boardSvg(model)
  if (!out) return false
  // Twice the size for sharp text, within what browsers can allocate.
  const scale = Math.min(2, 8192 / Math.max(out.width, out.height))
  const img = new Image()
  const url = URL.createObjectURL(new Blob([out.svg], { type: 'image/svg+xml' }))
  try {
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve()
      img.onerror = () => reject(new Error('could not render the board'))
      img.src = url
    })
    const canvas = document.createElement('canvas')
    canvas.width = Math.max(1, Math.round(out.width * scale))
    canvas.height = Math.max(1, Math.round(out.height * scale))
    const ctx = canvas.getContext('2d')!
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height)
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'))
    if (!blob) return false
    download(blob, fileName(title, 'png'))
    return true
  } finally {
    URL.revokeObjectURL(url)
  }
}
