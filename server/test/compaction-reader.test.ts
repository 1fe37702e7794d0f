// On PostgreSQL a compaction's rows are read and merged in the merge worker,
// over its own connection, so the main thread (where every live update waits)
// neither receives nor parses them. What must hold: the snapshot is the same
// document the main thread's read gives, nothing appended meanwhile is lost,
// a snapshot that moved is never overwritten, and a worker that cannot reach
// the database leaves the main thread to do it rather than no compaction.
import { eq } from 'drizzle-orm'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Store } from '../src/store/db.js'
import { INLINE_MERGE, logReadStatements, readInThread } from '../src/store/compaction-read.js'
import { DocStore } from '../src/store/doc-store.js'
import { MergeWorker } from '../src/store/merge-worker.js'
import { boards, docSnapshots, users } from '../src/store/schema.js'
import { apiClient, registerUser } from './helpers/api.js'
import { RawClient, waitFor } from './helpers/collab.js'
import { createBoard } from './helpers/fixtures.js'
import { startServer } from './helpers/server.js'
import { createTestDatabase, postgresBaseUrl, type TestDatabase } from './helpers/services.js'

const pgBase = postgresBaseUrl()
if (!pgBase) process.stdout.write('compaction-reader.test.ts: PostgreSQL suite SKIPPED (set DATABASE_URL or TEST_DATABASE_URL)\n')

const logger = pino({ level: 'silent' })
/** Nothing listens here: the worker's connection is refused. */
const UNREACHABLE = 'postgres://postgres@127.0.0.1:1/nothing'

function update(i: number): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = 100 + i
  doc.getMap('shapes').set('s' + i, i)
  return Y.encodeStateAsUpdate(doc)
}

function shapesOf(snapshot: Uint8Array): Y.Map<unknown> {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, snapshot)
  return doc.getMap('shapes')
}

describe.skipIf(!pgBase)('compaction reads in the merge worker (PostgreSQL)', () => {
  let db: TestDatabase
  let store: Store

  beforeAll(async () => {
    db = await createTestDatabase(pgBase!)
    store = await Store.open({ databaseUrl: db.url, dataDir: '/nonexistent', poolSize: 5 }, logger)
    await store.db.insert(users).values({ id: 'u', email: 'u@x.io', name: 'U', passwordHash: 'h' })
  })
  afterAll(async () => {
    await store?.close()
    await db?.drop()
  })

  async function board(id: string, rows: number): Promise<void> {
    await store.db.insert(boards).values({ id, title: 'T', ownerId: 'u' })
    const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9 })
    expect(new Set(await Promise.all(Array.from({ length: rows }, (_, i) => docs.append(id, update(i)))))).toEqual(new Set([true]))
    await docs.close()
  }

  it('folds a log of several slices, with appends going on, into the document the main thread would build', async () => {
    await board('b-worker', 4_500)
    const readBy: string[] = []
    const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9, readerUrl: db.url })
    docs.metrics = { onCompaction: (_b, _n, _ms, by) => readBy.push(by) }
    // The same log read by this thread, for comparison (nothing is written by it).
    const merger = new MergeWorker()
    const inThread = await readInThread(store.db, merger, 'b-worker', { lastSeq: null, upto: Number.MAX_SAFE_INTEGER })
    await merger.close()
    if (inThread === 'stale') throw new Error('unexpected stale read')

    // As a room does: loaded first, so the store counts the log it will fold.
    await docs.load('b-worker')
    const during = Array.from({ length: 300 }, (_, i) => docs.append('b-worker', update(4_500 + i)))
    await docs.compact('b-worker')
    await Promise.all(during)
    await docs.compact('b-worker')
    await docs.close()
    // One compaction or two, depending on whether the 300 landed before the
    // first one's edge; a second one folds at most 300 rows, but onto a
    // snapshot over the inline budget: the worker reads that one too.
    expect(readBy).toEqual(readBy.length === 2 ? ['worker', 'worker'] : ['worker'])

    const [first] = await store.db.select().from(docSnapshots).where(eq(docSnapshots.boardId, 'b-worker'))
    expect(first!.lastSeq).toBeGreaterThan(0)
    expect((first!.data as Uint8Array).length).toBeGreaterThan(INLINE_MERGE.bytes)
    const loaded = await new DocStore(store.db, logger, { compactAfterUpdates: 1e9 }).load('b-worker')
    expect(loaded.logCount).toBe(0)
    const shapes = shapesOf(loaded.snapshot!)
    expect(shapes.size).toBe(4_800)
    for (let i = 0; i < 4_800; i++) if (shapes.get('s' + i) !== i) throw new Error(`s${i} is ${String(shapes.get('s' + i))}`)
    // The first 4,500 as the main thread merged them: the same document.
    const threadShapes = shapesOf(inThread.data)
    expect(inThread.folded).toBe(4_500)
    for (let i = 0; i < 4_500; i++) expect(threadShapes.get('s' + i)).toBe(shapes.get('s' + i))
  })

  it('answers stale, and writes nothing, when the snapshot moved after the caller looked', async () => {
    await board('b-stale', 50)
    const merger = new MergeWorker()
    try {
      const request = { url: db.url, sliceRows: 20, ...logReadStatements(store.db), boardId: 'b-stale', upto: Number.MAX_SAFE_INTEGER }
      // The caller believed a snapshot up to seq 7 was stored; there is none.
      expect(await merger.readAndMerge({ ...request, expectSeq: 7 })).toBe('stale')
      const merged = await merger.readAndMerge({ ...request, expectSeq: null })
      if (merged === 'stale') throw new Error('unexpected stale read')
      expect(merged.folded).toBe(50)
      expect(shapesOf(merged.data).size).toBe(50)
    } finally {
      await merger.close()
    }
    expect(await store.db.select().from(docSnapshots).where(eq(docSnapshots.boardId, 'b-stale'))).toHaveLength(0)
  })

  // C's 500 rooms unload at once and their compactions are read side by
  // side; pg 8 queues a query sent to a busy connection but warns that pg 9
  // refuses it. The worker's reads must take turns on its one connection.
  it('reads concurrent compactions one after another on its connection, and says so through the logger', async () => {
    const ids = ['b-turns-0', 'b-turns-1', 'b-turns-2', 'b-turns-3']
    for (const [i, id] of ids.entries()) await board(id, 40 + i)
    const warnings: string[] = []
    const merger = new MergeWorker({ onWarning: (w) => warnings.push(`${w.name}: ${w.message}`) })
    try {
      const request = { url: db.url, sliceRows: 10, ...logReadStatements(store.db), expectSeq: null, upto: Number.MAX_SAFE_INTEGER }
      const merged = await Promise.all(ids.map((boardId) => merger.readAndMerge({ ...request, boardId })))
      expect(merged.map((m) => (m === 'stale' ? 'stale' : shapesOf(m.data).size))).toEqual([40, 41, 42, 43])
      // Before the reads took turns, pg's DeprecationWarning arrived here.
      expect(warnings).toEqual([])
    } finally {
      await merger.close()
    }
  })

  it('compacts from the main thread when the worker cannot reach the database', async () => {
    await board('b-fallback', 2_100)
    const readBy: string[] = []
    const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9, readerUrl: UNREACHABLE })
    docs.metrics = { onCompaction: (_b, _n, _ms, by) => readBy.push(by) }
    await docs.compact('b-fallback')
    await docs.close()
    expect(readBy).toEqual(['thread'])
    const loaded = await new DocStore(store.db, logger, { compactAfterUpdates: 1e9 }).load('b-fallback')
    expect(loaded.logCount).toBe(0)
    expect(shapesOf(loaded.snapshot!).size).toBe(2_100)
  })

  it('is what a server on PostgreSQL does: the worker reads and merges every board, small or big', async () => {
    await serverCompactions({ DATABASE_URL: db.url }, { small: ['worker', 'worker'], big: ['worker', 'worker'] })
  })
})

type Labels = [readBy: 'worker' | 'thread' | 'live', mergedBy: 'worker' | 'thread' | 'live']

/**
 * A server as production starts it: 40 small edits on one board, then 40
 * edits of 16 KB on another, each compacted every 20 rows; each board's
 * compactions must carry the expected labels, and no other label may appear.
 */
async function serverCompactions(env: Record<string, string>, expected: { small: Labels; big: Labels }): Promise<void> {
  const server = await startServer({ ...env, COMPACT_AFTER_UPDATES: '20', METRICS_TOKEN: 'metrics-token-0123456789' })
  try {
    const api = apiClient(server.url)
    const owner = await registerUser(api)
    /** Compactions counted by their labels, from the server's metrics. */
    const compactions = async (): Promise<Map<string, number>> => {
      const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } })).text()
      const out = new Map<string, number>()
      for (const line of text.split('\n').filter((l) => l.startsWith('drawbridge_compactions_total{'))) {
        const labels = /read_by="(\w+)",merged_by="(\w+)"|merged_by="(\w+)",read_by="(\w+)"/.exec(line)
        if (!labels) throw new Error(`unexpected line ${line}`)
        const key = labels[1] ? `${labels[1]}/${labels[2]}` : `${labels[4]}/${labels[3]}`
        out.set(key, Number(line.split(' ').pop()))
      }
      return out
    }
    const edit = async (bytes: number): Promise<RawClient> => {
      const created = await createBoard(api, owner.token)
      const raw = await RawClient.connect(server.url, created.id, owner.token)
      await raw.syncWithServer()
      const doc = raw.docFromServer()
      for (let i = 0; i < 40; i++) {
        const before = Y.encodeStateVector(doc)
        doc.getMap('shapes').set('k' + i, bytes > 0 ? 'x'.repeat(bytes) : i)
        raw.sendUpdate(Y.encodeStateAsUpdate(doc, before))
      }
      return raw
    }
    // 40 small edits: the first compaction's 20 rows are a few hundred bytes.
    const small = await edit(0)
    const smallKey = expected.small.join('/')
    await waitFor(async () => ((await compactions()).get(smallKey) ? true : undefined), 10_000, `a compaction ${smallKey}`)
    expect([...(await compactions()).keys()]).toEqual([smallKey])
    small.close()
    // 40 edits of 16 KB: 20 rows are more than INLINE_MERGE.bytes.
    const before = (await compactions()).get(expected.big.join('/')) ?? 0
    const big = await edit(16_000)
    const bigKey = expected.big.join('/')
    await waitFor(async () => (((await compactions()).get(bigKey) ?? 0) > before ? true : undefined), 10_000, `a compaction ${bigKey}`)
    expect(new Set((await compactions()).keys())).toEqual(new Set([smallKey, bigKey]))
    big.close()
  } finally {
    await server.stop()
  }
}

describe('compactions on the embedded database', () => {
  // The log is not read at all: the room's document is the snapshot
  // (live-compaction.test.ts); the paths that read it are storage.test.ts's.
  it('takes a loaded board\'s snapshot from its room, small or big', async () => {
    await serverCompactions({}, { small: ['live', 'live'], big: ['live', 'live'] })
  })
})
