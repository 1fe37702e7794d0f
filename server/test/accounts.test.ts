import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { apiClient, registerUser, uniqueEmail } from './helpers/api.js'
import { startServer, TEST_ADMIN_TOKEN } from './helpers/server.js'
import { useServer } from './helpers/suite.js'


const suite = useServer()
const { api } = suite

describe('register', () => {
  it('creates a free user and returns a token', async () => {
    const email = uniqueEmail('Reg')
    const res = await api.post('/api/auth/register', { body: { email: `  ${email.toUpperCase()} `, password: 'password1', name: ' Ann ' } })
    expect(res.status).toBe(201)
    expect(res.body.user).toEqual({ id: expect.any(String), email: email.toLowerCase(), name: 'Ann', plan: 'free', emailVerified: false })
    expect(typeof res.body.token).toBe('string')
    const me = await api.get('/api/me', { token: res.body.token })
    expect(me.status).toBe(200)
    expect(me.body.principal).toEqual({ kind: 'user', ...res.body.user })
  })

  it('refuses a taken email, whatever its case', async () => {
    const email = uniqueEmail()
    expect((await api.post('/api/auth/register', { body: { email, password: 'password1', name: 'A' } })).status).toBe(201)
    const again = await api.post('/api/auth/register', { body: { email: email.toUpperCase(), password: 'password2', name: 'B' } })
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('email_taken')
  })

  it.each([
    [{ email: 'not-an-email', password: 'password1', name: 'A' }, 'email'],
    [{ email: uniqueEmail(), password: 'short', name: 'A' }, 'password'],
    [{ email: uniqueEmail(), password: 'password1', name: '   ' }, 'name'],
    [{ email: uniqueEmail(), password: 'password1', name: 'bad\u0007name' }, 'name'],
    [{ email: uniqueEmail(), password: 'password1' }, 'name'],
    [{ email: uniqueEmail(), password: 12345678, name: 'A' }, 'password'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const res = await api.post('/api/auth/register', { body })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('invalid_request')
    expect(res.body.error.message).toContain(field)
  })
})

describe('login', () => {
  it('logs in with the right password only', async () => {
    const email = uniqueEmail()
    await api.post('/api/auth/register', { body: { email, password: 'right password', name: 'L' } })
    const ok = await api.post('/api/auth/login', { body: { email: email.toUpperCase(), password: 'right password' } })
    expect(ok.status).toBe(200)
    expect(ok.body.user.email).toBe(email)
    const bad = await api.post('/api/auth/login', { body: { email, password: 'wrong password' } })
    expect(bad.status).toBe(401)
    expect(bad.body.error.code).toBe('invalid_credentials')
    const nobody = await api.post('/api/auth/login', { body: { email: uniqueEmail(), password: 'whatever1' } })
    expect(nobody.status).toBe(401)
    expect(nobody.body.error.code).toBe('invalid_credentials')
  })
})

describe('tokens', () => {
  it('401 without a token, with a malformed header, a forged or an expired token', async () => {
    const { token, user } = await registerUser(api)
    expect((await api.get('/api/me')).status).toBe(401)
    expect((await api.get('/api/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401)
    const [h, p, s] = token.split('.')
    const forgedSig = `${h}.${p}.${s!.slice(0, -4)}AAAA`
    expect((await api.get('/api/me', { token: forgedSig })).status).toBe(401)
    const otherKey = await new SignJWT({ knd: 'u' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('drawbridge')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(48)))
    expect((await api.get('/api/me', { token: otherKey })).status).toBe(401)
    const expired = await new SignJWT({ knd: 'u' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('drawbridge')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(suite.server.config.tokenSecret)
    const res = await api.get('/api/me', { token: expired })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('unauthenticated')
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`
    expect((await api.get('/api/me', { token: none })).status).toBe(401)
  })

  it('a token accepted before is refused once it expires, and its altered copies never pass as it', async () => {
    const { token, user } = await registerUser(api)
    const soon = await new SignJWT({ knd: 'u' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('drawbridge')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
      .sign(suite.server.config.tokenSecret)
    expect((await api.get('/api/me', { token: soon })).status).toBe(200)
    expect((await api.get('/api/me', { token })).status).toBe(200)
    // The server has just verified `token`: a copy with another signature, or another payload under its signature, is not it.
    const [h, p, s] = token.split('.')
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>
    const otherPayload = Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')
    for (const altered of [`${h}.${p}.${s!.slice(0, -4)}AAAA`, `${h}.${otherPayload}.${s}`]) {
      expect((await api.get('/api/me', { token: altered })).status).toBe(401)
    }
    await new Promise((r) => setTimeout(r, Math.max(0, ((JSON.parse(Buffer.from(soon.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000) - Date.now() + 50)))
    const late = await api.get('/api/me', { token: soon })
    expect(late.status).toBe(401)
    expect(late.body.error.code).toBe('unauthenticated')
  })

  it('keeps the generated TOKEN_SECRET in DATA_DIR with mode 0600', async () => {
    const { statSync } = await import('node:fs')
    const st = statSync(`${suite.server.dataDir}/token-secret`)
    expect(st.mode & 0o777).toBe(0o600)
  })
})

describe('admin', () => {
  it('sets a plan with the admin token only', async () => {
    const { user, token } = await registerUser(api)
    const path = `/api/admin/users/${user.id}`
    expect((await api.patch(path, { body: { plan: 'pro' } })).status).toBe(401)
    expect((await api.patch(path, { token, body: { plan: 'pro' } })).status).toBe(401)
    const bad = await api.patch(path, { token: TEST_ADMIN_TOKEN, body: { plan: 'gold' } })
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('plan')
    const ok = await api.patch(path, { token: TEST_ADMIN_TOKEN, body: { plan: 'pro' } })
    expect(ok.status).toBe(200)
    expect(ok.body.user.plan).toBe('pro')
    expect((await api.get('/api/me', { token })).body.principal.plan).toBe('pro')
    expect((await api.patch('/api/admin/users/nope', { token: TEST_ADMIN_TOKEN, body: { plan: 'pro' } })).status).toBe(404)
  })
})

describe('rate limits', () => {
  it('limits register, login and join per IP with 429 and Retry-After', async () => {
    const limited = await startServer({ AUTH_RATE_LIMIT: '3' })
    try {
      const a = apiClient(limited.url)
      for (let i = 0; i < 3; i++) {
        expect((await a.post('/api/auth/login', { body: { email: uniqueEmail(), password: 'whatever1' } })).status).toBe(401)
      }
      const res = await a.post('/api/auth/login', { body: { email: uniqueEmail(), password: 'whatever1' } })
      expect(res.status).toBe(429)
      expect(res.body.error.code).toBe('rate_limited')
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      for (let i = 0; i < 3; i++) await a.post('/api/invites/nope/join', { body: { name: 'x' } })
      expect((await a.post('/api/invites/nope/join', { body: { name: 'x' } })).status).toBe(429)
      for (let i = 0; i < 3; i++) await a.post('/api/auth/register', { body: {} })
      expect((await a.post('/api/auth/register', { body: {} })).status).toBe(429)
    } finally {
      await limited.stop()
    }
  })
})
