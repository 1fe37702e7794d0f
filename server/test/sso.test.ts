// Single sign-on against a real OpenID Connect provider (oidc-provider)
// started here: new accounts, linking by an address the provider vouches for,
// and the attacks: an address it does not vouch for, someone else's sign-in
// slipped into this browser (no cookie, another sign-in's cookie, a forged
// cookie), a code spent twice or used as a token, a refused sign-in; and no
// secret of the flow in any log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Api, apiClient, uniqueEmail } from './helpers/api.js'
import { createInvite, joinAsGuest } from './helpers/fixtures.js'
import { type LoggedServer, startLoggedServer } from './helpers/logged-server.js'
import { startIdp, type TestIdp, type TestPerson } from './helpers/oidc-provider.js'
import { startServer, TEST_ADMIN_TOKEN, type TestServer } from './helpers/server.js'

const PUBLIC_URL = 'https://draw.example.test'
const CALLBACK = `${PUBLIC_URL}/api/auth/sso/callback`
let idp: TestIdp
let logged: LoggedServer
let api: Api
let base: string

beforeAll(async () => {
  idp = await startIdp([CALLBACK])
  logged = await startLoggedServer({
    PUBLIC_URL,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    OIDC_NAME: 'Test IdP',
    EMAIL_VERIFICATION: 'optional',
  })
  base = logged.running.url
  api = apiClient(base)
})
afterAll(async () => {
  await logged?.stop()
  await idp?.close()
})

let subs = 0
const person = (over: Partial<TestPerson> = {}): TestPerson => ({
  sub: `sub-${process.pid}-${subs++}`,
  email: uniqueEmail('sso'),
  email_verified: true,
  name: 'Sam Single',
  ...over,
})

const cookieOf = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith('drawbridge_sso='))?.split(';')[0] ?? ''

/** /start in a fresh "browser": the redirect to the provider and this browser's cookie. */
async function start(): Promise<{ location: string; cookie: string }> {
  const res = await fetch(`${base}/api/auth/sso/start`, { redirect: 'manual' })
  expect(res.status).toBe(302)
  const cookie = cookieOf(res)
  expect(cookie).not.toBe('')
  expect(res.headers.getSetCookie().join()).toMatch(/HttpOnly/i)
  expect(res.headers.getSetCookie().join()).toMatch(/SameSite=Lax/i)
  return { location: res.headers.get('location')!, cookie }
}

/** The provider's answer brought to Drawbridge's callback with `cookie`; answers the /sso page's fragment fields. */
async function callback(back: URL, cookie: string): Promise<URLSearchParams> {
  expect(`${back.origin}${back.pathname}`).toBe(CALLBACK)
  const res = await fetch(`${base}${back.pathname}${back.search}`, { redirect: 'manual', headers: cookie ? { cookie } : {} })
  expect(res.status).toBe(302)
  const landing = new URL(res.headers.get('location')!)
  expect(`${landing.origin}${landing.pathname}`).toBe(`${PUBLIC_URL}/sso`)
  expect(landing.search).toBe('')
  return new URLSearchParams(landing.hash.slice(1))
}

/** A whole sign-in as `who`: the /sso page's fields. */
async function signIn(who: TestPerson): Promise<URLSearchParams> {
  idp.signInAs(who)
  const { location, cookie } = await start()
  return callback(await idp.drive(location), cookie)
}

const complete = (code: string, token?: string) => api.post('/api/auth/sso/complete', { body: { code }, token })

/** Signs in as `who` and spends the code: the session. */
async function session(who: TestPerson, guestToken?: string): Promise<{ user: { id: string; email: string; name: string; emailVerified: boolean }; token: string }> {
  const fields = await signIn(who)
  expect(fields.get('error')).toBeNull()
  const done = await complete(fields.get('code')!, guestToken)
  expect(done.status).toBe(200)
  return done.body
}

async function verifiedAccount(password: string) {
  const email = uniqueEmail('verified')
  const reg = await api.post('/api/auth/register', { body: { email, password, name: 'Vera' } })
  expect(reg.status).toBe(201)
  // The verification mail is composed after the answer; without SMTP it lands in the outbox.
  let mail: { to: string; body: string } | undefined
  for (let i = 0; i < 100 && !mail; i++) {
    const outbox = await api.get('/api/admin/mail', { token: TEST_ADMIN_TOKEN })
    mail = (outbox.body.messages as { to: string; body: string }[]).find((m) => m.to === email)
    if (!mail) await new Promise((r) => setTimeout(r, 50))
  }
  const link = /verify-email#token=([A-Za-z0-9_-]+)/.exec(mail!.body)![1]!
  expect((await api.post('/api/auth/verify-email', { body: { token: link } })).status).toBe(200)
  return { email, id: reg.body.user.id as string, token: reg.body.token as string }
}

const login = (email: string, password: string) => api.post('/api/auth/login', { body: { email, password } })

describe('single sign-on', () => {
  it('says which provider; a first sign-in makes an account with the provider’s name and vouched-for address, and no password', async () => {
    expect((await api.get('/api/auth/sso')).body).toEqual({ sso: { name: 'Test IdP' } })
    const who = person({ name: 'Nadia New' })
    const s = await session(who)
    expect(s.user).toMatchObject({ email: who.email, name: 'Nadia New', emailVerified: true })
    const me = await api.get('/api/me', { token: s.token })
    expect(me.status).toBe(200)
    expect(me.body.principal).toMatchObject({ kind: 'user', id: s.user.id })
    // No password was ever set: none works, and changing it says how to set one.
    expect((await login(who.email!, '')).status).toBe(401)
    expect((await login(who.email!, 'any password at all')).status).toBe(401)
    const change = await api.post('/api/auth/password', { token: s.token, body: { currentPassword: 'x', newPassword: 'a new password' } })
    expect(change.status).toBe(409)
    expect(change.body.error.message).toMatch(/reset link/)
  })

  it('the same identity comes back to the same account, even after its address changes at the provider', async () => {
    const who = person()
    const first = await session(who)
    const again = await session({ ...who, email: uniqueEmail('moved') })
    expect(again.user.id).toBe(first.user.id)
    expect(again.user.email).toBe(who.email)
  })

  it('links to the account with a verified address: same account, its password and sessions keep working', async () => {
    const acct = await verifiedAccount('vera password')
    const s = await session(person({ email: acct.email.toUpperCase() }))
    expect(s.user.id).toBe(acct.id)
    expect((await login(acct.email, 'vera password')).status).toBe(200)
    expect((await api.get('/api/me', { token: acct.token })).status).toBe(200)
  })

  it('attack: an account registered with someone’s address before them loses its password and sessions when they sign in', async () => {
    const email = uniqueEmail('squatted')
    const squatter = await api.post('/api/auth/register', { body: { email, password: 'squatter password', name: 'Squatter' } })
    expect(squatter.body.user.emailVerified).toBe(false)
    const s = await session(person({ email }))
    expect(s.user).toMatchObject({ id: squatter.body.user.id, emailVerified: true })
    expect((await api.get('/api/me', { token: squatter.body.token })).status).toBe(401)
    expect((await login(email, 'squatter password')).status).toBe(401)
    expect((await api.get('/api/me', { token: s.token })).status).toBe(200)
  })

  it('attack: an address the provider does not vouch for is not linked to its account', async () => {
    const acct = await verifiedAccount('victim password')
    const attacker = person({ email: acct.email, email_verified: false })
    for (let i = 0; i < 2; i++) {
      const fields = await signIn(attacker)
      expect(fields.get('code')).toBeNull()
      expect(fields.get('error')).toBe('sso_email_unverified')
      expect(fields.get('message')).toMatch(/Sign in with your password/)
    }
    expect((await login(acct.email, 'victim password')).status).toBe(200)
    expect((await api.get('/api/me', { token: acct.token })).status).toBe(200)
  })

  it('an unvouched address with no account gets a new, unverified account', async () => {
    const s = await session(person({ email_verified: false }))
    expect(s.user.emailVerified).toBe(false)
  })

  it('a provider that shares no address, or a person who cancels, lands on the page with an error', async () => {
    const noMail = await signIn({ sub: `no-mail-${process.pid}`, name: 'No Mail' })
    expect(noMail.get('error')).toBe('sso_failed')
    expect(noMail.get('message')).toMatch(/did not share your e-mail address/)
    idp.refuseNext()
    const { location, cookie } = await start()
    const cancelled = await callback(await idp.drive(location), cookie)
    expect(cancelled.get('error')).toBe('sso_failed')
    expect(cancelled.get('message')).toMatch(/Test IdP did not sign you in \(access_denied\)/)
  })

  it('attack: a sign-in finishes only in the browser that started it (no cookie, another sign-in’s cookie, a forged cookie)', async () => {
    const victimEmail = uniqueEmail('csrf')
    idp.signInAs(person({ email: victimEmail }))
    const attackerFlow = await start()
    const back = await idp.drive(attackerFlow.location)
    const other = await start()
    const [, value] = attackerFlow.cookie.split('=')
    const decoded = decodeURIComponent(value!)
    const dot = decoded.lastIndexOf('.')
    const pending = JSON.parse(decoded.slice(0, dot)) as Record<string, unknown>
    const forged = `drawbridge_sso=${encodeURIComponent(`${JSON.stringify({ ...pending, at: Date.now() + 1 })}${decoded.slice(dot)}`)}`
    for (const cookie of ['', other.cookie, forged, 'drawbridge_sso=junk', `drawbridge_sso=${encodeURIComponent(JSON.stringify(pending))}`]) {
      const fields = await callback(back, cookie)
      expect(fields.get('code'), cookie).toBeNull()
      expect(fields.get('error')).toBe('sso_failed')
    }
    // No account was made for the address along the way.
    const lookup = await api.get(`/api/admin/users?email=${encodeURIComponent(victimEmail)}`, { token: TEST_ADMIN_TOKEN })
    expect(lookup.status).toBe(404)
  })

  it('attack: the provider’s answer works once; a replayed callback gets nothing', async () => {
    idp.signInAs(person())
    const { location, cookie } = await start()
    const back = await idp.drive(location)
    expect((await callback(back, cookie)).get('code')).toBeTruthy()
    // The browser's cookie is spent; even with a copy of it the provider refuses its code a second time.
    const replay = await callback(back, cookie)
    expect(replay.get('code')).toBeNull()
    expect(replay.get('error')).toBe('sso_failed')
  })

  it('attack: the code works once, only at /complete, and is not a token', async () => {
    const fields = await signIn(person())
    const code = fields.get('code')!
    expect((await api.get('/api/me', { token: code })).status).toBe(401)
    const both = await Promise.all([complete(code), complete(code)])
    expect(both.map((r) => r.status).sort()).toEqual([200, 400])
    const again = await complete(code)
    expect(again.status).toBe(400)
    expect(again.body.error.code).toBe('invalid_link')
    for (const junk of ['', 'x'.repeat(201)]) expect((await complete(junk)).body.error.code).toBe('invalid_request')
    expect((await complete('made-up-code')).body.error.code).toBe('invalid_link')
    const bad = await api.post('/api/auth/sso/complete', { rawBody: '{"code":' })
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('invalid_request')
  })

  it('a guest who signs in brings their work: the board and role come into the account', async () => {
    const owner = await api.post('/api/auth/register', { body: { email: uniqueEmail('host'), password: 'host password', name: 'Host' } })
    const board = (await api.post('/api/boards', { token: owner.body.token, body: { title: 'Guest work' } })).body.board
    const guest = await joinAsGuest(api, (await createInvite(api, owner.body.token, board.id, 'reviewer')).token, 'Gus')
    const s = await session(person({ name: 'Gus Real' }), guest.token)
    expect((await api.get('/api/me', { token: guest.token })).status).toBe(401)
    const mine = await api.get('/api/boards', { token: s.token })
    expect(mine.body.boards).toEqual([expect.objectContaining({ id: board.id, myRole: 'reviewer' })])
  })

  it('no secret of the flow reaches the log at any level', async () => {
    idp.signInAs(person())
    const { location, cookie } = await start()
    const back = await idp.drive(location)
    const fields = await callback(back, cookie)
    const code = fields.get('code')!
    const done = await complete(code)
    const all = logged.lines.join('\n')
    expect(all).toContain('/api/auth/sso/callback')
    for (const secret of [idp.clientSecret, code, done.body.token, back.searchParams.get('code')!, back.searchParams.get('state')!, cookie.split('=')[1]!]) {
      expect(all).not.toContain(secret)
    }
  })
})

describe('single sign-on, not set up', () => {
  let plain: TestServer
  beforeAll(async () => {
    plain = await startServer()
  })
  afterAll(async () => {
    await plain?.stop()
  })

  it('says so, and its routes answer 404 in the contract format', async () => {
    const p = apiClient(plain.url)
    expect((await p.get('/api/auth/sso')).body).toEqual({ sso: null })
    for (const res of [await p.get('/api/auth/sso/start'), await p.get('/api/auth/sso/callback?code=a&state=b'), await p.post('/api/auth/sso/complete', { body: { code: 'x' } })]) {
      expect(res.status).toBe(404)
      expect(res.body.error.code).toBe('not_found')
    }
  })
})

describe('single sign-on, provider down', () => {
  let lonely: TestServer
  beforeAll(async () => {
    // Nothing listens there: the server still starts, and /start says the provider cannot be reached.
    lonely = await startServer({ OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'x', OIDC_NAME: 'Away IdP' })
  })
  afterAll(async () => {
    await lonely?.stop()
  })

  it('starts anyway; a sign-in lands on the page with a clear error', async () => {
    const res = await fetch(`${lonely.url}/api/auth/sso/start`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    const fields = new URLSearchParams(new URL(res.headers.get('location')!).hash.slice(1))
    expect(fields.get('error')).toBe('sso_failed')
    expect(fields.get('message')).toMatch(/Away IdP cannot be reached/)
  })
})
