// Browser flows for board history: an owner draws, a guest who joined from a
// link vandalises (deletes the owner's shape, scribbles junk); the owner
// previews an earlier version in the History panel, sees what changed and
// who did it, and restores it; or undoes the guest from the people panel
// after seeing the plan. Both canvases follow the document by themselves.
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { waitFor } from '../../../server/test/helpers/collab.js'
import { canvasPoint, chromiumPath, docOf, drag, hasChromium, pageXY, pickTool, type SceneElement, sceneOf, shot, waitForScene } from './browser.js'
import { joinByLink, openBoard, register, useBrowserSuite } from './setup.js'

interface PreviewWindow {
  __drawbridge: { preview?: { getSceneElements(): { id: string; type: string }[] } }
}

/** The elements of the version preview's canvas. */
async function previewScene(page: Page): Promise<{ id: string; type: string }[]> {
  return page.evaluate(() => (window as unknown as PreviewWindow).__drawbridge.preview?.getSceneElements().map((e) => ({ id: e.id, type: e.type })) ?? [])
}

/** The owner draws a rectangle and waits until the server has it; its element id. */
async function ownerDrawsRectangle(page: Page): Promise<SceneElement> {
  await pickTool(page, 'rectangle')
  await drag(page, await canvasPoint(page, -100, -60), await canvasPoint(page, 60, 40))
  const [rect] = await waitForScene(page, (els) => els.some((e) => e.type === 'rectangle'), 'the owner’s rectangle')
  await page.getByText('Saved').waitFor()
  return rect!
}

/** The guest box-selects the owner's rectangle and deletes it, then scribbles and draws a junk rectangle elsewhere. */
async function guestVandalises(page: Page, target: SceneElement): Promise<void> {
  await waitForScene(page, (els) => els.some((e) => e.id === target.id), 'the owner’s rectangle at the guest')
  await pickTool(page, 'selection')
  await drag(page, await pageXY(page, target.x - 30, target.y - 30), await pageXY(page, target.x + target.width + 30, target.y + target.height + 30))
  await page.keyboard.press('Delete')
  await waitForScene(page, (els) => !els.some((e) => e.id === target.id), 'the rectangle gone at the guest')
  await pickTool(page, 'freedraw')
  await drag(page, await canvasPoint(page, 150, 120), await canvasPoint(page, 260, 200), 12)
  await pickTool(page, 'rectangle')
  await drag(page, await canvasPoint(page, -300, 120), await canvasPoint(page, -200, 200))
  await waitForScene(page, (els) => els.some((e) => e.type === 'freedraw') && els.some((e) => e.type === 'rectangle'), 'the junk at the guest')
}

/** Waits until a page's document holds exactly the owner's rectangle (by id) and nothing else. */
async function onlyTheOriginal(page: Page, id: string, what: string): Promise<void> {
  await waitFor(
    async () => {
      const shapes = await docOf(page, 'shapes')
      return Object.keys(shapes).length === 1 && !!shapes[id]
    },
    15_000,
    what,
  )
  await waitForScene(page, (els) => els.length === 1 && els[0]!.id === id, `${what} (scene)`, 15_000)
}

describe.skipIf(!hasChromium)(`board history in the browser (${chromiumPath})`, () => {
  const suite = useBrowserSuite()
  const open = suite.open

  it('the owner previews an earlier version, sees who changed what, and restores it; the guest’s canvas follows', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner', 'pro')
    const board = await owner.api.createBoard('History plan')
    const invite = await owner.api.createInvite(board.id, { role: 'editor' })

    const o = await open(owner)
    await openBoard(o.page, suite.server.url, board.id)
    const rect = await ownerDrawsRectangle(o.page)

    // A named version of the good state, saved from the History panel.
    await o.page.getByTestId('history-button').click()
    await o.page.getByLabel('Version name').fill('Before the workshop')
    await o.page.getByRole('button', { name: 'Save version' }).click()
    await o.page.getByTestId('version').filter({ hasText: 'Before the workshop' }).waitFor()
    await o.page.getByRole('button', { name: 'Close history' }).click()

    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Vandal')
    await guestVandalises(g.page, rect)
    await waitFor(
      async () => {
        const shapes = await docOf(o.page, 'shapes')
        return !shapes[rect.id] && Object.keys(shapes).length === 2
      },
      10_000,
      'the vandalism at the owner',
    )
    await g.page.getByText('Saved').waitFor()

    // The owner opens History and previews the named version.
    await o.page.getByTestId('history-button').click()
    await o.page.getByTestId('version').filter({ hasText: 'Before the workshop' }).getByRole('button', { name: /Before the workshop/ }).click()
    await o.page.getByTestId('version-preview').waitFor()
    await waitFor(async () => {
      const els = await previewScene(o.page)
      return els.length === 1 && els[0]!.id === rect.id
    }, 10_000, 'the version’s rectangle in the preview')
    // The live canvas is untouched by the preview.
    expect(Object.keys(await docOf(o.page, 'shapes'))).toHaveLength(2)
    // What changed since, and who did it: the deletion and the two new elements, all by the guest (marked).
    const changes = o.page.getByTestId('changes')
    await changes.waitFor()
    const deleted = changes.locator('[data-change="deleted"]')
    await expect.poll(() => deleted.count()).toBe(1)
    expect(await deleted.textContent()).toContain('Vandal')
    expect(await deleted.locator('.badge-guest').count()).toBe(1)
    await expect.poll(() => changes.locator('[data-change="added"]').count()).toBe(2)
    await shot(o.page, 'history-preview')

    // Restore, after a confirmation.
    await o.page.getByRole('button', { name: 'Restore this version' }).click()
    await o.page.getByRole('alertdialog', { name: 'Restore this version?' }).getByRole('button', { name: 'Restore', exact: true }).click()
    await o.page.getByTestId('version-preview').waitFor({ state: 'detached' })
    await onlyTheOriginal(o.page, rect.id, 'the restored board at the owner')
    await onlyTheOriginal(g.page, rect.id, 'the restored board at the guest')
    await g.page.getByTestId('toast').filter({ hasText: 'Olivia Owner restored an earlier version' }).waitFor()
    // The restore is in the history now.
    await o.page.getByTestId('version').filter({ hasText: 'Restored' }).first().waitFor()
    // With the panel open, hovering an element says who made it.
    const [back] = await sceneOf(o.page)
    const middle = await pageXY(o.page, back!.x + back!.width / 2, back!.y + back!.height / 2)
    await o.page.mouse.move(middle.x - 20, middle.y - 20)
    await o.page.mouse.move(middle.x, middle.y, { steps: 4 })
    await o.page.getByTestId('attribution-tip').filter({ hasText: 'Created by Olivia Owner' }).waitFor()
    await shot(o.page, 'history-attribution')
    await shot(o.page, 'history-restored-owner')
    await shot(g.page, 'history-restored-guest')
  })

  it('the owner undoes a guest’s changes from the people panel after seeing the plan; the guest’s canvas follows', async () => {
    const owner = await register(suite.server.url, 'Olivia Owner', 'pro')
    const board = await owner.api.createBoard('Revert plan')
    const invite = await owner.api.createInvite(board.id, { role: 'editor' })

    const o = await open(owner)
    await openBoard(o.page, suite.server.url, board.id)
    const rect = await ownerDrawsRectangle(o.page)

    const g = await open(null)
    await joinByLink(g.page, suite.server.url, invite.token, 'Vandal')
    await guestVandalises(g.page, rect)
    await waitFor(
      async () => {
        const shapes = await docOf(o.page, 'shapes')
        return !shapes[rect.id] && Object.keys(shapes).length === 2
      },
      10_000,
      'the vandalism at the owner',
    )
    await g.page.getByText('Saved').waitFor()

    await o.page.getByTestId('people-button').click()
    await o.page.getByRole('button', { name: 'Undo Vandal’s changes' }).click()
    const dialog = o.page.getByRole('dialog', { name: 'Undo someone’s changes' })
    await dialog.waitFor()
    // First the plan, changing nothing.
    await dialog.getByRole('button', { name: 'Preview' }).click()
    const plan = dialog.getByTestId('revert-plan')
    await plan.waitFor()
    expect(await plan.textContent()).toContain('2 elements removed, 1 element brought back, 0 elements reset')
    expect(Object.keys(await docOf(o.page, 'shapes'))).toHaveLength(2)
    await shot(o.page, 'history-revert-plan')

    await dialog.getByRole('button', { name: 'Undo their changes' }).click()
    await dialog.waitFor({ state: 'detached' })
    await onlyTheOriginal(o.page, rect.id, 'the reverted board at the owner')
    await onlyTheOriginal(g.page, rect.id, 'the reverted board at the guest')
    await g.page.getByTestId('toast').filter({ hasText: 'Olivia Owner undid your changes' }).waitFor()
    await shot(g.page, 'history-reverted-guest')
  })
})
