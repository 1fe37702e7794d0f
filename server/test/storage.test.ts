// One storage suite, run against the embedded PGlite and, when a server is
// configured, against PostgreSQL (each run in a private database).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, sql } from 'drizzle-orm'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { queryRows, Store } from '../src/store/db.js'
import { INLINE_MERGE, readInThread, THREAD_SLICE_BYTES, THREAD_SLICE_ROWS } from '../src/store/compaction-read.js'
import { DocStore } from '../src/store/doc-store.js'
import { mergeInline } from '../src/store/merge-inline.js'
import { MergeWorker } from '../src/store/merge-worker.js'
import { rowAppender } from '../src/store/log-append.js'
import { boards, docUpdates, users } from '../src/store/schema.js'
import { apiClient, registerUser } from './helpers/api.js'
import { freshDataDir } from './helpers/data-dir.js'
import { createBoard, createInvite } from './helpers/fixtures.js'
import { startServer } from './helpers/server.js'
import { createTestDatabase, postgresBaseUrl, type TestDatabase } from './helpers/services.js'

const logger = pino({ level: 'silent' })
const pgBase = postgresBaseUrl()

/** One edit: shape `s<i>` set to i, by a client of its own. */
function shapeUpdate(i: number): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = 100 + i
  doc.getMap('shapes').set('s' + i, i)
  return Y.encodeStateAsUpdate(doc)
}

interface Backend {
  name: string
  available: boolean
  setup(): Promise<{ open: () => Promise<Store>; env: Record<string, string>; cleanup: () => Promise<void> }>
}

const backends: Backend[] = [
  {
    name: 'PGlite (embedded)',
    available: true,
    async setup() {
      // The store migrates a cluster from nothing; the server beside it starts
      // from the run's template (a second initdb here cost the suite 15-20 s).
      const dataDir = await mkdtemp(join(tmpdir(), 'drawbridge-store-'))
      const serverDir = await freshDataDir('drawbridge-store-server-')
      return {
        open: () => Store.open({ dataDir, poolSize: 1 }, logger),
        env: { DATA_DIR: serverDir },
        cleanup: async () => {
          await rm(dataDir, { recursive: true, force: true })
          await rm(serverDir, { recursive: true, force: true })
        },
      }
    },
  },
  {
    name: 'PostgreSQL',
    available: Boolean(pgBase),
    async setup() {
      const db: TestDatabase = await createTestDatabase(pgBase!)
      return {
        open: () => Store.open({ databaseUrl: db.url, dataDir: '/nonexistent', poolSize: 5 }, logger),
        env: { DATABASE_URL: db.url },
        cleanup: () => db.drop(),
      }
    },
  },
]

if (!pgBase) {
  process.stdout.write('storage.test.ts: PostgreSQL suite SKIPPED (set DATABASE_URL or TEST_DATABASE_URL)\n')
}

for (const backend of backends) {
  describe.skipIf(!backend.available)(`storage on ${backend.name}`, () => {
    let ctx: Awaited<ReturnType<Backend['setup']>>
    let store: Store

    beforeAll(async () => {
      ctx = await backend.setup()
      store = await ctx.open()
    })
    afterAll(async () => {
      await store?.close()
      await ctx?.cleanup()
    })

    it('applies migrations once and records them', async () => {
      const rows = await queryRows<{ name: string }>(store.db, sql`SELECT name FROM drawbridge_migrations ORDER BY name`)
      expect(rows.map((r) => r.name)).toEqual(['0000_init', '0001_bytea_storage', '0002_settings', '0003_security_review', '0004_board_files', '0005_board_history', '0006_session_control', '0007_votes_and_private_notes', '0008_summons', '0009_mail_and_reset', '0010_webhooks', '0011_sso_identities', '0012_snapshot_parts'])
    })

    it('round-trips rows, timestamps and bytes', async () => {
      await store.db.insert(users).values({ id: 'u1', email: 'u1@x.io', name: 'U', passwordHash: 'h' })
      await store.db.insert(boards).values({ id: 'b1', title: 'T', ownerId: 'u1' })
      const bytes = new Uint8Array([0, 1, 2, 250, 255])
      await store.db.insert(docUpdates).values({ boardId: 'b1', data: bytes })
      const [row] = await store.db.select().from(docUpdates).where(eq(docUpdates.boardId, 'b1'))
      expect(new Uint8Array(row!.data as Uint8Array)).toEqual(bytes)
      expect(row!.createdAt).toBeInstanceOf(Date)
      expect(typeof row!.seq).toBe('number')
    })

    it('appends log rows with the hand-written statement: one or many, in order, any bytes, nothing for a gone board', async () => {
      const append = rowAppender(store.db)
      const all = new Uint8Array(256).map((_, i) => i)
      // a view into a bigger buffer, as the hub hands updates over
      const view = new Uint8Array([9, 9, 7, 8, 9, 9]).subarray(2, 4)
      await append([{ boardId: 'b1', data: all, actor: 'user:u1' }])
      await append([
        { boardId: 'b1', data: view, actor: null },
        { boardId: 'b1', data: new Uint8Array(0), actor: 'guest:g1' },
        // not a plain id: written as a parameter, never as SQL text
        { boardId: 'b1', data: Buffer.from('tail'), actor: "user:o'brien\\" },
      ])
      // big rows go as parameters (bytes, not hex text): a view into a bigger buffer, every byte value
      const bigBacking = new Uint8Array(300_000).map((_, i) => (i * 7) & 255)
      const big = bigBacking.subarray(3, 200_003)
      await append([{ boardId: 'b1', data: big, actor: 'user:u1' }])
      const rows = await store.db.select().from(docUpdates).where(eq(docUpdates.boardId, 'b1')).orderBy(docUpdates.seq)
      expect(Buffer.from(rows.at(-1)!.data as Uint8Array).equals(Buffer.from(big))).toBe(true)
      expect(rows.slice(-5, -1).map((r) => [Array.from(r.data as Uint8Array), r.actor])).toEqual([
        [Array.from(all), 'user:u1'],
        [[7, 8], null],
        [[], 'guest:g1'],
        [Array.from(Buffer.from('tail')), "user:o'brien\\"],
      ])
      // A gone board: PGlite's key check fails the whole batch, PostgreSQL stores the rest and names it.
      const outcome = (p: Promise<ReadonlySet<string>>) => p.then((gone) => [...gone], () => 'failed' as const)
      expect([['no-such-board'], 'failed']).toContainEqual(await outcome(append([{ boardId: 'no-such-board', data: all, actor: null }])))
      // …with PostgreSQL's own error (the foreign key), for the log and the retry per board.
      if (store.kind === 'pglite') await expect(append([{ boardId: 'no-such-board', data: all, actor: null }])).rejects.toMatchObject({ code: '23503' })
      const mixed = await outcome(append([{ boardId: 'b1', data: all, actor: null }, { boardId: 'no-such-board', data: all, actor: null }]))
      expect(mixed).toEqual(store.kind === 'postgres' ? ['no-such-board'] : 'failed')
      expect(await store.db.select().from(docUpdates).where(eq(docUpdates.boardId, 'b1'))).toHaveLength(mixed === 'failed' ? 6 : 7)
      expect(await store.db.select().from(docUpdates).where(eq(docUpdates.boardId, 'no-such-board'))).toHaveLength(0)
    })

    /** A board of its own, with its owner, and a log store for it. */
    async function boardWithLog(id: string): Promise<DocStore> {
      await store.db.insert(users).values({ id: `u-${id}`, email: `${id}@x.io`, name: 'U', passwordHash: 'h' })
      await store.db.insert(boards).values({ id, title: 'T', ownerId: `u-${id}` })
      return new DocStore(store.db, logger, { compactAfterUpdates: 1e9 })
    }

    /** The board's shapes as a fresh load finds them, its whole log folded into the snapshot. */
    async function compactedShapes(id: string): Promise<Y.Map<unknown>> {
      const loaded = await new DocStore(store.db, logger, { compactAfterUpdates: 1e9 }).load(id)
      expect(loaded.logCount).toBe(0)
      const doc = new Y.Doc()
      Y.applyUpdate(doc, loaded.snapshot!)
      expect(doc.store.pendingStructs).toBeNull()
      return doc.getMap('shapes')
    }

    it('compacts a log longer than one read slice while appends go on, and loads the same document', async () => {
      const docs = await boardWithLog('b-compact')
      // 4,500 rows: three slices of the compaction's read
      expect(new Set(await Promise.all(Array.from({ length: 4500 }, (_, i) => docs.append('b-compact', shapeUpdate(i)))))).toEqual(new Set([true]))
      const during = Array.from({ length: 300 }, (_, i) => docs.append('b-compact', shapeUpdate(4500 + i)))
      await docs.compact('b-compact')
      await Promise.all(during)
      await docs.compact('b-compact')
      await docs.close()
      const shapes = await compactedShapes('b-compact')
      expect(shapes.size).toBe(4800)
      for (let i = 0; i < 4800; i++) if (shapes.get('s' + i) !== i) throw new Error(`s${i} is ${String(shapes.get('s' + i))}`)
    })

    it('compacts a board twice, the second time from its snapshot, and loads every edit', async () => {
      const docs = await boardWithLog('b-twice')
      await docs.load('b-twice')
      for (const [from, to] of [
        [0, 250],
        [250, 500],
      ] as const) {
        expect(new Set(await Promise.all(Array.from({ length: to - from }, (_, i) => docs.append('b-twice', shapeUpdate(from + i)))))).toEqual(new Set([true]))
        await docs.compact('b-twice')
      }
      await docs.close()
      const shapes = await compactedShapes('b-twice')
      expect(shapes.size).toBe(500)
      for (let i = 0; i < 500; i++) expect(shapes.get('s' + i)).toBe(i)
    })

    it('merges a small board on this thread without starting the worker, and hands a log that outgrew its estimate to the worker', async () => {
      const docs = await boardWithLog('b-small')
      const merged: string[] = []
      docs.metrics = { onCompaction: (_b, _n, _ms, readBy, mergedBy) => merged.push(`${readBy}/${mergedBy}`) }
      await docs.load('b-small')
      expect(new Set(await Promise.all(Array.from({ length: 300 }, (_, i) => docs.append('b-small', shapeUpdate(i)))))).toEqual(new Set([true]))
      await docs.compact('b-small')
      expect(merged).toEqual(['thread/thread'])
      expect(docs.mergeWorkerStarted).toBe(false)
      expect((await compactedShapes('b-small')).size).toBe(300)

      // Another instance logs more than this one's estimate knows of: this
      // one has seen a single append, the log holds over INLINE_MERGE.rows.
      const other = new DocStore(store.db, logger, { compactAfterUpdates: 1e9 })
      const more = INLINE_MERGE.rows + 200
      expect(new Set(await Promise.all(Array.from({ length: more }, (_, i) => other.append('b-small', shapeUpdate(300 + i)))))).toEqual(new Set([true]))
      await other.close()
      expect(await docs.append('b-small', shapeUpdate(300 + more))).toBe(true)
      await docs.compact('b-small')
      expect(merged).toEqual(['thread/thread', 'thread/worker'])
      expect(docs.mergeWorkerStarted).toBe(true)
      await docs.close()
      const shapes = await compactedShapes('b-small')
      expect(shapes.size).toBe(301 + more)
      for (let i = 0; i <= 300 + more; i++) if (shapes.get('s' + i) !== i) throw new Error(`s${i} is ${String(shapes.get('s' + i))}`)
    })

    it('starts the worker ahead, at low priority, once a board merged here will be over the inline budget at its next compaction', async () => {
      const docs = await boardWithLog('b-growing')
      const merged: string[] = []
      docs.metrics = { onCompaction: (_b, _n, _ms, readBy, mergedBy) => merged.push(`${readBy}/${mergedBy}`) }
      await docs.load('b-growing')
      // 300 shapes of ~150 bytes: ~45 KB, merged here; its next compaction will not be.
      const shape = (i: number): Uint8Array => {
        const doc = new Y.Doc()
        doc.clientID = 100 + i
        doc.getMap('shapes').set('s' + i, 'x'.repeat(140))
        return Y.encodeStateAsUpdate(doc)
      }
      expect(new Set(await Promise.all(Array.from({ length: 300 }, (_, i) => docs.append('b-growing', shape(i)))))).toEqual(new Set([true]))
      expect(docs.storedBytes('b-growing')).toBeGreaterThan(INLINE_MERGE.bytes / 2)
      expect(docs.storedBytes('b-growing')).toBeLessThan(INLINE_MERGE.bytes)
      await docs.compact('b-growing')
      expect(merged).toEqual(['thread/thread'])
      expect(docs.mergeWorkerStarted).toBe(true)
      await docs.close()
      expect((await compactedShapes('b-growing')).size).toBe(300)
    })

    it('reads exactly the board\'s log between snapshot and edge, every size of row, and merges it as the rows would', async () => {
      // Two boards' rows interleaved; one of them from a few bytes to 300 KB
      // (a pasted image), more rows than one read slice, and a run of big
      // rows that is more bytes than one slice.
      const docs = await boardWithLog('b-read')
      await boardWithLog('b-other')
      const mine: Uint8Array[] = []
      for (let i = 0; i < THREAD_SLICE_ROWS + 700; i++) {
        const doc = new Y.Doc()
        doc.clientID = 5_000 + i
        const big = i % 500 === 7 || (i >= 100 && i < 100 + Math.ceil((2 * THREAD_SLICE_BYTES) / 300_000))
        // and one row bigger than a whole slice
        doc.getMap('shapes').set('r' + i, i === 300 ? 'y'.repeat(THREAD_SLICE_BYTES + 200_000) : big ? 'x'.repeat(300_000) : i)
        const u = Y.encodeStateAsUpdate(doc)
        mine.push(u)
        const [ok, other] = await Promise.all([docs.append('b-read', u), docs.append('b-other', shapeUpdate(i))])
        expect(ok && other).toBe(true)
      }
      await docs.close()
      const seqs = (await store.db.select({ seq: docUpdates.seq }).from(docUpdates).where(eq(docUpdates.boardId, 'b-read')).orderBy(docUpdates.seq)).map((r) => r.seq)
      const upto = seqs[THREAD_SLICE_ROWS + 400]!
      const merger = new MergeWorker()
      try {
        const read = await readInThread(store.db, merger, 'b-read', { lastSeq: null, upto })
        if (read === 'stale') throw new Error('unexpected stale read')
        const expected = mine.slice(0, THREAD_SLICE_ROWS + 401)
        expect(read.folded).toBe(expected.length)
        expect(read.lastSeq).toBe(upto)
        expect(read.foldedBytes).toBe(expected.reduce((n, u) => n + u.length, 0))
        expect(Buffer.from(read.data).equals(Buffer.from(mergeInline(expected)))).toBe(true)
      } finally {
        await merger.close()
      }
    })

    it('claims client ids: the first claim wins, a repeat is the owner\'s own, and a mixed claim answers every id\'s owner', async () => {
      const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9 })
      const alice = { kind: 'user', id: 'u1' } as const
      const guest = { kind: 'guest', id: 'g1' } as const
      const owners = (m: Map<number, { kind: string; id: string }>) => Object.fromEntries([...m].map(([c, o]) => [c, `${o.kind}:${o.id}`]))
      expect(owners(await docs.claim('b1', [11], alice))).toEqual({ 11: 'user:u1' })
      expect(owners(await docs.claim('b1', [11], guest))).toEqual({ 11: 'user:u1' })
      expect(owners(await docs.claim('b1', [11], alice))).toEqual({ 11: 'user:u1' })
      expect(owners(await docs.claim('b1', [11, 12, 13], guest))).toEqual({ 11: 'user:u1', 12: 'guest:g1', 13: 'guest:g1' })
      // Side by side, for one id: both answer the one owner that got it.
      const [a, b] = await Promise.all([docs.claim('b1', [14], alice), docs.claim('b1', [14], guest)])
      expect(owners(a)).toEqual(owners(b))
      // Another board's ids are its own.
      expect(owners(await docs.claim('b-other', [11], guest))).toEqual({ 11: 'guest:g1' })
      await expect(docs.claim('b-gone', [1], guest)).rejects.toThrow()
      await docs.close()
    })

    it('cascades a board delete to everything of the board', async () => {
      await store.db.delete(boards).where(eq(boards.id, 'b1'))
      expect(await store.db.select().from(docUpdates).where(eq(docUpdates.boardId, 'b1'))).toHaveLength(0)
    })

    it('rolls a failed transaction back', async () => {
      await expect(
        store.db.transaction(async (tx) => {
          await tx.insert(users).values({ id: 'u2', email: 'u2@x.io', name: 'U', passwordHash: 'h' })
          await tx.insert(users).values({ id: 'u3', email: 'u2@x.io', name: 'dup', passwordHash: 'h' })
        }),
      ).rejects.toThrow()
      expect(await store.db.select().from(users).where(eq(users.id, 'u2'))).toHaveLength(0)
    })

    it('lets several instances start at once (migrations under an advisory lock)', async () => {
      const more = await Promise.all([ctx.open(), ctx.open()].slice(0, backend.name === 'PostgreSQL' ? 2 : 0))
      for (const s of more) {
        await s.ping()
        await s.close()
      }
    })

    it('runs the HTTP API, including the concurrent maxUses join', async () => {
      await store.close()
      const server = await startServer(ctx.env)
      try {
        const api = apiClient(server.url)
        expect(server.store.kind).toBe(backend.name === 'PostgreSQL' ? 'postgres' : 'pglite')
        const owner = await registerUser(api)
        const board = await createBoard(api, owner.token)
        const link = await createInvite(api, owner.token, board.id, 'reader', { maxUses: 1 })
        const joins = await Promise.all(
          Array.from({ length: 10 }, (_, i) => api.post(`/api/invites/${link.token}/join`, { body: { name: `R${i}` } })),
        )
        expect(joins.filter((r) => r.status === 201)).toHaveLength(1)
        expect(joins.filter((r) => r.status === 410)).toHaveLength(9)
      } finally {
        await server.stop()
        store = await ctx.open()
      }
    })
  })
}

describe('the embedded database', () => {
  it('runs with small buffers, its cluster created by a child process; a reopen starts no child', async () => {
    // A fresh data directory: the cluster is created by a child process (its WebAssembly heap goes when it exits).
    const dir = await mkdtemp(join(tmpdir(), 'drawbridge-init-'))
    const lines: string[] = []
    const capture = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) })
    try {
      const fresh = await Store.open({ dataDir: dir, poolSize: 1 }, capture)
      expect(lines.filter((l) => l.includes('embedded database created'))).toHaveLength(1)
      expect(lines.filter((l) => l.includes('in this process'))).toEqual([])
      const show = async (store: Store, name: string) => (await queryRows<Record<string, string>>(store.db, sql.raw(`SHOW ${name}`)))[0]![name]
      expect(await show(fresh, 'shared_buffers')).toBe('16MB')
      expect(await show(fresh, 'work_mem')).toBe('2MB')
      expect(await show(fresh, 'max_connections')).toBe('3')
      expect(await show(fresh, 'wal_init_zero')).toBe('off')
      await fresh.close()
      // Opening an existing cluster starts no child, and applies the same settings.
      const reopened = await Store.open({ dataDir: dir, poolSize: 1 }, capture)
      expect(lines.filter((l) => l.includes('embedded database created'))).toHaveLength(1)
      expect(await show(reopened, 'wal_init_zero')).toBe('off')
      expect(await show(reopened, 'shared_buffers')).toBe('16MB')
      await reopened.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
