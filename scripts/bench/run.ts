// `npm run bench [scenario…]`: prints one JSON line per scenario.
// Scenarios: fanout, ceiling, memory, cold-join, visits, cursors, multi, guard, stall, commit, claims, merge, history (default: all).
// The server runs pinned to core 0, this load generator to core 1 (taskset).
import { createTestDatabase as createDatabase } from '../../server/test/helpers/services.js'
import { claimCost } from './claim-cost.js'
import { commitCost } from './commit-cost.js'
import { guardCost } from './guard-cost.js'
import { historyCost } from './history-cost.js'
import { round } from './lean-client.js'
import { mergeCost } from './merge-cost.js'
import { coldJoin, cursors, fanout, fanoutMulti, ceiling, memory } from './scenarios.js'
import { hasTaskset, pinSelf, startBenchServer } from './server-proc.js'
import { stall } from './stall.js'
import { visits } from './visits.js'

const wanted = new Set(process.argv.slice(2))
const want = (name: string) => wanted.size === 0 || wanted.has(name)
const print = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')

// BENCH_DATABASE_URL=postgres://… runs every scenario on PostgreSQL (a
// fresh database per server) instead of the embedded default.
const pgBase = process.env.BENCH_DATABASE_URL

async function withServer<T>(fn: (s: Awaited<ReturnType<typeof startBenchServer>>) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const db = pgBase ? await createDatabase(pgBase) : null
  const server = await startBenchServer({ ...env, ...(db ? { DATABASE_URL: db.url } : {}) })
  try {
    return await fn(server)
  } finally {
    await server.stop()
    await db?.drop()
  }
}

async function reachablePostgres(): Promise<string | null> {
  const url = 'postgres://postgres@127.0.0.1:5432/test'
  try {
    await (await createDatabase(url)).drop()
    return url
  } catch {
    return null
  }
}

/** The multi-instance run needs PostgreSQL and Redis; these defaults are the CI machine's. */
async function multiInstance() {
  const pgUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
  let db
  try {
    db = await createDatabase(pgUrl)
  } catch (err) {
    print({ scenario: 'fanout-multi', skipped: `PostgreSQL not reachable at ${pgUrl}: ${(err as Error).message}` })
    return
  }
  try {
    const single = await startBenchServer({ DATABASE_URL: db.url })
    const one = await fanout(single, 100, 2).finally(() => single.stop())
    const prefix = `bench-${process.pid}-${Date.now()}:`
    const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, TOKEN_SECRET: 'b'.repeat(40) }
    const cores = (process.env.BENCH_MULTI_CORES ?? '0,0').split(',').map(Number)
    const servers = [await startBenchServer(env, cores[0]), await startBenchServer(env, cores[1])]
    try {
      const two = await fanoutMulti(servers, 100, 2)
      print({ ...two, singleInstanceMsP99: one.latencyMsP99, singleInstanceMsP50: one.latencyMsP50, crossOverSingleP99: round(two.crossInstanceMsP99 / one.latencyMsP99, 2) })
    } finally {
      await Promise.all(servers.map((s) => s.stop()))
    }
  } finally {
    await db.drop()
  }
}

async function main() {
  pinSelf(1)
  print({
    scenario: 'setup',
    pinned: hasTaskset,
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    storage: pgBase ? 'postgresql' : 'pglite',
  })
  if (want('fanout')) {
    for (const n of [10, 50, 200]) print(await withServer((s) => fanout(s, n, 2)))
  }
  if (want('ceiling')) print(await withServer((s) => ceiling(s, 20)))
  if (want('memory')) {
    // The embedded database's own memory (WebAssembly) moves by hundreds of MB
    // on its own; on PostgreSQL the server's RSS is the hub's alone.
    const pg = pgBase ?? (await reachablePostgres())
    const db = pg ? await createDatabase(pg) : null
    try {
      const result = await (async () => {
        const s = await startBenchServer(db ? { DATABASE_URL: db.url } : {})
        try {
          return await memory(s, 500, 4)
        } finally {
          await s.stop()
        }
      })()
      print({ ...result, storage: db ? 'postgresql' : 'pglite' })
    } finally {
      await db?.drop()
    }
  }
  if (want('cold-join')) print(await withServer((s) => coldJoin(s)))
  if (want('visits')) print({ ...(await withServer((s) => visits(s))), storage: pgBase ? 'postgresql' : 'pglite' })
  if (want('cursors')) print(await withServer((s) => cursors(s, 50, 20)))
  if (want('multi')) await multiInstance()
  // The worst updates the limits allow (MAX_UPDATE_STRUCTS) against /healthz,
  // with the per-address work budget on and, to show what slicing alone
  // does, off.
  if (want('stall')) {
    print(await withServer((s) => stall(s)))
    print({ ...(await withServer((s) => stall(s), { UPDATE_WORK_RATE: '100000000', UPDATE_WORK_BURST: '1000000000' })), workBudget: 'off' })
  }
  // The durable-log commit alone: the floor under the latency of every update.
  if (want('commit')) for (const line of await commitCost(pgBase ?? (await reachablePostgres()))) print(line)
  // A client's first edit on a board: claiming its Yjs client id.
  if (want('claims')) for (const line of await claimCost(pgBase ?? (await reachablePostgres()))) print(line)
  // A small board's first compaction: merge worker against the main thread, each in a fresh process.
  if (want('merge')) for (const line of await mergeCost()) print(line)
  // History on a 10,000-element board: preview, diff, revert of 1,000 guest edits, restore, storage.
  if (want('history')) {
    const pg = pgBase ?? (await reachablePostgres())
    print({ ...(await withServer((s) => historyCost(s, null))), storage: pgBase ? 'postgresql' : 'pglite' })
    if (pg && !pgBase) {
      const db = await createDatabase(pg)
      const s = await startBenchServer({ DATABASE_URL: db.url })
      try {
        print({ ...(await historyCost(s, db.url)), storage: 'postgresql' })
      } finally {
        await s.stop()
        await db.drop()
      }
    }
  }
  if (want('guard')) {
    const g = guardCost()
    const load = await withServer((s) => fanout(s, 20, 20, 8))
    // Server CPU per accepted update = per delivered update × peers it reached.
    const perUpdate = load.serverCpuUsPerDelivered * (load.clients - 1)
    print({
      scenario: 'guard',
      ...g,
      serverCpuUsPerUpdateGuardOn: round(perUpdate),
      serverCpuUsPerUpdateGuardOff: round(perUpdate - g.guardUsPerUpdate),
      guardOverheadPct: round((g.guardUsPerUpdate / (perUpdate - g.guardUsPerUpdate)) * 100, 1),
    })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
