// A guest on a temporary board leaves an address; the sweeper mails it an
// hour before deletion with a sign-up link, then forgets it. Against a real
// SMTP server and the real sweeper.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claimReminders } from '../src/store/schema.js'
import { registerUser, uniqueEmail } from './helpers/api.js'
import { createBoard, createInvite, joinAsGuest } from './helpers/fixtures.js'
import { linkIn, startSmtp, type TestSmtp } from './helpers/mail.js'
import { TEST_ADMIN_TOKEN } from './helpers/server.js'
import { useServer } from './helpers/suite.js'

const PUBLIC_URL = 'https://draw.example.test'
let smtp: TestSmtp
// Thirty minutes left: every reminder is due at the first sweep; sweeps only when the test asks.
const env: Record<string, string> = { PUBLIC_URL, OWNERLESS_TTL: '30m', SWEEP_INTERVAL: '1h' }
beforeAll(async () => {
  smtp = await startSmtp()
  env.SMTP_URL = smtp.url
})
afterAll(async () => {
  await smtp?.close()
})
const suite = useServer(env)
const { api } = suite

async function temporaryBoard(guestName = 'Tess') {
  const res = await api.post('/api/boards', { body: { guestName, title: 'Plans' } })
  expect(res.status).toBe(201)
  return { boardId: res.body.board.id as string, token: res.body.token as string }
}
const path = (boardId: string) => `/api/boards/${boardId}/claim-reminder`
async function sweep() {
  expect((await api.post('/api/admin/sweep', { token: TEST_ADMIN_TOKEN })).status).toBe(200)
  await suite.server.mailer.idle()
}

describe('claim reminders', () => {
  it('mails the address once, about an hour before deletion, with a sign-up link; then forgets it', async () => {
    const t = await temporaryBoard()
    const email = uniqueEmail('remind')
    expect((await api.call('PUT', path(t.boardId), { token: t.token, body: { email: `  ${email.toUpperCase()} ` } })).status).toBe(204)
    expect((await api.get(path(t.boardId), { token: t.token })).body).toEqual({ email })
    await sweep()
    const mail = await smtp.waitFor((m) => m.to.includes(email))
    expect(mail.subject).toContain('Plans (temporary)')
    expect(linkIn(mail, PUBLIC_URL)).toBe(`${PUBLIC_URL}/register?board=${t.boardId}`)
    expect(mail.text).toMatch(/deleted in about 30 minutes/)
    expect((await api.get(path(t.boardId), { token: t.token })).body).toEqual({ email: null })
    await sweep()
    expect(smtp.to(email)).toHaveLength(1)
  })

  it('one address per guest: a new one replaces it, DELETE forgets it', async () => {
    const t = await temporaryBoard()
    const [first, second] = [uniqueEmail('first'), uniqueEmail('second')]
    await api.call('PUT', path(t.boardId), { token: t.token, body: { email: first } })
    await api.call('PUT', path(t.boardId), { token: t.token, body: { email: second } })
    const other = await temporaryBoard('Olga')
    const forgotten = uniqueEmail('forgotten')
    await api.call('PUT', path(other.boardId), { token: other.token, body: { email: forgotten } })
    expect((await api.del(path(other.boardId), { token: other.token })).status).toBe(204)
    await sweep()
    await smtp.waitFor((m) => m.to.includes(second))
    expect(smtp.to(first)).toEqual([])
    expect(smtp.to(forgotten)).toEqual([])
  })

  it('claiming the board forgets every address left for it', async () => {
    const t = await temporaryBoard('Kim')
    const email = uniqueEmail('claimed')
    await api.call('PUT', path(t.boardId), { token: t.token, body: { email } })
    // The guest signs up (its work comes along) and claims the board.
    const reg = await api.post('/api/auth/register', { token: t.token, body: { email: uniqueEmail('kim'), password: 'kim password', name: 'Kim' } })
    expect(reg.status).toBe(201)
    const reminders = () => suite.server.store.db.select().from(claimReminders).where(eq(claimReminders.boardId, t.boardId))
    expect(await reminders()).toHaveLength(1)
    expect((await api.post(`/api/boards/${t.boardId}/claim`, { token: reg.body.token })).status).toBe(200)
    // Gone from the database with the claim, not merely never sent.
    expect(await reminders()).toEqual([])
    await sweep()
    expect(smtp.to(email)).toEqual([])
  })

  it('only a guest of that temporary board may leave an address', async () => {
    const t = await temporaryBoard()
    const body = { email: uniqueEmail('x') }
    expect((await api.call('PUT', path(t.boardId), { body })).status).toBe(401)
    const user = await registerUser(api)
    const asUser = await api.call('PUT', path(t.boardId), { token: user.token, body })
    expect(asUser.status).toBe(403)
    expect(asUser.body.error.code).toBe('forbidden')
    const stranger = await temporaryBoard('Stranger')
    const foreign = await api.call('PUT', path(t.boardId), { token: stranger.token, body })
    expect([403, 404]).toContain(foreign.status)
    expect(foreign.body.error.code).toBeTruthy()
    expect((await api.get(path(t.boardId), { token: stranger.token })).status).toBe(foreign.status)
    // A guest on a board that has an owner: nothing to be reminded of.
    const owned = await createBoard(api, user.token)
    const guest = await joinAsGuest(api, (await createInvite(api, user.token, owned.id, 'reviewer')).token)
    const ownedRes = await api.call('PUT', path(owned.id), { token: guest.token, body })
    expect(ownedRes.status).toBe(409)
    expect(ownedRes.body.error.code).toBe('conflict')
    for (const bad of [{ email: 'not an address' }, {}, { email: 7 }]) {
      const res = await api.call('PUT', path(t.boardId), { token: t.token, body: bad })
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe('invalid_request')
    }
    await sweep()
    expect(smtp.to(body.email)).toEqual([])
  })
})

describe('claim reminders on their own', () => {
  let smtp2: TestSmtp
  const env2: Record<string, string> = { PUBLIC_URL, OWNERLESS_TTL: '3s', SWEEP_INTERVAL: '200ms' }
  beforeAll(async () => {
    smtp2 = await startSmtp()
    env2.SMTP_URL = smtp2.url
  })
  afterAll(async () => {
    await smtp2?.close()
  })
  const own = useServer(env2)

  it('the sweeper sends the reminder by itself, before the board goes', async () => {
    const res = await own.api.post('/api/boards', { body: { guestName: 'Sol' } })
    const email = uniqueEmail('auto')
    expect((await own.api.call('PUT', path(res.body.board.id), { token: res.body.token, body: { email } })).status).toBe(204)
    const mail = await smtp2.waitFor((m) => m.to.includes(email))
    expect(mail.text).toContain(`/register?board=${res.body.board.id}`)
  })
})
