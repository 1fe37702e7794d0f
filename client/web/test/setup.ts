// People and boards for browser tests, made through the real API (the SDK),
// and a way to open a page already signed in as someone.
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest'
import { uniqueEmail } from '../../../server/test/helpers/api.js'
import { startServer, TEST_ADMIN_TOKEN, type TestServer } from '../../../server/test/helpers/server.js'
import { ApiClient } from '../../sdk/index.js'
import type { User } from '../../../shared/types.js'
import { boardReady, ensureWebBuild, launch, openPage, type TestPage } from './browser.js'

export interface Person {
  token: string
  user: User
  api: ApiClient
}

export async function register(baseUrl: string, name: string, plan: 'free' | 'pro' = 'free'): Promise<Person> {
  const anon = new ApiClient({ baseUrl })
  const { token, user } = await anon.register({ email: uniqueEmail(name.toLowerCase().replace(/\W/g, '')), password: 'correct horse', name })
  if (plan === 'pro') await anon.setPlan(TEST_ADMIN_TOKEN, user.id, 'pro')
  return { token, user: { ...user, plan }, api: anon.withToken(token) }
}

/** A browser page whose localStorage already holds this person's session. */
export async function pageAs(browser: Browser, person: Person | null, options: { width?: number; height?: number; touch?: boolean } = {}): Promise<TestPage> {
  const tp = await openPage(browser, options)
  if (person) {
    const value = JSON.stringify({ token: person.token, user: person.user })
    await tp.context.addInitScript((v: string) => {
      if (!localStorage.getItem('drawbridge.user')) localStorage.setItem('drawbridge.user', v)
    }, value)
  }
  return tp
}

/**
 * One real server (serving the built app) and one browser for a describe
 * block; pages opened with `open` fail their test on any console error.
 * `env` is read when the server starts (after the file's own earlier
 * beforeAll hooks, e.g. one that starts an SMTP server).
 */
export function useBrowserSuite(env: () => Record<string, string> = () => ({})) {
  // A flow that takes 18 s alone took 30 s beside the rest of the suite on a
  // slow evening: the suite-wide 30 s is a hang guard, not a speed check, and
  // a browser flow needs more room. (Each step still fails after 8 s.)
  vi.setConfig({ testTimeout: 120_000 })
  const state: { server?: TestServer; browser?: Browser } = {}
  const pages: TestPage[] = []
  beforeAll(async () => {
    await ensureWebBuild()
    state.server = await startServer({ SERVE_WEB: 'true', ...env() })
    state.browser = await launch()
  }, 180_000)
  afterEach(async () => {
    for (const p of pages.splice(0)) {
      // Any console error in any page fails the flow that produced it.
      expect(p.errors, 'browser console errors').toEqual([])
      // Nothing a page loads may come from another host (fonts, scripts, images: all served by Drawbridge).
      expect(p.external, 'requests to other hosts').toEqual([])
      await p.context.close()
    }
  })
  afterAll(async () => {
    await state.browser?.close()
    await state.server?.stop()
  })
  return {
    get server(): TestServer {
      return state.server!
    },
    get browser(): Browser {
      return state.browser!
    },
    /** A page in the suite's browser, signed in as `person` (or nobody); closed, and checked for console errors, after each test. */
    async open(person: Person | null, options?: Parameters<typeof pageAs>[2]): Promise<TestPage> {
      const p = await pageAs(state.browser!, person, options)
      pages.push(p)
      return p
    },
  }
}

/** Someone with a session opens a board and waits until it is ready. */
export async function openBoard(page: Page, baseUrl: string, boardId: string): Promise<void> {
  await page.goto(`${baseUrl}/b/${boardId}`)
  await boardReady(page)
}

/** A guest opens an invite link, types a name, presses Enter, and waits for the board. */
export async function joinByLink(page: Page, baseUrl: string, inviteToken: string, name: string): Promise<void> {
  await page.goto(`${baseUrl}/join/${inviteToken}`)
  await page.getByLabel('Your name').fill(name)
  await page.getByLabel('Your name').press('Enter')
  await boardReady(page)
}
