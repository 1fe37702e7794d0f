// 2,000 connect / sync / disconnect cycles across 100 boards against a real
// server process: once every board has unloaded, resident memory, the V8 heap
// and open handles are back within 10% of where they started. Runs on the
// embedded database always, and on PostgreSQL too when one is configured.
//
// Every measurement follows a full garbage collection in the server, forced
// through the inspector. Without it the test measured the garbage that happened
// to be waiting at that instant (up to +18% under a busy suite) rather than
// anything kept alive; heap snapshots showed the only growth to be JIT code.
import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { apiClient, registerUser } from './helpers/api.js'
import { attachInspector, type Inspector } from './helpers/inspector.js'
import { type ServerProcess, spawnServer } from './helpers/process.js'
import { createTestDatabase, postgresBaseUrl, type TestDatabase } from './helpers/services.js'
import { freshDataDir } from './helpers/data-dir.js'

const METRICS_TOKEN = 'memory-test-metrics-token'
// A leaked room, socket or document per cycle (tens of KB) would be over the
// 10% margin several times; a leaked handle even once every few hundred cycles.
const CYCLES = 2_000
const BOARDS = 100
const pgBase = postgresBaseUrl()
if (!pgBase) process.stdout.write('memory.test.ts: PostgreSQL run SKIPPED (set DATABASE_URL or TEST_DATABASE_URL); embedded run only\n')

function memorySuite(backend: 'embedded' | 'postgres') {
  let proc: ServerProcess
  let inspector: Inspector
  let dir: string
  let db: TestDatabase | undefined

  beforeAll(async () => {
    dir = await freshDataDir('drawbridge-memory-')
    if (backend === 'postgres') db = await createTestDatabase(pgBase!)
    const env: Record<string, string> = { DATA_DIR: dir, METRICS_TOKEN, AUTH_RATE_LIMIT: '100000', WS_RATE: '100000', WS_BURST: '100000' }
    if (db) env.DATABASE_URL = db.url
    proc = await spawnServer(env, 30_000, ['--inspect=127.0.0.1:0'])
    inspector = await attachInspector(proc)
  })
  afterAll(async () => {
    await inspector?.close()
    await proc?.kill('SIGTERM')
    await db?.drop()
    await rm(dir, { recursive: true, force: true })
  })

  async function metrics(): Promise<Record<string, number>> {
    const res = await fetch(`${proc.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    const out: Record<string, number> = {}
    for (const line of (await res.text()).split('\n')) {
      if (line.startsWith('#') || !line) continue
      const at = line.lastIndexOf(' ')
      out[line.slice(0, at)] = Number(line.slice(at + 1))
    }
    return out
  }

  /** Opens a collaboration socket, asks for the full state, waits for it, closes. */
  function cycle(boardId: string, token: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${proc.url.replace('http', 'ws')}/collab/${boardId}?token=${token}`)
      const timer = setTimeout(() => reject(new Error('cycle timed out')), 10_000)
      ws.on('open', () => ws.send(new Uint8Array([0, 0, 1, 0])))
      ws.on('message', (data: Buffer) => {
        if (data[0] === 0 && data[1] === 1) ws.close()
      })
      ws.on('close', () => {
        clearTimeout(timer)
        resolve()
      })
      ws.on('error', reject)
    })
  }

  async function run(boards: string[], token: string, cycles: number, parallel: number): Promise<void> {
    let next = 0
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < cycles) {
          const i = next++
          await cycle(boards[i % boards.length]!, token)
        }
      }),
    )
  }

  /** Waits for every room to unload and its writes to flush, then collects garbage and reads the metrics. */
  async function settled(): Promise<Record<string, number>> {
    for (let i = 0; i < 100; i++) {
      const m = await metrics()
      if (m.drawbridge_rooms_open === 0 && m.drawbridge_collab_connections === 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    await new Promise((r) => setTimeout(r, 1000))
    await inspector.collectGarbage()
    return metrics()
  }

  it(`${backend}: returns to within 10% of its baseline RSS, heap and open handles`, async () => {
    const api = apiClient(proc.url)
    const owner = await registerUser(api)
    const boards: string[] = []
    for (let i = 0; i < BOARDS; i++) boards.push((await api.post('/api/boards', { token: owner.token, body: { title: `m${i}` } })).body.board.id)
    // Warm up (JIT, pools, caches, and malloc's arenas at the load's peak), then
    // take the baseline. After 500 cycles the PostgreSQL run once grew 15% beside
    // a busy suite with its V8 heap flat (+1 MB): memory malloc reached only at a
    // later, higher peak of overlapping cycles, kept for reuse, not leaked.
    await run(boards, owner.token, 1_000, 25)
    const before = await settled()
    const started = Date.now()
    await run(boards, owner.token, CYCLES, 25)
    const after = await settled()
    const pick = (name: string) => [before[name]!, after[name]!] as const
    const rss = pick('process_resident_memory_bytes')
    const heap = pick('nodejs_heap_size_used_bytes')
    // Open handles other than the PostgreSQL pool's connections: the pool
    // grows under load and closes idle ones only after 10 s, so its size when
    // measured varies (10 → 14 handles once, with nothing leaked).
    const handles = [before.nodejs_active_handles_total! - before.drawbridge_db_connections!, after.nodejs_active_handles_total! - after.drawbridge_db_connections!] as const
    const mb = (n: number) => (n / 1e6).toFixed(1)
    process.stdout.write(
      `memory (${backend}): ${CYCLES} cycles in ${((Date.now() - started) / 1000).toFixed(1)} s; RSS ${mb(rss[0])} → ${mb(rss[1])} MB; ` +
        `heap ${mb(heap[0])} → ${mb(heap[1])} MB; handles ${handles[0]} → ${handles[1]}\n`,
    )
    expect(after.drawbridge_rooms_open).toBe(0)
    expect(after.drawbridge_collab_connections).toBe(0)
    expect(rss[1]).toBeLessThanOrEqual(rss[0] * 1.1)
    expect(heap[1]).toBeLessThanOrEqual(heap[0] * 1.1)
    expect(handles[1]).toBeLessThanOrEqual(Math.ceil(handles[0] * 1.1))
  }, 240_000)
}

describe('memory over 2,000 connection cycles (embedded database)', () => memorySuite('embedded'))
describe.runIf(pgBase)('memory over 2,000 connection cycles (PostgreSQL)', () => memorySuite('postgres'))
