// The account pages for integrations, in the browser: an API key made on its
// page works from a script for its board only, shows when it was last used,
// and stops working when revoked there; a webhook made on its page receives
// a signed test event, and the delivery log shows the receiver's answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Webhook as Verifier } from 'standardwebhooks'
import { createBoard } from '../../../server/test/helpers/fixtures.js'
import { apiClient } from '../../../server/test/helpers/api.js'
import { type Receiver, startReceiver } from '../../../server/test/helpers/webhook-receiver.js'
import { chromiumPath, hasChromium } from './browser.js'
import { register, useBrowserSuite } from './setup.js'

describe.skipIf(!hasChromium)(`integration pages in the browser (${chromiumPath})`, () => {
  let receiver: Receiver
  beforeAll(async () => {
    receiver = await startReceiver()
  })
  afterAll(async () => {
    await receiver?.close()
  })
  const suite = useBrowserSuite(() => ({ WEBHOOK_ALLOW_PRIVATE: '127.0.0.1' }))

  it('an API key made on its page reaches only its board from a script, shows its last use, and dies when revoked there', async () => {
    const me = await register(suite.server.url, 'Kay Keys')
    const api = apiClient(suite.server.url)
    const reached = await createBoard(api, me.token, 'Reached by the key')
    const other = await createBoard(api, me.token, 'Not reached')
    const { page } = await suite.open(me)
    await page.goto(`${suite.server.url}/settings/api-keys`)
    await page.getByLabel('Name').fill('Nightly export')
    await page.getByLabel('Access').selectOption('write')
    await page.getByLabel('Boards').selectOption('some')
    await page.getByLabel('Reached by the key').check()
    await page.getByRole('button', { name: 'Create key' }).click()
    const secret = await page.getByTestId('api-key-secret').locator('input').inputValue()
    expect(secret).toMatch(/^dbk_/)

    expect((await api.get(`/api/boards/${reached.id}`, { token: secret })).status).toBe(200)
    expect((await api.get(`/api/boards/${other.id}`, { token: secret })).status).toBe(403)
    await page.getByRole('button', { name: 'Done' }).click()
    await page.reload()
    const row = page.getByTestId('api-key-list').locator('li', { hasText: 'Nightly export' })
    await expect.poll(() => row.innerText()).toContain('last used')
    expect(await row.innerText()).toContain('Reached by the key')
    // The secret is nowhere on the page any more.
    expect(await page.content()).not.toContain(secret)

    page.once('dialog', (d) => void d.accept())
    await row.getByRole('button', { name: 'Revoke' }).click()
    await page.getByText('No keys yet.').waitFor()
    expect((await api.get(`/api/boards/${reached.id}`, { token: secret })).status).toBe(401)
  })

  it('a webhook made on its page gets a signed test event, and its delivery log shows the answer', async () => {
    const me = await register(suite.server.url, 'Wes Hooks', 'pro')
    const { page } = await suite.open(me)
    await page.goto(`${suite.server.url}/settings/webhooks`)
    await page.getByLabel('URL').fill(`${receiver.url}/drawbridge`)
    await page.getByRole('button', { name: 'Create webhook' }).click()
    const secret = await page.getByTestId('webhook-secret').locator('input').inputValue()
    expect(secret).toMatch(/^whsec_/)
    await page.getByRole('button', { name: 'Done' }).click()

    const before = receiver.received.length
    receiver.answer({ status: 200, body: 'thanks from the receiver' })
    await page.getByRole('button', { name: 'Send test' }).click()
    await expect.poll(() => receiver.received.length, { timeout: 10_000 }).toBe(before + 1)
    const got = receiver.received[before]!
    // Signed the Standard Webhooks way, with the secret the page showed once.
    const payload = new Verifier(secret).verify(got.body, receiver.headersOf(got)) as { type: string }
    expect(payload.type).toBe('webhook.test')

    await page.getByRole('button', { name: 'Delivery log' }).click()
    const log = page.getByTestId('webhook-deliveries')
    await expect
      .poll(async () => {
        await log.getByRole('button', { name: 'Refresh' }).click()
        return log.innerText()
      }, { timeout: 10_000 })
      .toContain('webhook.test')
    await log.locator('summary').first().click()
    await expect.poll(() => log.innerText()).toContain('thanks from the receiver')
  })
})
