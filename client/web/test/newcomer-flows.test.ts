// The rough edges a newcomer hit, each as they would meet it: signing up
// from a temporary board keeps it in one step; renaming from the header;
// role names in plain words and the free tier's guest cap explained; a guest
// turned away comes back as the same guest when the owner lets guests in again.
import { describe, expect, it } from 'vitest'
import { boardReady, canvasPoint, chromiumPath, docOf, drag, hasChromium, shot, waitForScene } from './browser.js'
import { waitFor } from '../../../server/test/helpers/collab.js'
import { uniqueEmail } from '../../../server/test/helpers/api.js'
import { joinByLink, openBoard, register, useBrowserSuite } from './setup.js'

describe.skipIf(!hasChromium)(`a newcomer's first minutes (${chromiumPath})`, () => {
  const suite = useBrowserSuite()
  const open = suite.open

  it('signing up from a temporary board keeps the board in the same step, with one message', async () => {
    const g = await open(null)
    await g.page.goto(suite.server.url + '/')
    await g.page.getByLabel('Your name').fill('Tess')
    await g.page.getByRole('button', { name: 'Create a board without an account' }).click()
    await g.page.waitForURL('**/b/*')
    const boardId = new URL(g.page.url()).pathname.split('/').pop()!
    await boardReady(g.page)
    // Lands with a drawing tool: the first drag draws.
    await drag(g.page, await canvasPoint(g.page, -150, 0), await canvasPoint(g.page, -40, 60), 10)
    await waitFor(async () => Object.values(await docOf(g.page, 'shapes')).some((m) => m.type === 'freedraw'), 10_000, 'the stroke stored')
    await g.page.getByText('Saved').waitFor()

    await g.page.getByRole('button', { name: 'Sign up so your work comes with you' }).click()
    await g.page.getByTestId('register-page').waitFor()
    expect(await g.page.getByLabel('Name').inputValue()).toBe('Tess')
    await g.page.getByLabel('Email').fill(uniqueEmail('tess'))
    await g.page.getByLabel('Password').fill('correct horse')
    await g.page.getByRole('button', { name: 'Create account' }).click()
    await g.page.waitForURL(`**/b/${boardId}`)
    await boardReady(g.page)

    // Claimed already: no banner, no second click, the owner's role, one toast that says so.
    await g.page.getByTestId('toast').getByText('this board is yours', { exact: false }).waitFor()
    expect(await g.page.getByTestId('temp-banner').count()).toBe(0)
    expect(await g.page.locator('.role-line').textContent()).toBe('Owner')
    await g.page.waitForTimeout(1000)
    expect(await g.page.getByTestId('toast').count()).toBe(1)
    await waitForScene(g.page, (els) => els.some((e) => e.type === 'freedraw' && !e.locked), 'the stroke, still editable')
    await shot(g.page, 'newcomer-signed-up-claimed')
  }, 60_000)

  it('on a phone the temporary-board banner is one compact row, its buttons on screen', async () => {
    const { page } = await open(null, { width: 390, height: 844, touch: true })
    await page.goto(suite.server.url + '/')
    await page.getByLabel('Your name').fill('Pia')
    await page.getByRole('button', { name: 'Create a board without an account' }).click()
    await page.waitForURL('**/b/*')
    const banner = page.getByTestId('temp-banner')
    await banner.waitFor()
    expect(await banner.innerText()).toMatch(/^Temporary: deleted in (23 h \d+ min|24 h)\./)
    const box = (await banner.boundingBox())!
    expect(box.height).toBeLessThanOrEqual(48)
    for (const control of [page.getByRole('button', { name: 'Sign up so your work comes with you' }), page.getByTestId('download-copy')]) {
      const b = (await control.boundingBox())!
      expect(b.x).toBeGreaterThanOrEqual(0)
      expect(b.x + b.width).toBeLessThanOrEqual(390)
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
    await shot(page, 'newcomer-phone-temporary')
  })

  it('the owner renames the board from the header; a guest sees the new name and has no rename control', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const board = await owner.api.createBoard('Old name')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const o = await open(owner)
    await openBoard(o.page, suite.server.url, board.id)
    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Gus')

    await o.page.getByRole('button', { name: 'Board title: Old name. Rename' }).click()
    const field = o.page.getByLabel('Board title')
    expect(await field.inputValue()).toBe('Old name')
    // Letters typed here are the title, not tool shortcuts (r would pick the rectangle).
    await o.page.keyboard.type('Roadmap review')
    await o.page.keyboard.press('Enter')
    await o.page.getByRole('button', { name: 'Board title: Roadmap review. Rename' }).waitFor()
    expect(await o.page.evaluate(() => (window as unknown as { __drawbridge: { excalidraw: { getAppState(): { activeTool: { type: string } } } } }).__drawbridge.excalidraw.getAppState().activeTool.type)).not.toBe('rectangle')
    expect((await owner.api.getBoard(board.id)).title).toBe('Roadmap review')
    await waitFor(async () => (await g.page.locator('.board-title').textContent()) === 'Roadmap review', 10_000, 'the guest sees the new name')
    expect(await g.page.getByRole('button', { name: /Rename/ }).count()).toBe(0)

    // Escape leaves the name as it was.
    await o.page.getByRole('button', { name: 'Board title: Roadmap review. Rename' }).click()
    await o.page.keyboard.type('Nope')
    await o.page.keyboard.press('Escape')
    await o.page.getByRole('button', { name: 'Board title: Roadmap review. Rename' }).waitFor()
    expect((await owner.api.getBoard(board.id)).title).toBe('Roadmap review')
    await shot(o.page, 'newcomer-renamed')
  })

  it('explains the free tier’s guest cap when promoting a guest, and names roles in plain words', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const board = await owner.api.createBoard('Free board')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Gwen')

    const o = await open(owner)
    await openBoard(o.page, suite.server.url, board.id)
    await o.page.getByRole('button', { name: 'Share' }).click()
    const dialog = o.page.getByRole('dialog', { name: 'Share this board' })
    await dialog.getByTestId('guest-cap').getByText('On a free board guests can be at most Reviewer', { exact: false }).waitFor()
    const select = dialog.getByLabel('Role of Gwen')
    const editor = select.locator('option[value="editor"]')
    expect(await editor.textContent()).toBe('Editor (not for guests on a free board)')
    expect(await editor.isDisabled()).toBe(true)
    await shot(o.page, 'newcomer-guest-cap')

    // The server still decides: asked anyway, it keeps the guest at Reviewer.
    expect((await owner.api.changeRole(board.id, 'guest', (await owner.api.listParticipants(board.id)).find((p) => p.guest)!.id, 'editor')).role).toBe('reviewer')

    await select.selectOption('reader')
    await g.page.getByTestId('toast').getByText('Your role is now Reader: you can look, pan, zoom and follow others.').waitFor()
    await g.page.getByTestId('view-only-banner').waitFor()
  })

  it('a guest turned away by “specific users” keeps its identity and comes back as itself', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const board = await owner.api.createBoard('Members only for a while')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Gabe')
    // A reviewer lands with a drawing tool too: the first drag scribbles markup.
    await drag(g.page, await canvasPoint(g.page, -100, 0), await canvasPoint(g.page, 0, 60), 10)
    await waitFor(async () => Object.values(await docOf(g.page, 'markup')).some((m) => m.type === 'freedraw'), 10_000, 'markup stored')
    await g.page.getByText('Saved').waitFor()
    const stored = () => g.page.evaluate((id) => localStorage.getItem(`drawbridge.guest.${id}`), board.id)
    const identity = await stored()
    expect(identity).not.toBeNull()

    g.expectFailure(403, 'GET', /^\/api\/boards\/[\w-]+(\/participants)?$/)
    await owner.api.updateBoard(board.id, { accessMode: 'specific_users' })
    await g.page.getByRole('heading', { name: 'Guests are not allowed on this board' }).waitFor()
    await g.page.waitForTimeout(300)
    expect(await stored()).toBe(identity)

    // Let back in: the same guest, whose scribble is still theirs to change.
    await owner.api.updateBoard(board.id, { accessMode: 'link' })
    await g.page.getByTestId('try-again').click()
    await boardReady(g.page)
    await waitForScene(g.page, (els) => els.some((e) => e.type === 'freedraw' && !e.locked), 'own scribble, unlocked')
    const guests = (await owner.api.listParticipants(board.id)).filter((p) => p.guest)
    expect(guests.map((p) => p.name)).toEqual(['Gabe'])
  })
})
