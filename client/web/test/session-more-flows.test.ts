// Browser flows for the workshop tools: the lobby (a guest knocks, waits on
// a phone, and the owner lets it in), a named dot vote (a guest votes, the
// facilitator ends it, both see the result) and private notes (a guest's
// note stays out of everyone else's canvas and document until the
// facilitator reveals it).
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { waitFor } from '../../../server/test/helpers/collab.js'
import { canvasPoint, chromiumPath, docOf, drag, hasChromium, pageXY, pickTool, sceneOf, shot, waitForScene } from './browser.js'
import { joinByLink, openBoard, register, useBrowserSuite } from './setup.js'

/** Draws a rectangle around the canvas centre (offset by dx, dy). */
async function drawRectangle(page: Page, dx = 0, dy = 0): Promise<void> {
  await pickTool(page, 'rectangle')
  await drag(page, await canvasPoint(page, dx - 80, dy - 50), await canvasPoint(page, dx + 80, dy + 50))
}

/** Opens the session menu (it may still be open from before). */
async function openSessionMenu(page: Page) {
  const menu = page.getByTestId('session-menu')
  if (!(await menu.isVisible())) await page.getByTestId('session-button').click()
  await menu.waitFor()
  return menu
}

/** A phone's header hides the "Saved" text: wait for the saved state and the canvas. */
async function phoneBoardReady(page: Page): Promise<void> {
  await page.locator('[data-testid="save-state"].save-saved').waitFor({ timeout: 20_000 })
  await page.waitForFunction(() => !!(window as unknown as { __drawbridge?: { excalidraw?: unknown } }).__drawbridge?.excalidraw, undefined, { timeout: 20_000 })
}

describe.skipIf(!hasChromium)(`workshop tools in the browser (${chromiumPath})`, () => {
  const suite = useBrowserSuite()
  const open = suite.open

  it('lobby: the owner turns it on; a guest knocks and waits (on a phone); the owner admits it onto the board', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const board = await owner.api.createBoard('Knock knock')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const o = await open(owner)
    await openBoard(o.page, suite.server.url, board.id)

    await o.page.getByRole('button', { name: 'Share' }).click()
    await o.page.getByTestId('guest-settings').getByLabel('Guests wait to be let in').check()
    await waitFor(async () => (await owner.api.getBoard(board.id)).lobby, 5000, 'the lobby on')
    await shot(o.page, 'lobby-share-settings')
    await o.page.keyboard.press('Escape')

    const g = await open(null, { width: 390, height: 844, touch: true })
    await g.page.goto(`${suite.server.url}/join/${invite.token}`)
    await g.page.getByLabel('Your name').fill('Gus')
    await g.page.getByLabel('Your name').press('Enter')
    const waiting = g.page.getByTestId('lobby-waiting-screen')
    await waiting.waitFor()
    expect(await waiting.textContent()).toContain('Waiting for the host to let you in')
    expect(await g.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
    await shot(g.page, 'lobby-waiting-phone')

    // The owner sees the knock and lets Gus in; the guest goes straight onto the board.
    const card = o.page.getByTestId('knock-card').filter({ hasText: 'Gus' })
    await card.waitFor()
    await shot(o.page, 'lobby-knock')
    await card.getByRole('button', { name: 'Admit Gus' }).click()
    await phoneBoardReady(g.page)
    await card.waitFor({ state: 'detached' })
    await waitFor(async () => (await owner.api.listParticipants(board.id)).some((p) => p.name === 'Gus' && p.online), 10_000, 'Gus on the board')
    // A reload keeps the admitted guest on the board.
    await g.page.reload()
    await phoneBoardReady(g.page)
  })

  it('a named dot vote: the facilitator starts it, a guest votes on an element, the facilitator ends it and both see the result', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const board = await owner.api.createBoard('Priorities')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const o = await open(owner)
    await openBoard(o.page, suite.server.url, board.id)
    await drawRectangle(o.page)
    const shapes = await waitFor(async () => {
      const s = await docOf(o.page, 'shapes')
      return Object.keys(s).length === 1 ? s : null
    }, 5000, 'the rectangle saved')
    const elementId = Object.keys(shapes)[0]!
    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Gus')
    await waitForScene(g.page, (els) => els.some((e) => e.id === elementId), 'the rectangle on the guest’s canvas')

    const menu = await openSessionMenu(o.page)
    const voteMenu = menu.getByTestId('vote-menu')
    await voteMenu.getByLabel('Question (optional)').fill('Which first?')
    await voteMenu.getByLabel('Anonymous: show only the counts at the end').uncheck()
    await voteMenu.getByRole('button', { name: 'Start vote' }).click()
    await voteMenu.getByRole('button', { name: 'End vote' }).waitFor()
    await o.page.keyboard.press('Escape')

    // The guest taps the rectangle and gives it a vote.
    await g.page.getByTestId('vote-bar').waitFor()
    expect(await g.page.getByTestId('votes-left').textContent()).toBe('3 of 3 votes left')
    const el = (await sceneOf(g.page)).find((e) => e.id === elementId)!
    const at = await pageXY(g.page, el.x + el.width / 2, el.y + 4)
    await g.page.mouse.click(at.x, at.y)
    const control = g.page.getByTestId('vote-control')
    await control.waitFor()
    await control.getByRole('button', { name: 'Vote', exact: true }).click()
    await g.page.getByTestId('votes-left').filter({ hasText: '2 of 3 votes left' }).waitFor()
    await g.page.getByTestId('my-vote-dots').waitFor()
    await shot(g.page, 'vote-guest-voted')
    // The facilitator sees only the count, never where it went.
    await o.page.getByTestId('vote-bar').filter({ hasText: '1 cast' }).waitFor()
    expect(await o.page.getByTestId('my-vote-dots').count()).toBe(0)

    await o.page.getByTestId('vote-bar').getByRole('button', { name: 'End vote' }).click()
    for (const page of [o.page, g.page]) {
      const results = page.getByTestId('vote-results')
      await results.waitFor()
      const text = await results.textContent()
      expect(text).toContain('1 vote')
      expect(text).toContain('Gus')
      await page.getByTestId('vote-badge').filter({ hasText: '1' }).waitFor()
    }
    await shot(o.page, 'vote-results-owner')
  })

  it('private notes: a guest’s note stays off everyone else’s canvas and document until the facilitator reveals it', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const board = await owner.api.createBoard('Silent brainstorm')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const o = await open(owner)
    await openBoard(o.page, suite.server.url, board.id)
    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Gus')

    const menu = await openSessionMenu(o.page)
    await menu.getByTestId('notes-menu').getByLabel('Private mode').check()
    await g.page.getByTestId('private-banner').waitFor()
    await o.page.keyboard.press('Escape')

    await drawRectangle(g.page)
    await g.page.getByTestId('private-outline').waitFor()
    // Saved on the server for the guest alone.
    await waitFor(async () => (await owner.api.privateNotes(board.id)).others === 1, 5000, 'the note kept by the server')
    await shot(g.page, 'private-note-guest')
    await o.page.waitForTimeout(500)
    for (const page of [o.page, g.page]) {
      expect(await docOf(page, 'shapes')).toEqual({})
      expect(await docOf(page, 'markup')).toEqual({})
    }
    expect(await sceneOf(o.page)).toEqual([])
    expect((await sceneOf(g.page)).filter((e) => e.type === 'rectangle')).toHaveLength(1)

    const menu2 = await openSessionMenu(o.page)
    await menu2.getByTestId('notes-menu').getByRole('button', { name: /Reveal notes/ }).click()
    await o.page.getByTestId('toast').filter({ hasText: '1 private note revealed' }).waitFor()
    await o.page.keyboard.press('Escape')
    for (const page of [o.page, g.page]) await waitForScene(page, (els) => els.filter((e) => e.type === 'rectangle').length === 1, 'the revealed note')
    const markup = await docOf(o.page, 'markup')
    const entries = Object.values(markup)
    expect(entries).toHaveLength(1)
    expect((entries[0]!.author as { name: string }).name).toBe('Gus')
    await g.page.getByTestId('private-outline').waitFor({ state: 'detached' })
    expect(await g.page.getByTestId('private-banner').count()).toBe(0)
    await shot(o.page, 'private-note-revealed')
  })
})
