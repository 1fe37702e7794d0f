// The admin CLI, run as an operator would: `npm run admin -- <command>`.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { boards } from '../src/store/schema.js'
import { apiClient, registerUser } from './helpers/api.js'
import { createBoard } from './helpers/fixtures.js'
import { builtFile } from './helpers/process-build.js'
import { startServer, TEST_ADMIN_TOKEN } from './helpers/server.js'
import { useServer } from './helpers/suite.js'

let work: string

const suite = useServer()
const { api } = suite

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drawbridge-cli-'))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

/**
 * Runs the CLI in its own process (asynchronously: the server under test
 * lives in this one): the run's JavaScript build of scripts/admin.ts, as
 * `npm run admin` runs dist/scripts/admin.js in production, or with
 * `entry: 'npm'` the operator's own entry point (scripts/admin.mjs, which
 * without a dist build runs the sources under tsx).
 */
function admin(args: string[], env: Record<string, string> = {}, entry: 'build' | 'npm' = 'build'): Promise<{ code: number | null; out: string; err: string }> {
  const built = builtFile('scripts/admin.ts')
  const script = entry === 'build' && built ? built : 'scripts/admin.mjs'
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: join(work, 'cli-data'), ...env },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('close', (code) => resolve({ code, out, err }))
  })
}
const remote = ['--url', '', '--token', TEST_ADMIN_TOKEN]
const at = () => {
  remote[1] = suite.server.url
  return remote
}

describe('admin CLI', () => {
  it('sets a plan by email', async () => {
    const u = await registerUser(api)
    const r = await admin(['set-plan', u.user.email, 'pro', ...at()])
    expect(r.code, r.err).toBe(0)
    expect(r.err).toContain('pro plan')
    expect((await api.get('/api/me', { token: u.token })).body.principal.plan).toBe('pro')
  })

  it('lists boards, ownerless ones with the time left', async () => {
    const made = (await api.post('/api/boards', { body: { guestName: 'Tess', title: 'Temp' } })).body
    const r = await admin(['boards', '--ownerless', ...at()])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(new RegExp(`${made.board.id}\\s+ownerless\\s+Temp \\(temporary\\)\\s+deleted in 23 h 5\\d min`))
  })

  it('forces a sweep', async () => {
    const made = (await api.post('/api/boards', { body: { guestName: 'Gone' } })).body
    await suite.server.store.db.update(boards).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(boards.id, made.board.id))
    const r = await admin(['sweep', ...at()])
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(/swept: [1-9]\d* board\(s\) deleted/)
    expect(await suite.server.store.db.select().from(boards).where(eq(boards.id, made.board.id))).toEqual([])
  })

  it('turns guests off and on', async () => {
    expect((await admin(['guests', 'off', ...at()])).err).toContain('turned off')
    expect((await api.post('/api/boards', { body: { guestName: 'x' } })).status).toBe(403)
    expect((await admin(['guests', 'on', ...at()])).err).toContain('allowed')
    expect((await api.post('/api/boards', { body: { guestName: 'x' } })).status).toBe(201)
  })

  it('explains what is wrong', async () => {
    expect((await admin(['sweep', '--url', suite.server.url, '--token', 'wrong-token-000000'])).err).toContain('401')
    expect((await admin(['sweep', '--url', 'http://127.0.0.1:1', '--token', TEST_ADMIN_TOKEN])).err).toContain('cannot reach')
    // Through the operator's entry point: its exit code is the CLI's.
    const nonsense = await admin(['nonsense'], {}, 'npm')
    expect(nonsense.code).toBe(1)
    expect(nonsense.out + nonsense.err).toContain('usage: npm run admin')
  })

  it('backs up the embedded database and restores it into a stopped server', async () => {
    const owner = await registerUser(api, 'Backed Up')
    const board = await createBoard(api, owner.token, 'Precious')
    const file = join(work, 'backup.tar.gz')
    const b = await admin(['backup', file, ...at()])
    expect(b.code, b.err).toBe(0)
    expect(existsSync(file)).toBe(true)
    const restored = join(work, 'restored')
    const refused = await admin(['restore', file, '--data-dir', restored, '--url', suite.server.url])
    expect(refused.err).toContain('stop it before restoring')
    const r = await admin(['restore', file, '--data-dir', restored, '--url', 'http://127.0.0.1:1'])
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(/restored into .*: \d+ user\(s\), \d+ board\(s\)/)
    const copy = await startServer({ DATA_DIR: restored, TOKEN_SECRET: 'z'.repeat(40) })
    try {
      const c = apiClient(copy.url)
      const login = await c.post('/api/auth/login', { body: { email: owner.user.email, password: 'correct horse' } })
      expect(login.status).toBe(200)
      expect((await c.get(`/api/boards/${board.id}`, { token: login.body.token })).body.board.title).toBe('Precious')
    } finally {
      await copy.stop()
    }
  })
})
