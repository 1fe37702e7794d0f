// E-mail verification in its three modes (EMAIL_VERIFICATION), against a
// real SMTP server: the mailed link, what `required` withholds from
// unverified accounts, and links attacked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Api, apiClient, uniqueEmail } from './helpers/api.js'
import { linkIn, startSmtp, type TestSmtp, tokenOf } from './helpers/mail.js'
import { type LoggedServer, startLoggedServer } from './helpers/logged-server.js'

const PUBLIC_URL = 'https://draw.example.test'

function withServer(env: Record<string, string>) {
  const ctx = {} as { smtp: TestSmtp; server: LoggedServer; api: Api }
  beforeAll(async () => {
    ctx.smtp = await startSmtp()
    ctx.server = await startLoggedServer({ SMTP_URL: ctx.smtp.url, PUBLIC_URL, ...env })
    ctx.api = apiClient(ctx.server.running.url)
  })
  afterAll(async () => {
    await ctx.server?.stop()
    await ctx.smtp?.close()
  })
  return ctx
}

async function register(api: Api) {
  const email = uniqueEmail('verify')
  const res = await api.post('/api/auth/register', { body: { email, password: 'a good password', name: 'Vera' } })
  expect(res.status).toBe(201)
  return { email, token: res.body.token as string, user: res.body.user }
}

const verifyLink = (smtp: TestSmtp, email: string, n = 1) =>
  smtp
    .waitFor(() => smtp.to(email).length >= n, `verification mail #${n} to ${email}`)
    .then(() => tokenOf(linkIn(smtp.to(email)[n - 1]!, `${PUBLIC_URL}/verify-email#token=`)))

describe('EMAIL_VERIFICATION=off (the default)', () => {
  const ctx = withServer({})
  it('register mails nothing; users show emailVerified false; asking for a link is 404', async () => {
    const a = await register(ctx.api)
    expect(a.user.emailVerified).toBe(false)
    const send = await ctx.api.post('/api/auth/verify-email/send', { token: a.token })
    expect(send.status).toBe(404)
    expect(send.body.error.code).toBe('not_found')
    // A reset mail still goes out; had register queued one, it would have arrived first.
    await ctx.api.post('/api/auth/password-reset', { body: { email: a.email } })
    await ctx.smtp.waitFor((m) => m.to.includes(a.email))
    expect(ctx.smtp.to(a.email).map((m) => m.subject)).toEqual(['Reset your Drawbridge password'])
    expect((await ctx.api.post('/api/boards', { token: a.token, body: { title: 'Fine' } })).status).toBe(201)
  })
})

describe('EMAIL_VERIFICATION=optional', () => {
  const ctx = withServer({ EMAIL_VERIFICATION: 'optional' })

  it('register mails a link; the link verifies the address, once', async () => {
    const a = await register(ctx.api)
    expect(a.user.emailVerified).toBe(false)
    const token = await verifyLink(ctx.smtp, a.email)
    expect(ctx.smtp.to(a.email)[0]!.subject).toBe('Confirm your e-mail address for Drawbridge')
    // Unverified accounts are not limited in this mode.
    expect((await ctx.api.post('/api/boards', { token: a.token, body: {} })).status).toBe(201)
    const ok = await ctx.api.post('/api/auth/verify-email', { body: { token } })
    expect(ok.status).toBe(200)
    expect(ok.body.user).toMatchObject({ email: a.email, emailVerified: true })
    const me = await ctx.api.get('/api/me', { token: a.token })
    expect(me.body.principal.emailVerified).toBe(true)
    const again = await ctx.api.post('/api/auth/verify-email', { body: { token } })
    expect(again.status).toBe(400)
    expect(again.body.error.code).toBe('invalid_link')
  })

  it('a new link makes the older one useless; a verification link is neither a bearer token nor a reset link', async () => {
    const a = await register(ctx.api)
    const first = await verifyLink(ctx.smtp, a.email, 1)
    expect((await ctx.api.post('/api/auth/verify-email/send', { token: a.token })).status).toBe(202)
    const second = await verifyLink(ctx.smtp, a.email, 2)
    expect((await ctx.api.post('/api/auth/verify-email', { body: { token: first } })).status).toBe(400)
    expect((await ctx.api.get('/api/me', { token: second })).status).toBe(401)
    const asReset = await ctx.api.post('/api/auth/password-reset/complete', { body: { token: second, password: 'taken over!' } })
    expect(asReset.status).toBe(400)
    expect((await ctx.api.post('/api/auth/verify-email', { body: { token: second } })).status).toBe(200)
    expect((await ctx.api.post('/api/auth/verify-email', { body: { token: 'nonsense' } })).status).toBe(400)
    expect((await ctx.api.post('/api/auth/verify-email', { body: {} })).body.error.code).toBe('invalid_request')
  })

  it('asking for a link needs a user; a verified account is sent nothing more', async () => {
    expect((await ctx.api.post('/api/auth/verify-email/send')).status).toBe(401)
    const guest = await ctx.api.post('/api/boards', { body: { guestName: 'Gail' } })
    expect((await ctx.api.post('/api/auth/verify-email/send', { token: guest.body.token })).status).toBe(403)
    const a = await register(ctx.api)
    await ctx.api.post('/api/auth/verify-email', { body: { token: await verifyLink(ctx.smtp, a.email) } })
    expect((await ctx.api.post('/api/auth/verify-email/send', { token: a.token })).status).toBe(202)
    const b = await register(ctx.api)
    await verifyLink(ctx.smtp, b.email)
    expect(ctx.smtp.to(a.email)).toHaveLength(1)
  })

  it('a reset link proves the address too', async () => {
    const a = await register(ctx.api)
    await verifyLink(ctx.smtp, a.email)
    await ctx.api.post('/api/auth/password-reset', { body: { email: a.email } })
    await ctx.smtp.waitFor(() => ctx.smtp.to(a.email).length >= 2)
    const reset = tokenOf(linkIn(ctx.smtp.to(a.email)[1]!, `${PUBLIC_URL}/reset-password#token=`))
    const done = await ctx.api.post('/api/auth/password-reset/complete', { body: { token: reset, password: 'new password!' } })
    expect(done.body.user.emailVerified).toBe(true)
  })

  it('no verification link reaches the log', async () => {
    const a = await register(ctx.api)
    const token = await verifyLink(ctx.smtp, a.email)
    await ctx.api.post('/api/auth/verify-email', { body: { token } })
    const all = ctx.server.lines.join('\n')
    expect(all).toContain('"kind":"email-verification"')
    expect(all).not.toContain(token)
    expect(all).not.toContain('verify-email#')
  })
})

describe('EMAIL_VERIFICATION=required', () => {
  const ctx = withServer({ EMAIL_VERIFICATION: 'required' })

  it('an unverified account may not start boards or hand out links until it verifies', async () => {
    const owner = await register(ctx.api)
    const refused = await ctx.api.post('/api/boards', { token: owner.token, body: { title: 'Too soon' } })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('email_unverified')
    expect((await ctx.api.post('/api/boards/import', { token: owner.token, body: { version: 1 } })).body.error?.code).toBe('email_unverified')
    // Guests still start temporary boards; signing in and reading work.
    const temp = await ctx.api.post('/api/boards', { body: { guestName: 'Gus' } })
    expect(temp.status).toBe(201)
    expect((await ctx.api.get('/api/boards', { token: owner.token })).status).toBe(200)

    const verified = await register(ctx.api)
    await ctx.api.post('/api/auth/verify-email', { body: { token: await verifyLink(ctx.smtp, verified.email) } })
    const board = await ctx.api.post('/api/boards', { token: verified.token, body: { title: 'Shared' } })
    expect(board.status).toBe(201)
    // The unverified account, made an editor of a verified user's board, may not hand out links or copy it.
    const invite = await ctx.api.post(`/api/boards/${board.body.board.id}/invites`, { token: verified.token, body: { role: 'editor' } })
    expect(invite.status).toBe(201)
    expect((await ctx.api.post(`/api/invites/${invite.body.invite.token}/join`, { token: owner.token })).status).toBe(200)
    const link = await ctx.api.post(`/api/boards/${board.body.board.id}/invites`, { token: owner.token, body: { role: 'reader' } })
    expect(link.body.error.code).toBe('email_unverified')
    expect((await ctx.api.post(`/api/boards/${board.body.board.id}/duplicate`, { token: owner.token, body: {} })).body.error.code).toBe('email_unverified')

    await ctx.api.post('/api/auth/verify-email', { body: { token: await verifyLink(ctx.smtp, owner.email) } })
    expect((await ctx.api.post('/api/boards', { token: owner.token, body: { title: 'Now' } })).status).toBe(201)
    expect((await ctx.api.post(`/api/boards/${board.body.board.id}/invites`, { token: owner.token, body: { role: 'reader' } })).status).toBe(201)
  })
})
