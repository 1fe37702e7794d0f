// "Sign in with …" in the browser, through a real OpenID Connect provider
// (oidc-provider) started here: the button on the sign-in page, the trip to
// the provider and back, the /sso page signing in and going on; a refused
// sign-in shown as a message; a guest's board kept when they sign in.
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { uniqueEmail } from '../../../server/test/helpers/api.js'
import { startIdp, type TestIdp } from '../../../server/test/helpers/oidc-provider.js'
import { ApiClient } from '../../sdk/index.js'
import { chromiumPath, hasChromium } from './browser.js'
import { useBrowserSuite } from './setup.js'

/** A port free now, so the server's public URL (the provider's redirect target) is known before it starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

describe.skipIf(!hasChromium)(`single sign-on in the browser (${chromiumPath})`, () => {
  let idp: TestIdp
  let publicUrl: string
  beforeAll(async () => {
    const port = await freePort()
    publicUrl = `http://127.0.0.1:${port}`
    idp = await startIdp([`${publicUrl}/api/auth/sso/callback`])
  })
  afterAll(async () => {
    await idp?.close()
  })
  const suite = useBrowserSuite(() => ({
    PORT: new URL(publicUrl).port,
    PUBLIC_URL: publicUrl,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    OIDC_NAME: 'Acme Login',
  }))

  const storedUser = (page: import('playwright-core').Page) =>
    page.evaluate(() => JSON.parse(localStorage.getItem('drawbridge.user') ?? 'null') as { user: { email: string; name: string } } | null)

  it('the sign-in page offers the provider; signing in there comes back signed in, where the person was going', async () => {
    const email = uniqueEmail('websso')
    idp.signInAs({ sub: `web-${email}`, email, email_verified: true, name: 'Ada Acme' })
    const { page } = await suite.open(null)
    await page.goto(`${suite.server.url}/signin?next=/settings/api-keys`)
    await page.getByRole('link', { name: 'Sign in with Acme Login' }).click()
    await page.waitForURL(`${suite.server.url}/settings/api-keys`)
    expect(await storedUser(page)).toMatchObject({ user: { email, name: 'Ada Acme' } })
    // The one-time code never stays in the address bar or the history.
    expect(page.url()).not.toContain('#')
    await page.goBack()
    expect(page.url()).not.toContain('code=')
  })

  it('a sign-in the provider refuses ends on a page that says so, signed out', async () => {
    idp.refuseNext()
    const { page } = await suite.open(null)
    await page.goto(`${suite.server.url}/register`)
    await page.getByRole('link', { name: 'Sign in with Acme Login' }).click()
    await page.getByTestId('sso-page').waitFor()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Acme Login did not sign you in')
    expect(page.url()).toBe(`${suite.server.url}/sso`)
    expect(await storedUser(page)).toBeNull()
    await page.getByRole('link', { name: 'Back to sign in' }).click()
    await page.getByTestId('signin-page').waitFor()
  })

  it('a guest on a temporary board who signs up with the provider keeps the board', async () => {
    const { page } = await suite.open(null)
    const made = await new ApiClient({ baseUrl: suite.server.url }).createTemporaryBoard('Gwen', 'Keep me')
    await page.goto(`${suite.server.url}/`)
    await page.evaluate(
      ([id, s]) => localStorage.setItem(`drawbridge.guest.${id}`, s),
      [made.board.id, JSON.stringify({ token: made.token, guest: made.guest })] as const,
    )
    const email = uniqueEmail('webssoguest')
    idp.signInAs({ sub: `web-${email}`, email, email_verified: true, name: 'Gwen Real' })
    await page.goto(`${suite.server.url}/register?board=${made.board.id}`)
    await page.getByRole('link', { name: 'Sign in with Acme Login' }).click()
    await page.waitForURL(`${suite.server.url}/b/${made.board.id}`)
    const me = await storedUser(page)
    expect(me?.user.email).toBe(email)
    const board = await new ApiClient({ baseUrl: suite.server.url, token: (await page.evaluate(() => JSON.parse(localStorage.getItem('drawbridge.user')!).token)) as string }).getBoard(made.board.id)
    expect(board.ownerless).toBe(false)
  })
})
