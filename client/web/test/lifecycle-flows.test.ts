// Browser flows 4 and 5: a temporary board made without an account, claimed
// live by a registered user; an invite link revoked under a guest's feet.
// Plus the locked-board notice and a refused change's toast and resync.
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { canvasPoint, chromiumPath, docOf, drag, hasChromium, pickTool, shot, waitForScene } from './browser.js'
import { waitFor } from '../../../server/test/helpers/collab.js'
import { joinByLink, register, useBrowserSuite } from './setup.js'

describe.skipIf(!hasChromium)(`board lifecycle in the browser (${chromiumPath})`, () => {
  const suite = useBrowserSuite()
  const open = suite.open

  it('4: a guest makes a board without an account; a registered user claims it; the banner goes for both', async () => {
    const g = await open(null)
    const home = await g.page.goto(suite.server.url + '/')
    expect(home?.status(), 'GET / serves the app shell').toBe(200)
    await g.page.getByLabel('Your name').fill('Tess')
    await g.page.getByRole('button', { name: 'Create a board without an account' }).click()
    await g.page.waitForURL('**/b/*')
    const banner = g.page.getByTestId('temp-banner')
    await banner.waitFor()
    expect(await banner.innerText()).toMatch(/This board will be deleted in (23 h \d+ min|24 h) unless a registered user claims it/)
    expect(await g.page.locator('.board-title').textContent()).toBe('Untitled (temporary)')
    await g.page.getByRole('button', { name: 'Sign up so your work comes with you' }).waitFor()

    // The guest can keep its work even if nobody claims the board.
    const [download] = await Promise.all([g.page.waitForEvent('download'), g.page.getByTestId('download-copy').click()])
    expect(download.suggestedFilename()).toBe('Untitled (temporary).json')
    const saved = JSON.parse(await readFile((await download.path())!, 'utf8'))
    expect(saved).toMatchObject({ format: 'drawbridge.board', version: 1, board: { title: 'Untitled' } })

    // The creating guest may share it so that someone with an account can claim it.
    await g.page.getByRole('button', { name: 'Share' }).click()
    await g.page.getByRole('button', { name: 'Create link' }).click()
    const link = await g.page.locator('.invite-url').first().inputValue()
    expect(link).toMatch(/\/join\/[\w-]+$/)
    await g.page.keyboard.press('Escape')
    await shot(g.page, 'flow4-guest-temporary')

    const claimer = await register(suite.server.url, 'Cleo Claimer')
    const u = await open(claimer)
    await u.page.goto(link)
    await u.page.getByRole('button', { name: 'Join board' }).click()
    await u.page.waitForURL('**/b/*')
    await u.page.getByTestId('temp-banner').waitFor()
    await u.page.getByRole('button', { name: 'Claim board' }).click()
    await u.page.getByTestId('temp-banner').waitFor({ state: 'detached' })
    await g.page.getByTestId('temp-banner').waitFor({ state: 'detached' })
    await waitFor(async () => (await g.page.locator('.board-title').textContent()) === 'Untitled', 10_000, 'title without the temporary marker')
    await shot(u.page, 'flow4-claimed-user')
    await shot(g.page, 'flow4-claimed-guest')
  }, 60_000)

  it('5: the owner revokes the link and the guest sees the access-removed screen', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const board = await owner.api.createBoard('Secret plans')
    const o = await open(owner)
    await o.page.goto(`${suite.server.url}/b/${board.id}`)
    await o.page.getByRole('button', { name: 'Share' }).click()
    const dialog = o.page.getByRole('dialog', { name: 'Share this board' })
    await dialog.getByLabel('Role').selectOption('editor')
    await dialog.getByRole('button', { name: 'Create link' }).click()
    // A free board caps guests at reviewer, and the dialog says so.
    await dialog.getByText('guests get Reviewer').waitFor()
    const link = await dialog.locator('.invite-url').first().inputValue()
    await shot(o.page, 'flow5-share-dialog')

    const g = await open(null)
    await g.page.goto(link)
    await g.page.getByLabel('Your name').fill('Gus')
    await g.page.getByRole('button', { name: 'Enter as guest' }).click()
    await g.page.waitForURL(`**/b/${board.id}`)
    await g.page.getByText('Saved').waitFor()

    // A participants refresh, or the session state (timer, summon, vote, notes) loaded once the guest's
    // events subscription is accepted, already in flight when the link goes is refused (seen on a slow
    // machine); the guest's screen comes from the socket.
    g.expectFailure(403, 'GET', /^\/api\/boards\/[\w-]+\/(participants|timer|summon|votes\/current|private-notes)$/)
    await dialog.getByRole('button', { name: 'Revoke' }).click()
    await g.page.getByTestId('fatal-removed').waitFor()
    expect(await g.page.getByRole('heading').textContent()).toBe('Your access to this board was removed')
    await shot(g.page, 'flow5-guest-removed')

    // The link itself now says it was revoked.
    const late = await open(null)
    const failed: number[] = []
    late.page.on('response', (r) => r.status() >= 400 && failed.push(r.status()))
    // The 410 is the point of this check.
    late.expectFailure(410, 'GET', /^\/api\/invites\//)
    await late.page.goto(link)
    await late.page.getByRole('heading', { name: 'This invite link was revoked' }).waitFor()
    expect(failed).toEqual([410])
  })

  it('tells a guest when the owner turns guests away', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner')
    const board = await owner.api.createBoard('Members only soon')
    const invite = await owner.api.createInvite(board.id, { role: 'reviewer' })
    const g = await open(null)
    await g.page.goto(`${suite.server.url}/join/${invite.token}`)
    await g.page.getByLabel('Your name').fill('Gwen')
    await g.page.getByLabel('Your name').press('Enter')
    await g.page.getByText('Saved').waitFor()
    // Any of the board's panels refreshing (participants, private notes, the vote, the timer, a summon...) when
    // guests are turned away is refused: that is the point. Five of them failed CI one at a time; the screen comes from the events.
    g.expectFailure(403, 'GET', /^\/api\/boards\/[\w-]+\/[\w/-]+$/)
    await owner.api.updateBoard(board.id, { accessMode: 'specific_users' })
    await g.page.getByRole('heading', { name: 'Guests are not allowed on this board' }).waitFor()
    await shot(g.page, 'guests-not-allowed')
    // The link now says so too, before anyone types a name.
    const late = await open(null)
    await late.page.goto(`${suite.server.url}/join/${invite.token}`)
    await late.page.getByTestId('guests-not-allowed').waitFor()
  })

  it('says a board is locked, offers no drawing tools, and recovers from a refused change', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner', 'pro')
    const board = await owner.api.createBoard('Locked soon')
    const invite = await owner.api.createInvite(board.id, { role: 'editor' })
    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Gail')
    await pickTool(g.page, 'rectangle')
    await drag(g.page, await canvasPoint(g.page, -50, -50), await canvasPoint(g.page, 50, 50))
    await g.page.getByText('Saved').waitFor()

    await owner.api.updateBoard(board.id, { locked: true })
    await g.page.getByTestId('locked-banner').getByText('This board is locked; only its owner can change it.').waitFor()
    // View mode: no drawing tools; comments stay.
    await g.page.locator('[data-testid="toolbar-rectangle"]').waitFor({ state: 'detached' })
    expect(await g.page.getByRole('button', { name: 'Comment (C)' }).count()).toBe(1)

    // A change made anyway (as a stale client would) is refused: a plain-language toast, and the board resyncs.
    await g.page.evaluate(() => {
      const w = window as unknown as { __drawbridge: { doc: { getMap(n: string): { forEach(f: (v: { set(k: string, v: unknown): void }) => void): void } } } }
      w.__drawbridge.doc.getMap('shapes').forEach((m) => m.set('x', 999))
    })
    await g.page.getByTestId('toast').getByText('This board is locked; only its owner can change it.', { exact: false }).waitFor()
    await waitForScene(g.page, (els) => els.filter((e) => e.type === 'rectangle').length === 1 && els[0]!.x !== 999, 'resynced shape')
    await g.page.getByText('Saved').waitFor()
    expect(Object.values(await docOf(g.page, 'shapes')).map((s) => s.x)).not.toContain(999)
    await shot(g.page, 'locked-refused')
  })
})
