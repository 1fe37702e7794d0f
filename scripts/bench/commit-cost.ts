// The floor under every stored-before-sent update: one durable-log commit, on
// its own, as the hub makes it (DocStore.append of a small update, awaited
// before the next). Runs the store in this process, so the in-process CPU of
// an embedded commit shows directly; on PostgreSQL the commit's time is the
// round trip plus the WAL flush, shown once with synchronous_commit on and
// once off to split the disk's share from the rest. Then the log's insert
// statement alone (no queue, no pacing), back to back and with a 1 ms or 10 ms
// pause before each, and DocStore's commit 10 ms apart: at A 50's 100
// updates/s the loop idles between two updates, and an embedded commit then
// starts with the database's WebAssembly code and data out of the CPU's caches.
import pg from 'pg'
import pino from 'pino'
import * as Y from 'yjs'
import { createTestDatabase } from '../../server/test/helpers/services.js'
import { DocStore } from '../../server/src/store/doc-store.js'
import { rowAppender } from '../../server/src/store/log-append.js'
import type { Store } from '../../server/src/store/db.js'
import { boards, users } from '../../server/src/store/schema.js'
import { round, summarize } from './lean-client.js'
import { withStore } from './store-in-process.js'

const logger = pino({ level: 'silent' })

/** A 2-key shape move as a client sends it (~40 bytes). */
function moveUpdate(i: number): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = 1000 + (i % 50)
  const s = new Y.Map<number>()
  doc.getMap('shapes').set('s' + i, s)
  let out: Uint8Array = new Uint8Array()
  doc.on('update', (u: Uint8Array) => (out = u))
  doc.transact(() => {
    s.set('x', i)
    s.set('y', i)
  })
  return out
}

async function measure(store: Store, label: string, n: number) {
  await store.db.insert(users).values({ id: 'bench-u', email: `bench-${label}@x.io`, name: 'B', passwordHash: 'h' }).onConflictDoNothing()
  await store.db.insert(boards).values({ id: 'bench-' + label, title: 'T', ownerId: 'bench-u' })
  const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9, inProcess: store.kind === 'pglite' })
  const updates = Array.from({ length: n + 300 }, (_, i) => moveUpdate(i))
  for (let i = 0; i < 300; i++) await docs.append('bench-' + label, updates[i]!)
  const wall: number[] = []
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 300; i < n + 300; i++) {
    const t = performance.now()
    await docs.append('bench-' + label, updates[i]!)
    wall.push(performance.now() - t)
  }
  const elapsed = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  await docs.close()
  return {
    scenario: 'commit',
    store: label,
    commits: n,
    wallMs: summarize(wall),
    commitsPerS: round((n / elapsed) * 1000),
    // this process only: on PostgreSQL the server's backend works in another process
    processCpuUsPerCommit: round((cpu.user + cpu.system) / n),
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * One row per commit, `pauseMs` before each (the pause's own CPU is measured
 * apart), through the log's insert statement alone or through DocStore.append
 * as the hub calls it. After measure(), which made the user.
 */
async function paced(store: Store, label: string, n: number, pauseMs: number, via: 'statement' | 'docstore') {
  const board = `bench-${label}-${via}-${pauseMs}`
  await store.db.insert(boards).values({ id: board, title: 'T', ownerId: 'bench-u' })
  const docs = via === 'docstore' ? new DocStore(store.db, logger, { compactAfterUpdates: 1e9, inProcess: store.kind === 'pglite' }) : null
  const rows = docs ? null : rowAppender(store.db)
  const append = (update: Uint8Array) => (docs ? docs.append(board, update, 'user:bench-u') : rows!([{ boardId: board, data: update, actor: 'user:bench-u' }]))
  const updates = Array.from({ length: n + 300 }, (_, i) => moveUpdate(i))
  for (let i = 0; i < 300; i++) await append(updates[i]!)
  const timed = async (commit: boolean) => {
    const cpu0 = process.cpuUsage()
    for (let i = 300; i < n + 300; i++) {
      if (pauseMs > 0) await pause(pauseMs)
      if (commit) await append(updates[i]!)
    }
    const cpu = process.cpuUsage(cpu0)
    return (cpu.user + cpu.system) / n
  }
  const withCommits = await timed(true)
  const pausesOnly = pauseMs > 0 ? await timed(false) : 0
  await docs?.close()
  const scenario = via === 'statement' ? 'commit-statement' : 'commit-paced'
  return { scenario, store: label, pauseMs, commits: n, processCpuUsPerCommit: round(withCommits - pausesOnly), pauseCpuUs: round(pausesOnly) }
}

/**
 * The statement alone back to back, then with a 1 ms and a 10 ms pause before
 * each (fewer: they take longer); and DocStore's whole commit 10 ms apart, the
 * spacing of scenario A with 50 clients (100 updates/s, evenly paced).
 */
async function statements(store: Store, label: string, n: number) {
  return [
    await paced(store, label, n, 0, 'statement'),
    await paced(store, label, Math.ceil(n / 3), 1, 'statement'),
    await paced(store, label, Math.ceil(n / 6), 10, 'statement'),
    await paced(store, label, Math.ceil(n / 6), 10, 'docstore'),
  ]
}

export async function commitCost(pgUrl: string | null, n = 3000): Promise<object[]> {
  const out: object[] = await withStore(null, async (store) => [await measure(store, 'pglite', n), ...(await statements(store, 'pglite', n))])
  if (!pgUrl) return out
  for (const syncCommit of ['on', 'off']) {
    const db = await createTestDatabase(pgUrl)
    try {
      // New sessions (the store's pool) take the database's setting.
      const admin = new pg.Client({ connectionString: db.url })
      await admin.connect()
      await admin.query(`ALTER DATABASE "${new URL(db.url).pathname.slice(1)}" SET synchronous_commit = ${syncCommit}`)
      await admin.end()
      await withStore(db.url, async (store) => {
        out.push({ ...(await measure(store, 'postgresql', n)), synchronousCommit: syncCommit })
        for (const line of await statements(store, 'postgresql', n)) out.push({ ...line, synchronousCommit: syncCommit })
      })
    } finally {
      await db.drop()
    }
  }
  return out
}
