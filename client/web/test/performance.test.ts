// A board of 5,000 shapes in the browser: frame times while panning and
// zooming, measured with requestAnimationFrame and printed (never asserted:
// timings depend on the machine). The test asserts only that it all renders.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { connectBoard } from '../../sdk/index.js'
import { chromiumPath, hasChromium, shot } from './browser.js'
import { waitFor } from '../../../server/test/helpers/collab.js'
import { register, useBrowserSuite } from './setup.js'

const SHAPES = 5000
const TYPES = ['rect', 'ellipse', 'sticky', 'text'] as const
const FILLS = ['none', '#fff3a0', '#a5d8ff', '#b2f2bb', '#ffc9c9']

async function fillBoard(baseUrl: string, boardId: string, token: string): Promise<void> {
  const conn = connectBoard({ baseUrl, boardId, token, WebSocket })
  await conn.whenSynced()
  const shapes = conn.doc.getMap('shapes')
  // Batches keep each update well under the server's message size limit.
  for (let start = 0; start < SHAPES; start += 1000) {
    conn.doc.transact(() => {
      for (let i = start; i < Math.min(SHAPES, start + 1000); i++) {
        const type = TYPES[i % TYPES.length]!
        const m = new Y.Map<unknown>()
        m.set('type', type)
        m.set('x', (i % 100) * 140)
        m.set('y', Math.floor(i / 100) * 120)
        m.set('w', 120)
        m.set('h', 90)
        m.set('fill', FILLS[i % FILLS.length]!)
        m.set('stroke', '#1e1e1e')
        m.set('text', type === 'rect' ? '' : `Item ${i}`)
        m.set('z', i)
        shapes.set(`s${i}`, m)
      }
    })
  }
  await waitFor(() => conn.saveState === 'saved', 30_000, 'shapes saved')
  conn.destroy()
}

describe.skipIf(!hasChromium)(`a 5,000-shape board (${chromiumPath})`, () => {
  const suite = useBrowserSuite()

  it('pans and zooms; frame times are printed', async () => {
    const owner = await register(suite.server.url, 'Perry Perf')
    const board = await owner.api.createBoard('Five thousand')
    await fillBoard(suite.server.url, board.id, owner.token)

    const { page } = await suite.open(owner)
    const loadStart = Date.now()
    await page.goto(`${suite.server.url}/b/${board.id}`)
    await page.locator('.canvas-svg .item').first().waitFor({ timeout: 60_000 })
    await page.getByText('Saved').waitFor({ timeout: 60_000 })
    const loadMs = Date.now() - loadStart
    const inDom = await page.locator('.canvas-svg .item').count()

    const measure = (mode: 'pan' | 'zoom' | 'zoomed-out-pan') =>
      page.evaluate(async (m) => {
        const canvas = document.querySelector('.canvas')!
        const r = canvas.getBoundingClientRect()
        const frames: number[] = []
        let last = performance.now()
        for (let i = 0; i < 120; i++) {
          const zoom = m === 'zoom'
          // Back and forth, so the board stays in view the whole time.
          const dir = i % 60 < 30 ? 1 : -1
          const dy = zoom ? (i % 40 < 20 ? -40 : 40) : 25 * dir
          canvas.dispatchEvent(new WheelEvent('wheel', { deltaX: zoom ? 0 : 15 * dir, deltaY: dy, ctrlKey: zoom, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, cancelable: true }))
          const now = await new Promise<number>((res) => requestAnimationFrame(res))
          frames.push(now - last)
          last = now
        }
        frames.sort((a, b) => a - b)
        const pct = (p: number) => frames[Math.min(frames.length - 1, Math.floor((frames.length * p) / 100))]!
        const mean = frames.reduce((a, b) => a + b, 0) / frames.length
        return { frames: frames.length, mean: +mean.toFixed(1), p50: +pct(50).toFixed(1), p95: +pct(95).toFixed(1), max: +frames[frames.length - 1]!.toFixed(1) }
      }, mode)

    const pan = await measure('pan')
    const zoom = await measure('zoom')
    await page.locator('.canvas').focus()
    await page.keyboard.press('Shift+1')
    // Zoomed out to the whole board, every shape is on screen.
    expect(await page.locator('.canvas-svg .item').count()).toBe(SHAPES)
    const wide = await measure('zoomed-out-pan')
    console.log(
      `5,000 shapes — page load to first paint of the board and synced: ${loadMs} ms (${inDom} shapes in view at 100%)\n` +
        `  pan (wheel, 100% zoom):  ${JSON.stringify(pan)} ms/frame\n` +
        `  zoom (ctrl+wheel):       ${JSON.stringify(zoom)} ms/frame\n` +
        `  pan, whole board in view: ${JSON.stringify(wide)} ms/frame`,
    )
    await shot(page, 'perf-5000-shapes')
    expect(pan.frames).toBe(120)
  }, 180_000)
})
