// Browser flow 6: the board works from the keyboard (shortcuts, undo of one's
// own changes, dialogs, visible focus) and on a 390×844 touch screen (layout,
// drawing, pan and pinch zoom with fingers).
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { boardReady, cameraOf, canvasPoint, chromiumPath, drag, hasChromium, sceneOf, shot, waitForScene, zoomOf } from './browser.js'
import { register, useBrowserSuite } from './setup.js'

const focusedLabel = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '')

describe.skipIf(!hasChromium)(`keyboard and small screens (${chromiumPath})`, () => {
  const suite = useBrowserSuite()
  const open = suite.open

  it('6a: toolbar, shortcuts and dialogs work from the keyboard, with visible focus', async () => {
    const owner = await register(suite.server.url, 'Kim Keys')
    const board = await owner.api.createBoard('Keyboard board')
    const { page } = await open(owner)
    await page.goto(`${suite.server.url}/b/${board.id}`)
    await page.getByText('Saved').waitFor()

    await boardReady(page)
    // Tool shortcuts, then select all, delete, and undo/redo of one's own changes.
    await page.locator('.excalidraw').first().focus()
    await page.keyboard.press('r')
    expect(await page.locator('[data-testid="toolbar-rectangle"]').isChecked()).toBe(true)
    await drag(page, await canvasPoint(page, -80, -40), await canvasPoint(page, 80, 40))
    await waitForScene(page, (els) => els.length === 1, 'a rectangle')
    await page.keyboard.press('Escape')
    await page.keyboard.press('Control+a')
    await page.keyboard.press('Delete')
    await waitForScene(page, (els) => els.length === 0, 'deleted')
    await page.keyboard.press('Control+z')
    await waitForScene(page, (els) => els.length === 1, 'undone')
    await page.keyboard.press('Control+Shift+z')
    await waitForScene(page, (els) => els.length === 0, 'redone')
    await page.keyboard.press('Control+z')
    await waitForScene(page, (els) => els.length === 1, 'undone again')
    const zoom = await zoomOf(page)
    await page.keyboard.press('Control+Equal')
    expect(await zoomOf(page)).not.toBe(zoom)
    await shot(page, 'flow6-keyboard-canvas')

    // The share dialog: focus moves in, Tab stays inside, Escape closes and focus returns.
    const share = page.getByRole('button', { name: 'Share' })
    await share.focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: 'Share this board' })
    await dialog.waitFor()
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Tab')
      expect(await page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]'))).toBe(true)
    }
    await shot(page, 'flow6-keyboard-dialog')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    expect(await focusedLabel(page)).toBe('Share')
    await page.getByText('Saved').waitFor()
  })

  it('6b: a 390×844 touch screen: join, draw, pan and pinch zoom with fingers; tools, undo and panels fit the screen', async () => {
    const owner = await register(suite.server.url, 'Pat Phone', 'pro')
    const board = await owner.api.createBoard('A board with a rather long title for a small phone screen')
    const invite = await owner.api.createInvite(board.id, { role: 'editor' })
    const { page, context } = await open(null, { width: 390, height: 844, touch: true })
    await page.goto(`${suite.server.url}/join/${invite.token}`)
    await page.getByLabel('Your name').fill('Mo')
    await shot(page, 'flow6-small-join')
    await page.getByLabel('Your name').press('Enter')
    await page.waitForURL(`**/b/${board.id}`)
    // On a phone "Saved" is a green dot; the words appear only when it matters.
    await page.locator('[data-testid="save-state"].save-saved').waitFor()
    await page.waitForFunction(() => !!(window as unknown as { __drawbridge?: { excalidraw?: unknown } }).__drawbridge?.excalidraw)

    const noSideScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
    await shot(page, 'flow6-small-empty')
    expect(await noSideScroll()).toBe(true)
    const header = (await page.locator('.board-header').boundingBox())!
    expect(header.width).toBeLessThanOrEqual(390)
    // The drawing tools, undo and the comment tool are all on screen.
    for (const control of [page.locator('label', { has: page.locator('[data-testid="toolbar-rectangle"]') }).first(), page.getByRole('button', { name: 'Undo (Ctrl+Z)' }), page.getByRole('button', { name: 'Comment (C)' })]) {
      const box = (await control.boundingBox())!
      expect(box.x).toBeGreaterThanOrEqual(0)
      expect(box.x + box.width).toBeLessThanOrEqual(390)
      expect(box.y + box.height).toBeLessThanOrEqual(844)
    }

    // A guest editor lands with the pen: a finger drag draws.
    const cdp = await context.newCDPSession(page)
    const c = await canvasPoint(page)
    const touch = async (type: 'touchStart' | 'touchMove' | 'touchEnd', points: { x: number; y: number }[]) =>
      cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map((p, id) => ({ x: p.x, y: p.y, id })) })
    await touch('touchStart', [{ x: c.x - 60, y: c.y - 40 }])
    for (let i = 1; i <= 6; i++) await touch('touchMove', [{ x: c.x - 60 + i * 20, y: c.y - 40 + i * 14 }])
    await touch('touchEnd', [])
    await waitForScene(page, (els) => els.some((e) => e.type === 'freedraw'), 'a finger stroke')
    await page.getByText('Saved').or(page.locator('[data-testid="save-state"].save-saved')).first().waitFor()
    await shot(page, 'flow6-small-board')

    // Two fingers apart zoom in; two fingers moving together pan.
    const before = await zoomOf(page)
    await touch('touchStart', [{ x: c.x - 30, y: c.y }, { x: c.x + 30, y: c.y }])
    for (let i = 1; i <= 6; i++) await touch('touchMove', [{ x: c.x - 30 - i * 12, y: c.y }, { x: c.x + 30 + i * 12, y: c.y }])
    await touch('touchEnd', [])
    expect(await zoomOf(page)).toBeGreaterThan(before)
    const camera = await cameraOf(page)
    await touch('touchStart', [{ x: c.x - 40, y: c.y }, { x: c.x + 40, y: c.y }])
    for (let i = 1; i <= 6; i++) await touch('touchMove', [{ x: c.x - 40, y: c.y + i * 15 }, { x: c.x + 40, y: c.y + i * 15 }])
    await touch('touchEnd', [])
    expect(await cameraOf(page)).not.toBe(camera)
    // Only the one stroke: panning and zooming drew nothing.
    expect((await sceneOf(page)).length).toBe(1)

    // Chrome takes a tap right after a two-finger gesture as part of it; a person's next tap comes later.
    await page.waitForTimeout(500)
    await page.getByTestId('people-button').tap()
    const panel = (await page.getByRole('complementary', { name: 'Participants' }).boundingBox())!
    expect(panel.x).toBe(0)
    expect(panel.width).toBe(390)
    await page.getByTestId('participants').getByText('Mo').waitFor()
    await shot(page, 'flow6-small-people')
    expect(await noSideScroll()).toBe(true)
  })
})
