// The mail component: without SMTP_URL the outbox (table, admin API, CLI,
// and the log: the one deliberate place for a link); with SMTP down, requests
// still succeed and failures are logged without the link; a refused delivery
// is retried; configuration is checked at boot.
import { spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'
import { Mailer } from '../src/mail/mailer.js'
import { Store } from '../src/store/db.js'
import { type Api, apiClient, uniqueEmail } from './helpers/api.js'
import { freshDataDir } from './helpers/data-dir.js'
import { deadSmtpUrl, startSmtp } from './helpers/mail.js'
import { type LoggedServer, startLoggedServer } from './helpers/logged-server.js'
import { TEST_ADMIN_TOKEN } from './helpers/server.js'

const PUBLIC_URL = 'https://draw.example.test'

async function registered(api: Api) {
  const email = uniqueEmail('mail')
  expect((await api.post('/api/auth/register', { body: { email, password: 'a fine password', name: 'Mo' } })).status).toBe(201)
  return email
}

/** The CLI from its sources (the checked-in build may predate `mail`). */
function adminCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: '/nonexistent-cli-data', TOKEN_SECRET: 'cli-'.repeat(10) },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('close', (code) => resolve({ code, out, err }))
  })
}

describe('without SMTP_URL: the outbox', () => {
  let server: LoggedServer
  let api: Api
  beforeAll(async () => {
    server = await startLoggedServer({ PUBLIC_URL, EMAIL_VERIFICATION: 'optional' }, 'info')
    api = apiClient(server.running.url)
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('keeps each message, lists it through the admin API and CLI, and logs it (with its link) at info', async () => {
    const email = await registered(api)
    expect((await api.post('/api/auth/password-reset', { body: { email } })).status).toBe(202)
    await server.running.mailer.idle()
    const listed = await api.get('/api/admin/mail', { token: TEST_ADMIN_TOKEN })
    expect(listed.status).toBe(200)
    expect(listed.body.smtp).toBe(false)
    const mine = listed.body.messages.filter((m: { to: string }) => m.to === email)
    expect(mine.map((m: { subject: string }) => m.subject)).toEqual(['Reset your Drawbridge password', 'Confirm your e-mail address for Drawbridge'])
    const link = /https:\/\/draw\.example\.test\/reset-password#token=\S+/.exec(mine[0].body)![0]
    // The deliberate exception (docs/SECURITY.md): the operator's outbox is the log.
    const line = server.lines.find((l) => l.includes(link))
    expect(line).toBeDefined()
    expect(JSON.parse(line!)).toMatchObject({ level: 30, kind: 'password-reset', msg: 'mail kept in the outbox (SMTP_URL is not set)' })
    // The link from the outbox works.
    const token = new URL(link).hash.slice('#token='.length)
    expect((await api.post('/api/auth/password-reset/complete', { body: { token, password: 'from the outbox' } })).status).toBe(200)

    const cli = await adminCli(['mail', '--limit', '5', '--url', server.running.url, '--token', TEST_ADMIN_TOKEN])
    expect(cli.code, cli.err).toBe(0)
    expect(cli.out).toContain(`to ${email}`)
    expect(cli.out).toContain(link)
  })

  it('the admin API needs the admin token', async () => {
    expect((await api.get('/api/admin/mail')).status).toBe(401)
    expect((await api.get('/api/admin/mail', { token: 'wrong-token-0123456789' })).status).toBe(401)
  })
})

describe('the outbox keeps the newest messages only', () => {
  it('drops the oldest past its size', async () => {
    const dataDir = await freshDataDir('drawbridge-outbox-')
    const store = await Store.open({ dataDir, poolSize: 1 }, pino({ level: 'silent' }))
    const mailer = new Mailer({ smtpUrl: undefined, from: 'x@example.test', db: store.db, logger: pino({ level: 'silent' }), outboxKeep: 3 })
    try {
      for (let i = 1; i <= 5; i++) mailer.send('claim-reminder', { to: `n${i}@example.test`, subject: `#${i}`, text: 'hello' })
      await mailer.idle()
      expect((await mailer.outbox()).map((m) => m.subject)).toEqual(['#5', '#4', '#3'])
    } finally {
      await mailer.close()
      await store.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('SMTP trouble', () => {
  it('with the SMTP server down, the request still succeeds; the failure is logged without the link', async () => {
    const server = await startLoggedServer({ PUBLIC_URL, SMTP_URL: await deadSmtpUrl() })
    try {
      const api = apiClient(server.running.url)
      const email = await registered(api)
      expect((await api.post('/api/auth/password-reset', { body: { email } })).status).toBe(202)
      for (let i = 0; i < 500 && !server.lines.some((l) => l.includes('mail not sent: will retry')); i++) await new Promise((r) => setTimeout(r, 20))
      const failure = server.lines.find((l) => l.includes('mail not sent: will retry'))
      expect(failure).toBeDefined()
      expect(JSON.parse(failure!)).toMatchObject({ level: 40, kind: 'password-reset', attempt: 1, err: { code: expect.any(String) } })
      const all = server.lines.join('\n')
      expect(all).not.toContain('reset-password')
      expect(all).not.toContain('#token=')
      expect(all).not.toContain(email)
    } finally {
      // Shutdown does not wait for the retry.
      await server.stop()
    }
    // The retry waiting was dropped (or, on a very slow machine, had already run and given up).
    expect(server.lines.some((l) => l.includes('dropped at shutdown') || l.includes('giving up'))).toBe(true)
  })

  it('a delivery the server refuses is tried again', async () => {
    const smtp = await startSmtp()
    const dataDir = await freshDataDir('drawbridge-retry-')
    const store = await Store.open({ dataDir, poolSize: 1 }, pino({ level: 'silent' }))
    const mailer = new Mailer({ smtpUrl: smtp.url, from: 'Drawbridge <x@example.test>', db: store.db, logger: pino({ level: 'silent' }), retryDelaysMs: [50, 50] })
    try {
      smtp.refuseNext(1)
      mailer.send('claim-reminder', { to: 'again@example.test', subject: 'Second time lucky', text: 'hello' })
      const mail = await smtp.waitFor((m) => m.to.includes('again@example.test'))
      expect(mail.subject).toBe('Second time lucky')
      expect(mail.text.trim()).toBe('hello')
      await mailer.idle()
      expect(smtp.received).toHaveLength(1)
      expect(await mailer.outbox()).toEqual([])
    } finally {
      await mailer.close()
      await store.close()
      await smtp.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('mail configuration', () => {
  const dataDir = '/tmp/drawbridge-mail-config'
  const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: dataDir, TOKEN_SECRET: 'x'.repeat(32), ...env })

  it('has safe defaults', () => {
    const c = load({ PUBLIC_URL: 'https://draw.example.test' })
    expect(c.smtpUrl).toBeUndefined()
    expect(c.mailFrom).toBe('Drawbridge <noreply@draw.example.test>')
    expect(c.emailVerification).toBe('off')
    expect(c.passwordResetTtlMs).toBe(3_600_000)
  })

  it.each([
    ['SMTP_URL', 'http://mail.example.test'],
    ['SMTP_URL', 'not a url'],
    ['SMTP_URL', 'smtp//user:hunter2@mail'],
    ['MAIL_FROM', 'no address here'],
    ['MAIL_FROM', 'a@b.test\r\nBcc: everyone@example.test'],
    ['EMAIL_VERIFICATION', 'sometimes'],
    ['PASSWORD_RESET_TTL', 'soon'],
  ])('refuses %s=%j naming the variable', (variable, value) => {
    expect(() => load({ [variable]: value })).toThrow(ConfigError)
    expect(() => load({ [variable]: value })).toThrow(variable)
  })

  it('never repeats a bad SMTP_URL (it may hold a password)', () => {
    expect(() => load({ SMTP_URL: 'smtp//user:hunter2@mail' })).toThrow(/^(?!.*hunter2)/s)
  })

  it('takes smtps URLs and named senders', () => {
    const c = load({ SMTP_URL: 'smtps://user:pass@mail.example.test:465', MAIL_FROM: 'Board Bot <bot@example.test>', EMAIL_VERIFICATION: 'Required' })
    expect(c.smtpUrl).toBe('smtps://user:pass@mail.example.test:465')
    expect(c.mailFrom).toBe('Board Bot <bot@example.test>')
    expect(c.emailVerification).toBe('required')
  })
})
