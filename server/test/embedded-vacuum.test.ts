// PGlite runs no autovacuum: every compaction's old snapshot stayed in the
// file and its space was never used again, so a self-hosted database only
// grew. The embedded vacuum makes that space reusable, but PGlite runs VACUUM
// on the event loop, so it must wait for a quiet loop. Real PGlite, real
// document store and compactions; the quiet/busy window is the real loop's.
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { sql } from 'drizzle-orm'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { queryRows, Store } from '../src/store/db.js'
import { DocStore } from '../src/store/doc-store.js'
import { EmbeddedVacuum, type EmbeddedVacuumOptions } from '../src/store/embedded-vacuum.js'
import { boards, docSnapshots, users } from '../src/store/schema.js'
import { freshDataDir } from './helpers/data-dir.js'

const logger = pino({ level: 'silent' })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Never on its own timer: each test calls check(). */
const EVERY_WRITE: EmbeddedVacuumOptions = { checkMs: 1e9, walBytes: 1, maxBusy: 0.2, overdue: { factor: 1e9, maxBusy: 0 } }

function busyFor(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) Math.sqrt(Math.random())
}

describe('vacuum of the embedded database', () => {
  let dir: string
  let store: Store
  const editor = new Y.Doc()
  const pending: Uint8Array[] = []
  editor.on('update', (u: Uint8Array) => pending.push(u))

  beforeAll(async () => {
    dir = await freshDataDir('drawbridge-vacuum-')
    store = await Store.open({ dataDir: dir, poolSize: 1 }, logger)
    await store.db.insert(users).values({ id: 'u', email: 'u@x.io', name: 'U', passwordHash: 'h' })
    await store.db.insert(boards).values([
      { id: 'b', title: 'T', ownerId: 'u' },
      { id: 'w', title: 'W', ownerId: 'u' },
    ])
  })
  afterAll(async () => {
    await store?.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** Bytes doc_snapshots takes in the file, its TOAST table included. */
  async function snapshotFile(): Promise<number> {
    const [row] = await queryRows<{ n: string }>(store.db, sql`SELECT pg_total_relation_size('doc_snapshots')::text AS n`)
    return Number(row!.n)
  }

  /** `rounds` compactions of a board of ~200 KB that does not compress (random text), each after 20 edits. */
  async function compactions(rounds: number, vacuum: EmbeddedVacuum | null): Promise<void> {
    const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9 })
    await docs.load('b')
    const shapes = editor.getMap<string>('shapes')
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 20; i++) {
        editor.transact(() => shapes.set('s' + i, randomBytes(5_000).toString('base64')))
        await docs.append('b', pending.pop()!)
      }
      await docs.compact('b')
      if (vacuum) expect(await vacuum.check()).toBe(true)
    }
    await docs.close()
  }

  /** One write of `bytes` that do not compress: a few milliseconds of the loop, so the quiet windows below are the test's own. */
  async function write(bytes: number): Promise<void> {
    const data = new Uint8Array(randomBytes(bytes))
    await store.db.insert(docSnapshots).values({ boardId: 'w', data, lastSeq: 0 }).onConflictDoUpdate({ target: docSnapshots.boardId, set: { data } })
  }

  // Since migration 0001 (the write of a 1.8 MB snapshot: 13-42 ms of the
  // loop uncompressed, 85-145 ms with pglz in WebAssembly), which is why the
  // dead versions below are as big as the live one.
  it('stores snapshots uncompressed', async () => {
    await write(300_000)
    const [row] = await queryRows<{ c: string | null; n: string }>(store.db, sql`SELECT pg_column_compression(data) AS c, pg_column_size(data)::text AS n FROM doc_snapshots WHERE board_id = 'w'`)
    expect(row).toEqual({ c: null, n: '300000' })
  })

  it('lets later snapshots reuse the space of the ones compactions replaced, where without it the file grows by each', async () => {
    await compactions(1, null)
    const one = await snapshotFile()
    // Without a vacuum: every compaction leaves its predecessor's bytes behind.
    await compactions(8, null)
    const unvacuumed = await snapshotFile()
    expect(unvacuumed - one).toBeGreaterThan(6 * 150_000)
    // With one after each (however busy the loop): the file stops growing
    // once the dead versions' space is free (a vacuum frees what is dead
    // when it runs, so two versions live side by side at most).
    const vacuum = new EmbeddedVacuum(store.client as never, logger, { ...EVERY_WRITE, maxBusy: 1 })
    await compactions(3, vacuum)
    const settled = await snapshotFile()
    await compactions(8, vacuum)
    expect(await snapshotFile()).toBeLessThanOrEqual(settled)
    expect(vacuum.vacuums).toBe(11)
    await vacuum.close()
  })

  it('waits for a quiet loop and for enough writing since the last one', async () => {
    const vacuum = new EmbeddedVacuum(store.client as never, logger, { ...EVERY_WRITE, walBytes: 1024 * 1024 })
    // A database already written to (more than walBytes of WAL) is
    // vacuumed at the first quiet look: older versions never vacuumed it.
    busyFor(200)
    expect(await vacuum.check()).toBe(false)
    await sleep(200)
    expect(await vacuum.check()).toBe(true)
    // Too little written since: nothing to do, however quiet.
    await write(100_000)
    await sleep(200)
    expect(await vacuum.check()).toBe(false)
    await write(1_200_000)
    await sleep(100)
    busyFor(200)
    expect(await vacuum.check()).toBe(false)
    await sleep(200)
    expect(await vacuum.check()).toBe(true)
    expect(vacuum.vacuums).toBe(2)
    await vacuum.close()
  })

  it('runs on a busier loop once much more has been written, and never while the loop is saturated', async () => {
    const vacuum = new EmbeddedVacuum(store.client as never, logger, { ...EVERY_WRITE, walBytes: 1024 * 1024, overdue: { factor: 4, maxBusy: 0.8 } })
    await sleep(200)
    expect(await vacuum.check()).toBe(true)
    // Half busy: not yet (only walBytes written).
    await write(1_200_000)
    await sleep(250)
    busyFor(250)
    expect(await vacuum.check()).toBe(false)
    // Busier than quiet, four times walBytes written: now. (The write itself
    // holds the loop too, longer when other work shares the machine: the
    // quiet part leaves room for it under the 80% this case allows.)
    await write(3_500_000)
    await sleep(750)
    busyFor(500)
    expect(await vacuum.check()).toBe(true)
    // Saturated: never.
    await write(4_500_000)
    busyFor(500)
    expect(await vacuum.check()).toBe(false)
    await vacuum.close()
  })
})
