// The canvas itself: labels typed into shapes, arrows bound at both ends,
// copy and paste, images (an owner's uploaded and shown to others, a guest's
// refused before anything is sent), boards of the old schema, and not one
// request to another host.
import type { Page } from 'playwright-core'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { connectBoard } from '../../sdk/index.js'
import { canvasPoint, chromiumPath, docOf, drag, hasChromium, pageXY, pickTool, sceneOf, shot, waitForScene } from './browser.js'
import { waitFor } from '../../../server/test/helpers/collab.js'
import { joinByLink, openBoard, register, useBrowserSuite } from './setup.js'

/** Pastes a small PNG made in the page, as a person pasting a screenshot would. */
async function pasteImage(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const canvas = document.createElement('canvas')
    canvas.width = 40
    canvas.height = 30
    const ctx = canvas.getContext('2d')!
    ctx.fillStyle = '#e03131'
    ctx.fillRect(0, 0, 40, 30)
    const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'))
    const data = new DataTransfer()
    data.items.add(new File([blob], 'red.png', { type: 'image/png' }))
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
  })
}

describe.skipIf(!hasChromium)(`the canvas (${chromiumPath})`, () => {
  const suite = useBrowserSuite()
  const open = suite.open

  it('double-clicking a rectangle types its label; an arrow bound at both ends follows both shapes', async () => {
    const owner = await register(suite.server.url, 'Lena Label')
    const board = await owner.api.createBoard('Labels and arrows')
    const { page } = await open(owner)
    await openBoard(page, suite.server.url, board.id)
    await pickTool(page, 'rectangle')
    await drag(page, await canvasPoint(page, -300, -60), await canvasPoint(page, -140, 60))
    await pickTool(page, 'rectangle')
    await drag(page, await canvasPoint(page, 140, -60), await canvasPoint(page, 300, 60))
    const [a, b] = await waitForScene(page, (els) => els.filter((e) => e.type === 'rectangle').length === 2, 'two rectangles')

    // Double-click the first one and type: the words become its label, not tool shortcuts.
    await page.keyboard.press('Escape')
    const centre = await pageXY(page, a!.x + a!.width / 2, a!.y + a!.height / 2)
    await page.mouse.dblclick(centre.x, centre.y)
    await page.keyboard.type('Idea')
    await page.keyboard.press('Escape')
    const labelled = await waitForScene(page, (els) => els.some((e) => e.type === 'text' && e.text === 'Idea'), 'the label')
    expect(labelled.find((e) => e.type === 'text')!.containerId).toBe(a!.id)
    await waitFor(async () => Object.values(await docOf(page, 'shapes')).some((e) => e.text === 'Idea' && e.containerId === a!.id), 5000, 'label stored')

    // An arrow from the first to the second is bound at both ends.
    await pickTool(page, 'arrow')
    await drag(page, await pageXY(page, a!.x + a!.width - 20, a!.y + a!.height / 2), await pageXY(page, b!.x + 20, b!.y + b!.height / 2), 10)
    const [arrow] = (await waitForScene(page, (els) => els.some((e) => e.type === 'arrow'), 'the arrow')).filter((e) => e.type === 'arrow')
    expect(arrow!.startBinding?.elementId).toBe(a!.id)
    expect(arrow!.endBinding?.elementId).toBe(b!.id)

    // Someone else watching: when either shape moves, the arrow's end goes with it.
    const watcher = await open(owner)
    await openBoard(watcher.page, suite.server.url, board.id)
    await waitForScene(watcher.page, (els) => els.some((e) => e.type === 'arrow'), 'the arrow at the watcher')
    const ends = async (p: Page) => {
      const el = (await sceneOf(p)).find((e) => e.type === 'arrow')!
      const last = el.points![el.points!.length - 1]!
      return { start: { x: el.x, y: el.y }, end: { x: el.x + last[0]!, y: el.y + last[1]! } }
    }
    const before = await ends(watcher.page)
    await pickTool(page, 'selection')
    await drag(page, await pageXY(page, b!.x + b!.width / 2, b!.y + 1), await pageXY(page, b!.x + b!.width / 2, b!.y + 121))
    await waitFor(async () => (await ends(watcher.page)).end.y > before.end.y + 80, 10_000, 'the arrow’s end follows the second shape')
    await page.keyboard.press('Escape')
    await drag(page, await pageXY(page, a!.x + a!.width / 2, a!.y + 1), await pageXY(page, a!.x + a!.width / 2, a!.y - 119))
    await waitFor(async () => (await ends(watcher.page)).start.y < before.start.y - 60, 10_000, 'the arrow’s start follows the first shape')
    await shot(watcher.page, 'canvas-label-and-arrow')
  })

  it('copies and pastes, and duplicates', async () => {
    const owner = await register(suite.server.url, 'Cory Copy')
    const board = await owner.api.createBoard('Copies')
    const { page, context } = await open(owner)
    await context.grantPermissions(['clipboard-read', 'clipboard-write'])
    await openBoard(page, suite.server.url, board.id)
    await pickTool(page, 'ellipse')
    await drag(page, await canvasPoint(page, -60, -40), await canvasPoint(page, 60, 40))
    await waitForScene(page, (els) => els.length === 1, 'an ellipse')
    await page.keyboard.press('Control+c')
    await waitFor(async () => (await page.evaluate(() => navigator.clipboard.readText())).includes('ellipse'), 5000, 'copied')
    await page.mouse.move(...(Object.values(await canvasPoint(page, 200, 120)) as [number, number]))
    await page.keyboard.press('Control+v')
    await waitForScene(page, (els) => els.filter((e) => e.type === 'ellipse').length === 2, 'the pasted copy')
    await page.keyboard.press('Control+d')
    await waitForScene(page, (els) => els.filter((e) => e.type === 'ellipse').length === 3, 'the duplicate')
    await waitFor(async () => Object.values(await docOf(page, 'shapes')).filter((e) => e.type === 'ellipse').length === 3, 5000, 'all three stored')
    await page.getByText('Saved').waitFor()
  })

  it('an owner’s image is uploaded and shown to others; a guest has no image tool and a pasted image goes nowhere', async () => {
    const owner = await register(suite.server.url, 'Ivy Image', 'pro')
    const board = await owner.api.createBoard('Pictures')
    const o = await open(owner)
    await openBoard(o.page, suite.server.url, board.id)
    const uploaded = o.page.waitForResponse((r) => r.request().method() === 'PUT' && /\/files\//.test(r.url()))
    await o.page.locator('.excalidraw').first().click({ position: { x: 600, y: 400 } })
    await pasteImage(o.page)
    expect([200, 201]).toContain((await uploaded).status())
    const [image] = Object.values(await docOf(o.page, 'shapes')).filter((e) => e.type === 'image')
    expect(image!.fileId).toMatch(/^[A-Za-z0-9_-]{1,128}$/)

    // A guest editor sees it (the file fetched from the server), but has no image tool.
    const invite = await owner.api.createInvite(board.id, { role: 'editor' })
    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Gabe')
    await waitFor(
      async () => await g.page.evaluate((id) => !!(window as unknown as { __drawbridge: { excalidraw: { getFiles(): Record<string, unknown> } } }).__drawbridge.excalidraw.getFiles()[id], image!.fileId as string),
      10_000,
      'the guest has the file',
    )
    expect(await g.page.locator('[data-testid="toolbar-image"]').count()).toBe(0)
    await shot(g.page, 'canvas-image-guest-view')
    const puts: string[] = []
    g.page.on('request', (r) => r.method() === 'PUT' && puts.push(r.url()))
    await g.page.locator('.excalidraw').first().click({ position: { x: 600, y: 400 } })
    await pasteImage(g.page)
    // Excalidraw without its image tool ignores the paste; were an image element made anyway, the binding would drop it with a hint.
    await g.page.waitForTimeout(800)
    expect(puts).toEqual([])
    expect(Object.values(await docOf(o.page, 'shapes')).filter((e) => e.type === 'image')).toHaveLength(1)
    expect((await sceneOf(g.page)).filter((e) => e.type === 'image')).toHaveLength(1)
  })

  it('opens a board of the old schema, and converts an entry when it is first edited', async () => {
    const owner = await register(suite.server.url, 'Otto Old')
    const board = await owner.api.createBoard('Old board')
    const conn = connectBoard({ baseUrl: suite.server.url, boardId: board.id, token: owner.token, WebSocket })
    await conn.whenSynced()
    conn.doc.transact(() => {
      const add = (root: string, id: string, fields: Record<string, unknown>) => {
        const m = new Y.Map<unknown>()
        for (const [k, v] of Object.entries(fields)) m.set(k, v)
        conn.doc.getMap(root).set(id, m)
      }
      add('shapes', 'oldrect', { type: 'rect', x: 0, y: 0, w: 200, h: 100, fill: '#a5d8ff', stroke: '#1e1e1e', text: 'Old label', z: 1 })
      add('shapes', 'oldsticky', { type: 'sticky', x: 300, y: 0, w: 160, h: 160, fill: '#fff3a0', stroke: '#1e1e1e', text: 'Sticky words', z: 2 })
      add('shapes', 'oldarrow', { type: 'arrow', x: 200, y: 50, w: 100, h: 30, stroke: '#1e1e1e', from: 'oldrect', to: 'oldsticky', z: 3 })
      add('shapes', 'oldpen', { type: 'pen', x: 0, y: 200, w: 100, h: 40, stroke: '#e03131', points: [0, 0, 0.5, 50, 20, 0.5, 100, 40, 0.5], z: 4 })
      add('markup', 'oldnote', { type: 'note', x: 500, y: 200, w: 140, h: 100, text: 'Review note', z: 1, author: { id: 'someone', kind: 'guest', name: 'Rae' } })
    })
    await waitFor(() => conn.saveState === 'saved', 10_000, 'old entries saved')
    conn.destroy()

    const { page } = await open(owner)
    await openBoard(page, suite.server.url, board.id)
    const els = await waitForScene(page, (e) => e.length >= 7, 'the old content')
    expect(els.filter((e) => e.type === 'text').map((e) => e.text).sort()).toEqual(['Old label', 'Review note', 'Sticky words'])
    expect(els.find((e) => e.type === 'arrow')!.startBinding?.elementId).toBe('oldrect')
    expect(els.some((e) => e.type === 'freedraw')).toBe(true)
    // Markup paints above every shape.
    expect(els[els.length - 1]!.containerId ?? els[els.length - 1]!.id).toBe('oldnote')
    // Opening changed nothing in the document.
    expect((await docOf(page, 'shapes')).oldrect).toMatchObject({ type: 'rect', w: 200 })
    await shot(page, 'canvas-old-board')

    // The first edit writes the entry (and its label) in the new schema.
    await pickTool(page, 'selection')
    const rect = els.find((e) => e.id === 'oldrect')!
    await drag(page, await pageXY(page, rect.x + 10, rect.y + 10), await pageXY(page, rect.x + 10, rect.y + 70))
    await waitFor(async () => (await docOf(page, 'shapes')).oldrect?.type === 'rectangle', 5000, 'converted on first edit')
    const shapes = await docOf(page, 'shapes')
    expect(shapes.oldrect).not.toHaveProperty('w')
    expect(shapes['oldrect-label']).toMatchObject({ type: 'text', text: 'Old label', containerId: 'oldrect' })
    await page.getByText('Saved').waitFor()
  })

  it('loads nothing from any other host: fonts and assets come from the server itself', async () => {
    const owner = await register(suite.server.url, 'Hugo Host')
    const board = await owner.api.createBoard('Own origin')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const g = await open(null)
    const requested: string[] = []
    g.page.on('request', (r) => requested.push(r.url()))
    await joinByLink(g.page, suite.server.url, invite.token, 'Hana')
    await pickTool(g.page, 'text')
    await g.page.mouse.click(...(Object.values(await canvasPoint(g.page)) as [number, number]))
    await g.page.keyboard.type('Fonts from home, ünïcödé and 漢字')
    await g.page.keyboard.press('Escape')
    await waitForScene(g.page, (els) => els.some((e) => e.type === 'text'), 'the text')
    await g.page.getByTestId('main-menu-trigger').click()
    await Promise.all([g.page.waitForEvent('download'), g.page.getByTestId('export-svg').click()])
    const origin = new URL(suite.server.url).origin
    const foreign = requested.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin)
    expect(foreign).toEqual([])
    expect(requested.some((u) => /\/assets\/excalidraw-[\d.]+\/fonts\/.+\.woff2$/.test(new URL(u).pathname))).toBe(true)
  })
})
