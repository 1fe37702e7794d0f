// The pages mail leads to, in the browser, with a real SMTP server: forgot
// password → the mailed link → a new password, signed in; the verification
// link's page; and a guest leaving an address on a temporary board.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { uniqueEmail } from '../../../server/test/helpers/api.js'
import { linkIn, startSmtp, type TestSmtp, tokenOf } from '../../../server/test/helpers/mail.js'
import { ApiClient } from '../../sdk/index.js'
import { chromiumPath, hasChromium } from './browser.js'
import { useBrowserSuite } from './setup.js'

describe.skipIf(!hasChromium)(`mail pages in the browser (${chromiumPath})`, () => {
  let smtp: TestSmtp
  beforeAll(async () => {
    smtp = await startSmtp()
  })
  afterAll(async () => {
    await smtp?.close()
  })
  const suite = useBrowserSuite(() => ({ SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'optional' }))
  const open = () => suite.open(null)

  it('forgot password → mailed link → new password; the link leaves the address bar and works once', async () => {
    const email = uniqueEmail('webreset')
    await new ApiClient({ baseUrl: suite.server.url }).register({ email, password: 'old password', name: 'Rita' })
    const { page, expectFailure } = await open()
    await page.goto(`${suite.server.url}/signin`)
    await page.getByRole('link', { name: 'Forgot your password?' }).click()
    await page.getByLabel('Email').fill(email)
    await page.getByRole('button', { name: 'Send me a link' }).click()
    await page.getByTestId('forgot-sent').waitFor()
    const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject.startsWith('Reset'))
    const token = tokenOf(linkIn(mail, `${suite.server.config.publicUrl}/reset-password#token=`))

    await page.goto(`${suite.server.url}/reset-password#token=${token}`)
    await page.getByLabel('New password').fill('brand new password')
    expect(page.url()).not.toContain(token)
    await page.getByRole('button', { name: 'Set password' }).click()
    await page.waitForURL(`${suite.server.url}/`)
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('drawbridge.user') ?? 'null') as { user: { email: string } } | null)
    expect(stored?.user.email).toBe(email)

    // The same link again: refused, with a way to ask for a new one.
    expectFailure(400, 'POST', /^\/api\/auth\/password-reset\/complete$/)
    await page.goto(`${suite.server.url}/reset-password#token=${token}`)
    await page.getByLabel('New password').fill('another password')
    await page.getByRole('button', { name: 'Set password' }).click()
    await page.getByRole('alert').filter({ hasText: 'already used' }).waitFor()
    await page.getByRole('link', { name: 'Ask for a new link' }).first().waitFor()
  })

  it('the verification link confirms the address', async () => {
    const email = uniqueEmail('webverify')
    await new ApiClient({ baseUrl: suite.server.url }).register({ email, password: 'a password', name: 'Vic' })
    const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject.startsWith('Confirm'))
    const token = tokenOf(linkIn(mail, `${suite.server.config.publicUrl}/verify-email#token=`))
    const { page } = await open()
    await page.goto(`${suite.server.url}/verify-email#token=${token}`)
    await page.getByText(`Thank you: ${email} is confirmed.`).waitFor()
    expect(page.url()).toBe(`${suite.server.url}/verify-email`)
  })

  it('a guest on a temporary board leaves an address to be reminded, and can take it back', async () => {
    const { page } = await open()
    await page.goto(`${suite.server.url}/`)
    await page.getByLabel('Your name').fill('Remy')
    await page.getByRole('button', { name: 'Create a board without an account' }).click()
    await page.waitForURL('**/b/*')
    await page.getByTestId('claim-reminder-open').click()
    const email = uniqueEmail('webremind')
    await page.getByLabel('Your e-mail address').fill(email)
    await page.getByRole('button', { name: 'Remind me', exact: true }).click()
    await expect.poll(() => page.getByTestId('claim-reminder-set').innerText()).toContain(email)
    // Still there after a reload: the server keeps it.
    await page.reload()
    await page.getByTestId('claim-reminder-set').waitFor()
    await page.getByRole('button', { name: 'Forget my address' }).click()
    await page.getByTestId('claim-reminder-open').waitFor()
  })
})
