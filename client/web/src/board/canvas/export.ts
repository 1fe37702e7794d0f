// PNG and SVG export of the whole board through Excalidraw's own renderer,
// images included (their files are in the scene's file store).
import { exportToBlob, exportToSvg } from '@excalidraw/excalidraw'
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'
import { download } from '../download.js'

const fileName = (title: string, ext: string) => `${title.replace(/[^\p{L}\p{N} _-]+/gu, '').trim() || 'board'}.${ext}`

export async function exportBoard(api: ExcalidrawImperativeAPI, kind: 'png' | 'svg', title: string): Promise<boolean> {
  const elements = api.getSceneElements()
  if (elements.length === 0) return false
  const appState = { ...api.getAppState(), exportBackground: true, viewBackgroundColor: '#ffffff', exportWithDarkMode: false }
  const files = api.getFiles()
  if (kind === 'svg') {
    // Fonts are named, not embedded: embedding subsets them with WebAssembly, which the page's CSP does not allow yet.
    const svg = await exportToSvg({ elements, appState, files, exportPadding: 32, skipInliningFonts: true })
    download(new Blob([new XMLSerializer().serializeToString(svg)], { type: 'image/svg+xml' }), fileName(title, 'svg'))
  } else {
    const blob = await exportToBlob({
      elements,
      appState,
      files,
      exportPadding: 32,
      mimeType: 'image/png',
      getDimensions: (w: number, h: number) => {
        // Twice the size for sharp text, within what browsers can allocate.
        const scale = Math.min(2, 8192 / Math.max(w, h))
        return { width: w * scale, height: h * scale, scale }
      },
    })
    download(blob, fileName(title, 'png'))
  }
  return true
}
