// Browser-test plumbing: a fresh web build when the sources changed, Debian's
// chromium through playwright-core (never a downloaded browser), pages that
// record console errors, and screenshots under test-artifacts/.
import { execSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const hasChromium = existsSync(chromiumPath)
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
    if (!fresh()) execSync('npx vite build --config client/web/vite.config.ts --logLevel warn', { cwd: root, stdio: 'inherit' })
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
}

/** A separate context per person: its own localStorage, like a separate browser. */
export async function openPage(browser: Browser, options: { width?: number; height?: number; touch?: boolean } = {}): Promise<TestPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    hasTouch: options.touch ?? false,
    deviceScaleFactor: 1,
  })
  const page = await context.newPage()
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
  return { context, page, errors, expectFailure: (status, method, path) => void expected.push({ status, method, path }) }
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

/** The world-space transform of the canvas (zoom and offset), to check pans and zooms. */
export async function cameraOf(page: Page): Promise<string> {
  return (await page.locator('.canvas-svg > g').first().getAttribute('transform')) ?? ''
}
