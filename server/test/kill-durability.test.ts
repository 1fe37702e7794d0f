// kill -9 at random moments while writers on every instance edit: no update
// the server acknowledged as saved is ever lost (checked in the database
// right after each kill, before anyone could re-send it), every writer's
// work ends up stored, and every client converges. Two instances on
// PostgreSQL and Redis (6 kills), and one instance on the embedded database
// (4). The seed is printed; KILL_SEED=<n> replays a run and KILL_ROUNDS=<n>
// kills that many times in each loop (each CI run draws new moments, so
// coverage adds up across runs rather than inside one).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { type Api, apiClient, registerUser } from './helpers/api.js'
import { waitFor } from './helpers/collab.js'
import { DurableClient } from './helpers/durable-client.js'
import { createInvite, joinAsGuest, joinAsMember, makePro } from './helpers/fixtures.js'
import { type ServerProcess, spawnServer } from './helpers/process.js'
import { createTestDatabase, postgresBaseUrl, redisBaseUrl, testPool, uniqueRedisPrefix } from './helpers/services.js'
import { TEST_ADMIN_TOKEN } from './helpers/server.js'
import { freshDataDir } from './helpers/data-dir.js'
import { seededRandom as random } from './helpers/random.js'

const pgBase = postgresBaseUrl()
const redisUrl = redisBaseUrl()
if (!pgBase || !redisUrl) process.stdout.write('kill-durability.test.ts: two-instance loop SKIPPED (needs DATABASE_URL and REDIS_URL)\n')

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

const canonical = (v: unknown): unknown =>
  v instanceof Object && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
    : v
const contents = (doc: Y.Doc) => JSON.stringify(canonical({ shapes: doc.getMap('shapes').toJSON(), markup: doc.getMap('markup').toJSON() }))

interface Cluster {
  /** Instances up now. */
  up: ServerProcess[]
  /** Every instance ever started (for their logs). */
  all: ServerProcess[]
  start(): Promise<ServerProcess>
  /** The board's document as the database holds it. */
  stored(boardId: string, token: string): Promise<Y.Doc>
  close(): Promise<void>
}

interface Writer {
  client: DurableClient
  write(n: number): void
}

async function cast(api: Api) {
  const owner = await registerUser(api, 'Kim Owner')
  await makePro(api, owner.user.id)
  const board = (await api.post('/api/boards', { token: owner.token, body: { title: 'Kill loop' } })).body.board as { id: string }
  const editor = await joinAsMember(api, (await createInvite(api, owner.token, board.id, 'editor')).token, 'Eli Editor')
  const reviewer = await joinAsGuest(api, (await createInvite(api, owner.token, board.id, 'reviewer')).token, 'Rae Reviewer')
  const reader = await joinAsGuest(api, (await createInvite(api, owner.token, board.id, 'reader')).token, 'Red Reader')
  return { boardId: board.id, owner: owner.token, editor: editor.token, reviewer: reviewer.token, reader: reader.token }
}

async function killLoop(cluster: Cluster, kills: number, instances: number, label: string): Promise<void> {
  const seed = Number(process.env.KILL_SEED ?? Date.now() % 1_000_000)
  const rand = random(seed)
  const api = apiClient(() => cluster.up[0]!.url)
  const c = await cast(api)
  // While a kill is being checked, clients of the dead instance wait to reconnect.
  let paused = false
  const urls = () => (paused ? [] : cluster.up.map((p) => p.url))
  const client = (name: string, token: string) => new DurableClient({ name, boardId: c.boardId, token, urls })
  const writer = (name: string, token: string, write: (doc: Y.Doc, n: number) => void): Writer => {
    const w = client(name, token)
    return { client: w, write: (n) => write(w.doc, n) }
  }
  const writers = [
    writer('owner', c.owner, (doc, n) => doc.getMap('shapes').set(`owner-${n}`, n)),
    // Editors build on what others wrote (the owner's latest shape), besides their own.
    writer('editor', c.editor, (doc, n) =>
      doc.transact(() => {
        doc.getMap('shapes').set(`editor-${n}`, new Y.Map<unknown>([['n', n]]))
        const latest = [...doc.getMap('shapes').keys()].filter((k) => k.startsWith('owner-')).pop()
        if (latest) doc.getMap('meta').set('last-seen', latest)
      }),
    ),
    writer('reviewer', c.reviewer, (doc, n) => doc.getMap('markup').set(`reviewer-${n}`, new Y.Map<unknown>([['kind', 'scribble'], ['n', n]]))),
  ]
  const observer = client('observer', c.reader)
  let edits = 0
  let editing = true
  const loops = writers.map((w) =>
    (async () => {
      let n = 0
      while (editing) {
        w.write(n++)
        edits++
        await new Promise((r) => setTimeout(r, 5 + rand() * 25))
      }
    })(),
  )
  const stats = { kills: 0, checkedAcked: 0 }
  try {
    for (let k = 0; k < kills; k++) {
      await new Promise((r) => setTimeout(r, 150 + rand() * 600))
      const victim = cluster.up[Math.floor(rand() * cluster.up.length)]!
      paused = true
      const acked = writers.map((w) => ({ id: w.client.doc.clientID, acked: w.client.acked, name: w.client.name }))
      await victim.kill('SIGKILL')
      cluster.up = cluster.up.filter((p) => p !== victim)
      if (cluster.up.length === 0) cluster.up.push(await cluster.start())
      // Everything acknowledged before the kill is in the database now,
      // before any client had the chance to send it again.
      const stored = await cluster.stored(c.boardId, c.owner)
      for (const a of acked) {
        expect(Y.getState(stored.store, a.id), `${label} seed ${seed} kill ${k}: ${a.name}'s acknowledged clock ${a.acked}`).toBeGreaterThanOrEqual(a.acked)
        stats.checkedAcked += a.acked
      }
      stored.destroy()
      while (cluster.up.length < instances) cluster.up.push(await cluster.start())
      paused = false
      stats.kills++
    }
  } finally {
    editing = false
    paused = false
    await Promise.all(loops)
  }
  // Every writer's work gets stored; nobody is refused or stuck.
  const everyone = [...writers.map((w) => w.client), observer]
  await waitFor(() => writers.every((w) => w.client.settled), 60_000, `${label} seed ${seed}: writers settle`)
  for (const w of everyone) {
    const logs = cluster.all.flatMap((p) => p.output().split('\n').filter((l) => l.includes('update refused') || l.includes('could not be applied')))
    expect(w.refusals, `${label} seed ${seed}: ${w.name} refused ${JSON.stringify(w.refusals)}; ${logs.join('\n')}`).toEqual([])
  }
  const final = writers.map((w) => ({ id: w.client.doc.clientID, clock: w.client.clock }))
  await waitFor(() => everyone.every((w) => contents(w.doc) === contents(everyone[0]!.doc)), 30_000, `${label} seed ${seed}: clients converge`)
  const expected = contents(everyone[0]!.doc)
  for (const w of everyone) {
    expect(w.doc.store.pendingStructs, `${w.name} has structs it cannot integrate`).toBeNull()
    w.stop()
  }
  // The database alone (no instance's memory) holds all of it.
  for (const p of cluster.up) await p.kill('SIGKILL')
  cluster.up = [await cluster.start()]
  const stored = await cluster.stored(c.boardId, c.owner)
  for (const f of final) expect(Y.getState(stored.store, f.id)).toBe(f.clock)
  expect(contents(stored)).toBe(expected)
  process.stdout.write(
    `kill-durability (${label}): seed ${seed}, ${stats.kills} kills, ${edits} edits, ` +
      `${writers.map((w) => `${w.client.name} ${w.client.clock} clocks/${w.client.connects} connects`).join(', ')}: every acknowledged clock stored\n`,
  )
}

/** The stored document through the database itself. */
async function readPostgres(pool: pg.Pool, boardId: string): Promise<Y.Doc> {
  const doc = new Y.Doc()
  const snap = await pool.query<{ data: Buffer; last_seq: string }>('SELECT data, last_seq FROM doc_snapshots WHERE board_id = $1', [boardId])
  const rows = await pool.query<{ data: Buffer }>('SELECT data FROM doc_updates WHERE board_id = $1 AND seq > $2 ORDER BY seq', [
    boardId,
    snap.rows[0]?.last_seq ?? 0,
  ])
  Y.transact(doc, () => {
    for (const r of [...snap.rows, ...rows.rows]) Y.applyUpdate(doc, new Uint8Array(r.data))
  })
  return doc
}

/** The stored document through a freshly started instance (nothing in its memory yet): the binary export. */
async function readExport(url: string, boardId: string, token: string): Promise<Y.Doc> {
  const res = await fetch(`${url}/api/boards/${boardId}/export?format=yjs`, { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(200)
  const doc = new Y.Doc()
  Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()))
  return doc
}

const rounds = (n: number) => Number(process.env.KILL_ROUNDS ?? n)

const common = { TOKEN_SECRET: 'k'.repeat(40), AUTH_RATE_LIMIT: '100000', ADMIN_TOKEN: TEST_ADMIN_TOKEN, WS_PING_INTERVAL: '2s' }

describe.skipIf(!pgBase || !redisUrl)('kill -9: two instances on PostgreSQL and Redis', () => {
  it('loses no acknowledged edit and wedges no client over several kills', async () => {
    const db = await createTestDatabase(pgBase!)
    const dir = await mkdtemp(join(tmpdir(), 'drawbridge-kill-'))
    dirs.push(dir)
    // Small log threshold: compactions run (and get killed) too.
    const env = { ...common, DATABASE_URL: db.url, REDIS_URL: redisUrl!, REDIS_PREFIX: uniqueRedisPrefix(), COMPACT_AFTER_UPDATES: '40' }
    const pool = testPool(db.url)
    let n = 0
    const cluster: Cluster = {
      up: [],
      all: [],
      start: async () => {
        const p = await spawnServer({ ...env, DATA_DIR: join(dir, String(n++)) })
        cluster.all.push(p)
        return p
      },
      stored: (boardId) => readPostgres(pool, boardId),
      async close() {
        await Promise.all(this.up.map((p) => p.kill('SIGKILL')))
        await pool.end()
        await db.drop()
      },
    }
    cluster.up = await Promise.all([cluster.start(), cluster.start()])
    try {
      await killLoop(cluster, rounds(6), 2, 'two instances')
    } finally {
      await cluster.close()
    }
  }, 300_000)
})

describe('kill -9: one instance on the embedded database', () => {
  it('loses no acknowledged edit and wedges no client', async () => {
    const dir = await freshDataDir('drawbridge-kill-embedded-')
    dirs.push(dir)
    const env = { ...common, DATA_DIR: dir, COMPACT_AFTER_UPDATES: '40' }
    const cluster: Cluster = {
      up: [],
      all: [],
      start: async () => {
        const p = await spawnServer(env)
        cluster.all.push(p)
        return p
      },
      // Read through a fresh start, which has nothing in memory yet.
      stored: (boardId, token) => readExport(cluster.up[0]!.url, boardId, token),
      async close() {
        await Promise.all(this.up.map((p) => p.kill('SIGKILL')))
      },
    }
    cluster.up = [await cluster.start()]
    try {
      await killLoop(cluster, rounds(4), 1, 'embedded')
    } finally {
      await cluster.close()
    }
  }, 300_000)
})
