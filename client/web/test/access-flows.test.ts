// Browser flow 6: the board works from the keyboard alone (toolbar, shortcuts,
// dialogs, visible focus) and on a 360 px touch screen (layout, pinch zoom).
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { cameraOf, canvasPoint, chromiumPath, hasChromium, shot } from './browser.js'
import { waitFor } from '../../../server/test/helpers/collab.js'
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

    // Tab reaches the toolbar (one tab stop), arrows move inside it, Enter picks a tool.
    let label = ''
    for (let i = 0; i < 30 && label !== 'Select (V)'; i++) {
      await page.keyboard.press('Tab')
      label = await focusedLabel(page)
    }
    expect(label).toBe('Select (V)')
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)
    expect(outline).not.toBe('none')
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('ArrowRight')
    expect(await focusedLabel(page)).toBe('Rectangle (R)')
    await page.keyboard.press('Enter')
    expect(await page.locator('[data-tool="rect"]').getAttribute('aria-pressed')).toBe('true')
    await shot(page, 'flow6-keyboard-toolbar')

    // Shortcuts: a sticky with text, select all, delete, undo.
    await page.keyboard.press('Escape')
    await page.locator('.canvas').focus()
    await page.keyboard.press('s')
    expect(await page.locator('[data-tool="sticky"]').getAttribute('aria-pressed')).toBe('true')
    const at = await canvasPoint(page)
    await page.mouse.click(at.x, at.y)
    await page.locator('.text-editor:focus').waitFor()
    await page.keyboard.type('Typed note')
    await page.keyboard.press('Escape')
    await page.locator('.item-sticky').getByText('Typed note').waitFor()
    await page.keyboard.press('Control+a')
    expect(await page.locator('.selection-box').count()).toBe(1)
    await page.keyboard.press('Delete')
    await page.locator('.item-sticky').waitFor({ state: 'detached' })
    await page.keyboard.press('Control+z')
    await page.locator('.item-sticky').getByText('Typed note').waitFor()
    await page.keyboard.press('Control+Shift+z')
    await page.locator('.item-sticky').waitFor({ state: 'detached' })
    await page.keyboard.press('Control+z')
    await page.locator('.item-sticky').waitFor()
    const zoom = await page.locator('.zoom-level').textContent()
    await page.keyboard.press('+')
    expect(await page.locator('.zoom-level').textContent()).not.toBe(zoom)

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

  it('6b: a 360 px touch screen: join, draw, panels and pinch zoom fit the screen', async () => {
    const owner = await register(suite.server.url, 'Pat Phone', 'pro')
    const board = await owner.api.createBoard('A board with a rather long title for a small phone screen')
    const invite = await owner.api.createInvite(board.id, { role: 'editor' })
    const { page, context } = await open(null, { width: 360, height: 740, touch: true })
    await page.goto(`${suite.server.url}/join/${invite.token}`)
    await page.getByLabel('Your name').fill('Mo')
    await shot(page, 'flow6-small-join')
    await page.getByLabel('Your name').press('Enter')
    await page.waitForURL(`**/b/${board.id}`)
    // On a phone "Saved" is a green dot; the words appear only when it matters.
    await page.locator('[data-testid="save-state"].save-saved').waitFor()

    const noSideScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
    expect(await noSideScroll()).toBe(true)
    const bar = (await page.locator('.toolbar').first().boundingBox())!
    expect(bar.x).toBeGreaterThanOrEqual(0)
    expect(bar.x + bar.width).toBeLessThanOrEqual(360)
    const header = (await page.locator('.board-header').boundingBox())!
    expect(header.width).toBeLessThanOrEqual(360)

    // Draw with a finger: tap a tool, then drag on the canvas.
    await page.getByRole('button', { name: 'Rectangle (R)' }).tap()
    const cdp = await context.newCDPSession(page)
    const c = await canvasPoint(page)
    const touch = async (type: 'touchStart' | 'touchMove' | 'touchEnd', points: { x: number; y: number }[]) =>
      cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map((p, id) => ({ x: p.x, y: p.y, id })) })
    await touch('touchStart', [{ x: c.x - 60, y: c.y - 40 }])
    for (let i = 1; i <= 5; i++) await touch('touchMove', [{ x: c.x - 60 + i * 20, y: c.y - 40 + i * 14 }])
    await touch('touchEnd', [])
    await page.locator('.item-rect').waitFor()
    await shot(page, 'flow6-small-board')

    // Two fingers apart zoom in.
    const before = await page.locator('.zoom-level').textContent()
    await touch('touchStart', [{ x: c.x - 30, y: c.y }, { x: c.x + 30, y: c.y }])
    for (let i = 1; i <= 6; i++) await touch('touchMove', [{ x: c.x - 30 - i * 12, y: c.y }, { x: c.x + 30 + i * 12, y: c.y }])
    await touch('touchEnd', [])
    await waitFor(async () => (await page.locator('.zoom-level').textContent()) !== before, 3000, 'pinch zoom')
    expect(parseInt((await page.locator('.zoom-level').textContent())!, 10)).toBeGreaterThan(parseInt(before!, 10))
    expect(await cameraOf(page)).not.toBe('')

    await page.getByTestId('people-button').tap()
    const panel = (await page.getByRole('complementary', { name: 'Participants' }).boundingBox())!
    expect(panel.x).toBe(0)
    expect(panel.width).toBe(360)
    await page.getByTestId('participants').getByText('Mo').waitFor()
    await shot(page, 'flow6-small-people')
    expect(await noSideScroll()).toBe(true)
  })
})
