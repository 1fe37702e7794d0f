// Browser-test plumbing: a fresh web build when the sources changed, Debian's
// Chromium (helpers/chromium.ts) through playwright-core (never a downloaded browser), pages that
// record console errors, and screenshots under test-artifacts/.
import { execSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { chromiumPath } from '../../../server/test/helpers/chromium.js'

export { chromiumPath, hasChromium } from '../../../server/test/helpers/chromium.js'
const root = fileURLToPath(new URL('../../..', import.meta.url))
export const artifacts = join(root, 'test-artifacts')

function newest(dir: string): number {
  let latest = 0
  if (!existsSync(dir)) return 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'test' || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return latest
}

/** Builds dist/web if it is missing or older than its sources; one builder at a time across test workers. */
export async function ensureWebBuild(): Promise<void> {
  const index = join(root, 'dist/web/index.html')
  const sources = Math.max(newest(join(root, 'client/web')), newest(join(root, 'client/sdk')), newest(join(root, 'shared')))
  const fresh = () => existsSync(index) && statSync(index).mtimeMs >= sources
  if (fresh()) return
  const lock = join(root, 'dist/.web-build-lock')
  mkdirSync(join(root, 'dist'), { recursive: true })
  const deadline = Date.now() + 120_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      // Another worker is building; a lock older than two minutes is stale.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock)
      if (Date.now() > deadline) throw new Error('timed out waiting for another web build')
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  try {
    // NODE_ENV is "test" under vitest, which would bundle the libraries' development builds.
    if (!fresh()) execSync('npx vite build --config client/web/vite.config.ts --logLevel warn', { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } })
  } finally {
    rmdirSync(lock)
  }
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

export interface TestPage {
  context: BrowserContext
  page: Page
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[]
  /**
   * Declares one failed response as expected from now on (its status, method
   * and a path pattern): neither Chrome's console line nor ours for it counts
   * as an error. For flows where the failure is the point, or a request already
   * in flight when access is taken away.
   */
  expectFailure(status: number, method: string, path: RegExp): void
  /** Requests that left the page's own origin (each page's suite fails on any). */
  external: string[]
}

/** A separate context per person: its own localStorage, like a separate browser. */
export async function openPage(browser: Browser, options: { width?: number; height?: number; touch?: boolean } = {}): Promise<TestPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    hasTouch: options.touch ?? false,
    deviceScaleFactor: 1,
  })
  // The app's debugging handle (window.__drawbridge: document, connection, Excalidraw's API) lets tests read the scene.
  await context.addInitScript(() => localStorage.setItem('drawbridge.debug', '1'))
  const page = await context.newPage()
  const external: string[] = []
  page.on('request', (req) => {
    const url = req.url()
    if (url.startsWith('data:') || url.startsWith('blob:')) return
    if (new URL(url).hostname !== '127.0.0.1' && new URL(url).hostname !== 'localhost') external.push(url)
  })
  // Fail at the step that is stuck, not at the test's overall timeout.
  page.setDefaultTimeout(8000)
  const errors: string[] = []
  const expected: { status: number; method: string; path: RegExp }[] = []
  const isExpected = (status: number, method: string | null, url: string) => {
    const path = new URL(url).pathname
    return expected.some((e) => e.status === status && (method === null || e.method === method) && e.path.test(path))
  }
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return
    // Chrome's line for a failed request carries the status and the URL but not the method.
    const failed = /status of (\d{3})/.exec(msg.text())
    if (failed && msg.location().url && isExpected(Number(failed[1]), null, msg.location().url)) return
    errors.push(`console: ${msg.text()} @ ${msg.location().url}`)
  })
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))
  // Chrome's console line for a failed request does not name the request; this does.
  page.on('response', (res) => {
    if (res.status() < 400 || isExpected(res.status(), res.request().method(), res.url())) return
    errors.push(`http ${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`)
  })
  return { context, page, errors, external, expectFailure: (status, method, path) => void expected.push({ status, method, path }) }
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true })
  await page.screenshot({ path: join(artifacts, `${name}.png`) })
}

/** Centre of the canvas in page coordinates, plus an offset. */
export async function canvasPoint(page: Page, dx = 0, dy = 0): Promise<{ x: number; y: number }> {
  const box = await page.locator('.canvas').boundingBox()
  if (!box) throw new Error('no canvas')
  return { x: box.x + box.width / 2 + dx, y: box.y + box.height / 2 + dy }
}

export async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }, steps = 8): Promise<void> {
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(to.x, to.y, { steps })
  await page.mouse.up()
}

/** Where the view is (Excalidraw's scroll and zoom), to check pans and zooms. */
export async function cameraOf(page: Page): Promise<string> {
  const s = await page.evaluate(() => {
    const st = (window as unknown as DebugWindow).__drawbridge.excalidraw.getAppState()
    return { x: st.scrollX, y: st.scrollY, z: st.zoom.value }
  })
  return `${s.x.toFixed(1)},${s.y.toFixed(1)},${s.z.toFixed(3)}`
}

export async function zoomOf(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as DebugWindow).__drawbridge.excalidraw.getAppState().zoom.value)
}

export interface SceneElement {
  id: string
  type: string
  x: number
  y: number
  width: number
  height: number
  text?: string
  locked: boolean
  containerId?: string | null
  startBinding?: { elementId: string } | null
  endBinding?: { elementId: string } | null
  points?: number[][]
}

/** The elements on screen (not deleted), in paint order. */
export async function sceneOf(page: Page): Promise<SceneElement[]> {
  return page.evaluate(() =>
    (window as unknown as DebugWindow).__drawbridge.excalidraw.getSceneElements().map((e) => JSON.parse(JSON.stringify(e)) as SceneElement),
  )
}

/** One root of the board document as this page holds it. */
export async function docOf(page: Page, root: 'shapes' | 'markup'): Promise<Record<string, Record<string, unknown>>> {
  return page.evaluate((r) => (window as unknown as DebugWindow).__drawbridge.doc.getMap(r).toJSON(), root)
}

/** Waits until the scene has elements matching `pred` (at least `count`). */
export async function waitForScene(page: Page, pred: (els: SceneElement[]) => boolean, what: string, timeout = 10_000): Promise<SceneElement[]> {
  const deadline = Date.now() + timeout
  for (;;) {
    const els = await sceneOf(page).catch(() => [] as SceneElement[])
    if (pred(els)) return els
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; scene: ${JSON.stringify(els.map((e) => [e.type, e.x, e.y, e.text]))}`)
    await page.waitForTimeout(100)
  }
}

/** Picks one of Excalidraw's tools from its toolbar. */
export async function pickTool(page: Page, tool: 'selection' | 'rectangle' | 'ellipse' | 'arrow' | 'line' | 'freedraw' | 'text' | 'hand' | 'eraser'): Promise<void> {
  await page.locator("label", { has: page.locator(`[data-testid="toolbar-${tool}"]`) }).first().click()
}

/** Scene coordinates → page coordinates. */
export async function pageXY(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ([sx, sy]) => {
      const st = (window as unknown as DebugWindow).__drawbridge.excalidraw.getAppState()
      return { x: (sx! + st.scrollX) * st.zoom.value + st.offsetLeft, y: (sy! + st.scrollY) * st.zoom.value + st.offsetTop }
    },
    [x, y],
  )
}

/** Waits for the canvas to be ready (Excalidraw mounted and the document synced). */
export async function boardReady(page: Page): Promise<void> {
  await page.getByText('Saved').waitFor({ timeout: 20_000 })
  await page.waitForFunction(() => !!(window as unknown as { __drawbridge?: { excalidraw?: unknown } }).__drawbridge?.excalidraw, undefined, { timeout: 20_000 })
}

/** What the app's debugging handle (window.__drawbridge) exposes to tests. */
export interface DebugWindow {
  __drawbridge: {
    doc: { getMap(name: string): { toJSON(): Record<string, Record<string, unknown>> } }
    excalidraw: {
      getAppState(): { scrollX: number; scrollY: number; zoom: { value: number }; offsetLeft: number; offsetTop: number; collaborators: Map<string, { username?: string }> }
      getSceneElements(): object[]
    }
  }
}
