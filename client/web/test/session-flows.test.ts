// Browser flows for running a session: the owner takes a guest out (the
// guest is told and rejoins) or bans one (out, and this browser is refused
// when it tries the link again, until the ban is lifted); the shared timer
// counts down for a guest (and fits a phone); an editor brings everyone to
// their view, with presenter mode holding a reader until released.
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { waitFor } from '../../../server/test/helpers/collab.js'
import { boardReady, canvasPoint, chromiumPath, drag, hasChromium, shot } from './browser.js'
import { joinByLink, openBoard, register, useBrowserSuite } from './setup.js'

interface CameraWindow {
  __drawbridge: {
    excalidraw: {
      getAppState(): { scrollX: number; scrollY: number; zoom: { value: number }; width: number; height: number }
      updateScene(scene: { appState: { scrollX: number; scrollY: number; zoom: { value: number } } }): void
    }
  }
}

/** The scene rectangle a page sees. */
async function visibleOf(page: Page): Promise<{ x: number; y: number; w: number; h: number }> {
  return page.evaluate(() => {
    const s = (window as unknown as CameraWindow).__drawbridge.excalidraw.getAppState()
    return { x: -s.scrollX, y: -s.scrollY, w: s.width / s.zoom.value, h: s.height / s.zoom.value }
  })
}

/**
 * Whether `inner` is fitted into `outer`: the same centre, all of it seen,
 * and one side nearly matching (Excalidraw rounds a fitted zoom down to its
 * 10 % steps, so a little more may show).
 */
function fitted(outer: { x: number; y: number; w: number; h: number }, inner: { x: number; y: number; w: number; h: number }): boolean {
  const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol
  const centred = close(outer.x + outer.w / 2, inner.x + inner.w / 2, 3) && close(outer.y + outer.h / 2, inner.y + inner.h / 2, 3)
  const contains = outer.w >= inner.w * 0.99 && outer.h >= inner.h * 0.99
  const oneSide = close(outer.w, inner.w, inner.w * 0.1) || close(outer.h, inner.h, inner.h * 0.1)
  return centred && contains && oneSide
}

/** Moves a page's view somewhere distinctive (through Excalidraw's API, as a person's pan and zoom would). */
async function moveView(page: Page, scrollX: number, scrollY: number, zoom: number): Promise<void> {
  await page.evaluate(([x, y, z]) => (window as unknown as CameraWindow).__drawbridge.excalidraw.updateScene({ appState: { scrollX: x!, scrollY: y!, zoom: { value: z! } } }), [scrollX, scrollY, zoom])
}

const timerText = (page: Page) => page.getByTestId('timer-text').textContent()
const seconds = (text: string | null) => {
  const [m, s] = (text ?? '').split(':').map(Number)
  return (m ?? 0) * 60 + (s ?? 0)
}

describe.skipIf(!hasChromium)(`running a session in the browser (${chromiumPath})`, () => {
  const suite = useBrowserSuite()
  const open = suite.open

  it('the owner takes a guest out; the guest is told so and rejoins as the same guest', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const board = await owner.api.createBoard('Workshop')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const o = await open(owner)
    await openBoard(o.page, suite.server.url, board.id)
    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Gus')
    const guestId = await g.page.evaluate(() => Object.keys(localStorage).find((k) => k.startsWith('drawbridge.guest.')))

    await o.page.getByTestId('people-button').click()
    const people = o.page.getByTestId('participants')
    // Never offered against the owner, nor against oneself.
    await people.getByRole('button', { name: 'Take Gus out of the session' }).waitFor()
    expect(await people.getByRole('button', { name: /Olivia Owner/ }).count()).toBe(1)
    expect(await people.getByRole('button', { name: 'Take Olivia Owner out of the session' }).count()).toBe(0)
    expect(await people.getByRole('button', { name: 'Ban Olivia Owner' }).count()).toBe(0)
    await shot(o.page, 'session-people-actions')
    await people.getByRole('button', { name: 'Take Gus out of the session' }).click()
    await o.page.getByTestId('toast').filter({ hasText: 'Gus was taken out of the session' }).waitFor()

    const kicked = g.page.getByTestId('fatal-kicked')
    await kicked.waitFor()
    expect(await kicked.textContent()).toContain('A host took you out of this session.')
    await shot(g.page, 'session-kicked')
    // Rejoin: the same guest identity, straight back onto the board.
    await g.page.getByTestId('rejoin').click()
    await boardReady(g.page)
    expect(await g.page.evaluate(() => Object.keys(localStorage).find((k) => k.startsWith('drawbridge.guest.')))).toBe(guestId)
    await waitFor(async () => (await owner.api.listParticipants(board.id)).some((p) => p.name === 'Gus' && p.online), 10_000, 'Gus online again')
    expect((await owner.api.listParticipants(board.id)).filter((p) => p.guest)).toHaveLength(1)
  })

  it('the owner bans a guest; the guest is out, and this browser is refused at the link until the ban is lifted', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const board = await owner.api.createBoard('Town hall')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const o = await open(owner)
    await openBoard(o.page, suite.server.url, board.id)
    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Troll')
    // The join sent this browser's own id, kept for the next joins.
    const browserId = await g.page.evaluate(() => localStorage.getItem('drawbridge.browser'))
    expect(browserId).toMatch(/^[A-Za-z0-9_-]{8,64}$/)
    // Requests already in flight when access goes (the participants list, the timer) may be refused.
    g.expectFailure(403, 'GET', /^\/api\/boards\//)
    g.expectFailure(401, 'GET', /^\/api\/boards\//)

    await o.page.getByTestId('people-button').click()
    await o.page.getByTestId('participants').getByRole('button', { name: 'Ban Troll' }).click()
    const confirm = o.page.getByRole('alertdialog', { name: 'Ban Troll?' })
    await confirm.waitFor()
    await shot(o.page, 'session-ban-confirm')
    await confirm.getByRole('button', { name: 'Ban', exact: true }).click()
    await o.page.getByTestId('toast').filter({ hasText: 'Troll was banned' }).waitFor()
    await o.page.getByTestId('participants').getByText('Troll').waitFor({ state: 'detached' })

    // The guest is out: the removed (or banned) screen.
    await g.page.locator('[data-testid="fatal-removed"], [data-testid="fatal-banned"]').waitFor()
    await shot(g.page, 'session-banned-out')

    // Back at the link from the same browser, under another name: refused, in plain words.
    g.expectFailure(403, 'POST', /^\/api\/invites\/[\w-]+\/join$/)
    await g.page.goto(`${suite.server.url}/join/${invite.token}`)
    await g.page.getByLabel('Your name').fill('Not Troll')
    await g.page.getByLabel('Your name').press('Enter')
    const refused = g.page.getByTestId('join-banned')
    await refused.waitFor()
    expect(await refused.textContent()).toContain('banned')
    await shot(g.page, 'session-banned-join')

    // The owner sees the ban in the share dialog and lifts it; the browser may join again.
    await o.page.getByRole('button', { name: 'Share' }).click()
    const bans = o.page.getByTestId('bans')
    await bans.getByText('Troll').waitFor()
    await shot(o.page, 'session-bans')
    await bans.getByRole('button', { name: 'Lift the ban on Troll' }).click()
    await o.page.getByText('Nobody is banned.').waitFor()
    await g.page.goto(`${suite.server.url}/join/${invite.token}`)
    await g.page.getByLabel('Your name').fill('Reformed')
    await g.page.getByLabel('Your name').press('Enter')
    await boardReady(g.page)
  })

  it('the owner starts the timer on a phone; a guest sees it count down, pause and run out', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const board = await owner.api.createBoard('Retro with a rather long title for a phone')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const o = await open(owner, { width: 390, height: 844, touch: true })
    await o.page.goto(`${suite.server.url}/b/${board.id}`)
    await o.page.locator('[data-testid="save-state"].save-saved').waitFor({ timeout: 20_000 })
    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Gia')
    // Nothing to see while the timer is off, and no controls for a reviewer guest.
    expect(await g.page.getByTestId('session-timer').count()).toBe(0)
    expect(await g.page.getByTestId('session-button').count()).toBe(0)

    await o.page.getByTestId('session-button').tap()
    const menu = o.page.getByTestId('session-menu')
    await menu.waitFor()
    // The menu fits the phone, and nothing scrolls sideways.
    const box = (await menu.boundingBox())!
    expect(box.x).toBeGreaterThanOrEqual(0)
    expect(box.x + box.width).toBeLessThanOrEqual(390)
    expect(box.y + box.height).toBeLessThanOrEqual(844)
    expect((await o.page.locator('.board-header').boundingBox())!.width).toBeLessThanOrEqual(390)
    await shot(o.page, 'session-menu-phone')
    await menu.getByRole('button', { name: 'Start a 3 minute timer' }).tap()
    await menu.getByRole('button', { name: 'Pause' }).waitFor()
    expect(await o.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)

    // The guest sees the countdown, and it moves.
    await g.page.getByTestId('session-timer').waitFor()
    const first = seconds(await timerText(g.page))
    expect(first).toBeGreaterThan(170)
    expect(first).toBeLessThanOrEqual(180)
    await waitFor(async () => seconds(await timerText(g.page)) < first, 5000, 'the guest’s countdown moving')
    await shot(g.page, 'session-timer-guest')

    // Paused: the guest's countdown stops where it was.
    await menu.getByRole('button', { name: 'Pause' }).tap()
    await g.page.locator('[data-testid="session-timer"].timer-paused').waitFor()
    const paused = await timerText(g.page)
    await g.page.waitForTimeout(1200)
    expect(await timerText(g.page)).toBe(paused)

    // A short timer (started through the API) runs out: "Time's up" for everyone.
    await owner.api.setTimer(board.id, { action: 'start', durationMs: 2000 })
    await g.page.getByTestId('session-timer').filter({ hasText: 'Time’s up' }).waitFor({ timeout: 6000 })
    await o.page.getByTestId('session-button').filter({ hasText: 'Time’s up' }).waitFor()
    await shot(g.page, 'session-timer-up')
    await owner.api.setTimer(board.id, { action: 'stop' })
    await g.page.getByTestId('session-timer').waitFor({ state: 'detached' })
  })

  it('an editor brings everyone to their view; a reader breaks away, then presenter mode holds them until release', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const editor = await register(suite.server.url, 'Eddie Editor')
    const board = await owner.api.createBoard('Walkthrough')
    await editor.api.joinAsUser((await owner.api.createInvite(board.id, { role: 'editor' })).token)
    const invite = await owner.api.createInvite(board.id, { role: 'reader' })

    const e = await open(editor)
    await openBoard(e.page, suite.server.url, board.id)
    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Rae')
    const start = await visibleOf(g.page)

    // The editor looks somewhere else, zoomed in, and brings everyone there.
    await moveView(e.page, -2400, -1500, 1.6)
    const there = await visibleOf(e.page)
    expect(fitted(start, there)).toBe(false)
    await e.page.getByTestId('session-button').click()
    await e.page.getByTestId('session-menu').getByRole('button', { name: 'Bring everyone to me' }).click()

    const banner = g.page.getByTestId('summon-banner')
    await banner.waitFor()
    expect(await banner.textContent()).toContain('Following Eddie Editor’s view')
    await waitFor(async () => fitted(await visibleOf(g.page), there), 5000, 'the guest’s view on the editor’s')
    await shot(g.page, 'session-summoned')

    // The reader pans: breaking away.
    await drag(g.page, await canvasPoint(g.page, 0, 0), await canvasPoint(g.page, 150, 90))
    await banner.waitFor({ state: 'detached' })
    expect(fitted(await visibleOf(g.page), there)).toBe(false)

    // Presenter mode: the reader is brought back and stays.
    await e.page.getByTestId('session-button').click()
    const menu = e.page.getByTestId('session-menu')
    await menu.getByLabel('Presenter mode: readers stay on my view').check()
    await menu.getByRole('button', { name: 'Bring everyone to me' }).click()
    await banner.waitFor()
    expect(await banner.textContent()).toContain('presenter mode')
    expect(await banner.getByRole('button', { name: 'Break away' }).count()).toBe(0)
    await waitFor(async () => fitted(await visibleOf(g.page), there), 5000, 'the guest back on the editor’s view')
    await drag(g.page, await canvasPoint(g.page, 0, 0), await canvasPoint(g.page, -160, -100))
    await g.page.waitForTimeout(300)
    expect(fitted(await visibleOf(g.page), there)).toBe(true)
    await banner.waitFor()
    await shot(g.page, 'session-presenter-held')

    // Release: the reader may look around again.
    await e.page.getByTestId('presenting-banner').getByRole('button', { name: 'Release' }).click()
    await banner.waitFor({ state: 'detached' })
    await drag(g.page, await canvasPoint(g.page, 0, 0), await canvasPoint(g.page, 160, 100))
    await waitFor(async () => !fitted(await visibleOf(g.page), there), 3000, 'the guest free to pan')
  })
})
