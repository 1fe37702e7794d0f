// Password reset by a mailed single-use link, against a real SMTP server,
// attacked: reused, superseded, expired and foreign links, a link as a
// bearer token, unknown addresses, floods; and no secret in any log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Api, apiClient, uniqueEmail } from './helpers/api.js'
import { linkIn, startSmtp, type TestSmtp, tokenOf } from './helpers/mail.js'
import { type LoggedServer, startLoggedServer } from './helpers/logged-server.js'

const PUBLIC_URL = 'https://draw.example.test'
let smtp: TestSmtp
let logged: LoggedServer
let api: Api

beforeAll(async () => {
  smtp = await startSmtp()
  logged = await startLoggedServer({ SMTP_URL: smtp.url, PUBLIC_URL, MAIL_FROM: 'Drawbridge <noreply@draw.example.test>' })
  api = apiClient(logged.running.url)
})
afterAll(async () => {
  await logged?.stop()
  await smtp?.close()
})

async function account(password = 'first password') {
  const email = uniqueEmail('reset')
  const res = await api.post('/api/auth/register', { body: { email, password, name: 'Resetter' } })
  expect(res.status).toBe(201)
  return { email, password, token: res.body.token as string, id: res.body.user.id as string }
}

/** Asks for a link and waits for the `n`th reset mail to `email`; answers its token. */
async function resetLink(email: string, n = 1): Promise<string> {
  const res = await api.post('/api/auth/password-reset', { body: { email } })
  expect(res.status).toBe(202)
  await smtp.waitFor(() => smtp.to(email).length >= n, `reset mail #${n} to ${email}`)
  return tokenOf(linkIn(smtp.to(email)[n - 1]!, `${PUBLIC_URL}/reset-password#token=`))
}

const complete = (token: string, password: string) => api.post('/api/auth/password-reset/complete', { body: { token, password } })
const login = (email: string, password: string) => api.post('/api/auth/login', { body: { email, password } })

describe('password reset', () => {
  it('mails a link; the link sets a new password, answers a fresh token and ends every earlier token', async () => {
    const a = await account()
    const second = await login(a.email, a.password)
    const token = await resetLink(a.email)
    const mail = smtp.to(a.email)[0]!
    expect(mail.from).toBe('noreply@draw.example.test')
    expect(mail.subject).toBe('Reset your Drawbridge password')
    const done = await complete(token, 'second password')
    expect(done.status).toBe(200)
    expect(done.body.user).toMatchObject({ id: a.id, email: a.email, emailVerified: true })
    expect((await api.get('/api/me', { token: done.body.token })).status).toBe(200)
    // Every token issued before the reset: 401.
    for (const old of [a.token, second.body.token as string]) {
      const me = await api.get('/api/me', { token: old })
      expect(me.status).toBe(401)
      expect(me.body.error.code).toBe('unauthenticated')
    }
    expect((await login(a.email, a.password)).status).toBe(401)
    expect((await login(a.email, 'second password')).status).toBe(200)
  })

  it('a link works once', async () => {
    const a = await account()
    const token = await resetLink(a.email)
    expect((await complete(token, 'second password')).status).toBe(200)
    const again = await complete(token, 'third password')
    expect(again.status).toBe(400)
    expect(again.body.error.code).toBe('invalid_link')
    expect((await login(a.email, 'second password')).status).toBe(200)
  })

  it('two uses of one link racing: one wins', async () => {
    const a = await account()
    const token = await resetLink(a.email)
    const both = await Promise.all([complete(token, 'racer one pw'), complete(token, 'racer two pw')])
    expect(both.map((r) => r.status).sort()).toEqual([200, 400])
  })

  it('a newer link makes the older one useless; completing a reset spends every link', async () => {
    const a = await account()
    const first = await resetLink(a.email, 1)
    const second = await resetLink(a.email, 2)
    expect((await complete(first, 'second password')).status).toBe(400)
    expect((await complete(second, 'second password')).status).toBe(200)
    expect((await login(a.email, 'second password')).status).toBe(200)
  })

  it("a link resets only its own account: B's link cannot touch A", async () => {
    const a = await account('a password 1')
    const b = await account('b password 1')
    const bToken = await resetLink(b.email)
    const done = await complete(bToken, 'b password 2')
    expect(done.body.user.id).toBe(b.id)
    expect((await login(a.email, 'a password 1')).status).toBe(200)
    expect((await login(a.email, 'b password 2')).status).toBe(401)
    expect((await api.get('/api/me', { token: a.token })).status).toBe(200)
  })

  it('a link is no bearer token, and a bearer token is no link', async () => {
    const a = await account()
    const token = await resetLink(a.email)
    const asBearer = await api.get('/api/me', { token })
    expect(asBearer.status).toBe(401)
    expect(asBearer.body.error.code).toBe('unauthenticated')
    expect((await complete(a.token, 'second password')).status).toBe(400)
    expect((await complete('', 'second password')).status).toBe(400)
    expect((await complete('x'.repeat(500), 'second password')).status).toBe(400)
    // The link still works afterwards: none of that spent it.
    expect((await complete(token, 'second password')).status).toBe(200)
  })

  it('a password that is too short is refused without spending the link', async () => {
    const a = await account()
    const token = await resetLink(a.email)
    const short = await complete(token, 'short')
    expect(short.status).toBe(400)
    expect(short.body.error.code).toBe('invalid_request')
    expect((await complete(token, 'long enough now')).status).toBe(200)
  })

  it('answers an unknown address exactly like a known one, and mails nobody', async () => {
    const a = await account()
    const ghost = uniqueEmail('ghost')
    const unknown = await api.post('/api/auth/password-reset', { body: { email: ghost } })
    const known = await api.post('/api/auth/password-reset', { body: { email: a.email } })
    expect(unknown.status).toBe(202)
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: known.status, body: known.body })
    // Mail goes out in order: once A's has arrived, one for the ghost would have too.
    await smtp.waitFor((m) => m.to.includes(a.email), 'the known address')
    expect(smtp.to(ghost)).toEqual([])
  })

  it('bad input answers the contract error', async () => {
    for (const body of [{ email: 'not an address' }, {}, { email: 42 }]) {
      const res = await api.post('/api/auth/password-reset', { body })
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe('invalid_request')
    }
    const raw = await api.post('/api/auth/password-reset', { rawBody: '{"email":' })
    expect(raw.status).toBe(400)
    expect(raw.body.error.code).toBe('invalid_request')
  })

  it('an address is sent at most 3 links an hour; further requests are answered the same', async () => {
    const a = await account()
    const other = await account()
    for (let i = 0; i < 5; i++) expect((await api.post('/api/auth/password-reset', { body: { email: a.email } })).status).toBe(202)
    await resetLink(other.email)
    expect(smtp.to(a.email)).toHaveLength(3)
  })

  it('no link, token or password reaches the log at any level (SMTP configured)', async () => {
    const a = await account('logged password 1')
    const token = await resetLink(a.email)
    expect((await complete(token, 'logged password 2')).status).toBe(200)
    await complete(token, 'logged password 3')
    const all = logged.lines.join('\n')
    expect(all).toContain('"kind":"password-reset"')
    expect(all).toContain('mail sent')
    expect(all).not.toContain(token)
    expect(all).not.toContain('reset-password#')
    expect(all).not.toContain('logged password')
    expect(all).not.toContain(a.email)
  })
})

describe('password reset, limits and expiry', () => {
  let smtp2: TestSmtp
  let server: LoggedServer
  let api2: Api
  beforeAll(async () => {
    smtp2 = await startSmtp()
    server = await startLoggedServer({ SMTP_URL: smtp2.url, PUBLIC_URL, AUTH_RATE_LIMIT: '3', PASSWORD_RESET_TTL: '1s' }, 'silent')
    api2 = apiClient(server.running.url)
  })
  afterAll(async () => {
    await server?.stop()
    await smtp2?.close()
  })

  it('an expired link is refused', async () => {
    const email = uniqueEmail('expiry')
    expect((await api2.post('/api/auth/register', { body: { email, password: 'first password', name: 'E' } })).status).toBe(201)
    expect((await api2.post('/api/auth/password-reset', { body: { email } })).status).toBe(202)
    const mail = await smtp2.waitFor((m) => m.to.includes(email))
    const token = tokenOf(linkIn(mail, `${PUBLIC_URL}/reset-password#token=`))
    await new Promise((r) => setTimeout(r, 1500))
    const res = await api2.post('/api/auth/password-reset/complete', { body: { token, password: 'second password' } })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('invalid_link')
    expect((await api2.post('/api/auth/login', { body: { email, password: 'first password' } })).status).toBe(200)
  })

  it('requests are limited per client address (AUTH_RATE_LIMIT)', async () => {
    // Three a minute per address and route; the test above used one of them.
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await api2.post('/api/auth/password-reset', { body: { email: uniqueEmail('flood') } })).status)
    expect(statuses).toEqual([202, 202, 429, 429])
    const res = await api2.post('/api/auth/password-reset', { body: { email: uniqueEmail('flood') } })
    expect(res.body.error.code).toBe('rate_limited')
    expect(res.headers.get('retry-after')).toBeTruthy()
  })
})
