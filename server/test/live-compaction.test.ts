// On the embedded database a compaction takes the board's live document as
// its snapshot (no read of the log on the thread that serves the rooms), and
// a big snapshot is written in parts (no one write holds that thread for
// long). Both must keep "saved is stored": a snapshot may never claim a log
// row whose edit it lacks, nor hold an edit the log failed to store. Real
// PGlite; the document is kept the way a room keeps it (each update applied,
// then appended, in the same turn).
import { rm } from 'node:fs/promises'
import { sql } from 'drizzle-orm'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { queryRows, Store } from '../src/store/db.js'
import type { LoadedDoc } from '../src/store/doc-log.js'
import { DocStore } from '../src/store/doc-store.js'
import { boards, users } from '../src/store/schema.js'
import { boardDoc } from '../src/util/y-doc.js'
import { freshDataDir } from './helpers/data-dir.js'
import { seededRandom } from './helpers/random.js'

const logger = pino({ level: 'silent' })

/** The document a room builds from what the store loaded. */
function docOf(got: LoadedDoc): Y.Doc {
  const doc = boardDoc()
  Y.transact(doc, () => {
    if (got.snapshot) Y.applyUpdate(doc, got.snapshot)
    for (const u of got.updates) Y.applyUpdate(doc, u)
  })
  expect(doc.store.pendingStructs).toBeNull()
  return doc
}

/** An edit by a client of its own, so that no edit depends on another. */
function edit(key: string, value = key): Uint8Array {
  const editor = new Y.Doc()
  editor.getMap('shapes').set(key, value)
  return Y.encodeStateAsUpdate(editor)
}

describe('live compaction and snapshot parts on the embedded database', () => {
  let dir: string
  let store: Store

  beforeAll(async () => {
    dir = await freshDataDir('drawbridge-live-compaction-')
    store = await Store.open({ dataDir: dir, poolSize: 1 }, logger)
    await store.db.insert(users).values({ id: 'u', email: 'u@x.io', name: 'U', passwordHash: 'h' })
  })
  afterAll(async () => {
    await store?.close()
    await rm(dir, { recursive: true, force: true })
  })

  async function newBoard(id: string): Promise<void> {
    await store.db.insert(boards).values({ id, title: 'T', ownerId: 'u' })
  }

  /** The board as a fresh server would load it (no snapshot kept in memory). */
  async function loaded(id: string): Promise<{ doc: Y.Doc; logCount: number }> {
    const got = await new DocStore(store.db, logger, { compactAfterUpdates: 1e9 }).load(id)
    return { doc: docOf(got), logCount: got.logCount }
  }

  async function partsOf(id: string): Promise<{ declared: number; stored: number; stale: number; lastSeq: number }> {
    const [row] = await queryRows<{ declared: number; stored: string; stale: string; last_seq: string }>(
      store.db,
      sql`SELECT s.parts AS declared, s.last_seq::text AS last_seq,
            (SELECT count(*) FROM doc_snapshot_parts p WHERE p.board_id = s.board_id AND p.last_seq = s.last_seq)::text AS stored,
            (SELECT count(*) FROM doc_snapshot_parts p WHERE p.board_id = s.board_id AND p.last_seq <> s.last_seq)::text AS stale
          FROM doc_snapshots s WHERE s.board_id = ${id}`,
    )
    return { declared: row!.declared, stored: Number(row!.stored), stale: Number(row!.stale), lastSeq: Number(row!.last_seq) }
  }

  it('takes snapshots from the live document while appends are queued and in flight, and a fresh load always equals the document', async () => {
    await newBoard('b-live')
    const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9, inProcess: true, snapshotPartBytes: 2048 })
    const labels: string[] = []
    docs.metrics = { onCompaction: (_b, _n, _ms, readBy, mergedBy) => labels.push(`${readBy}/${mergedBy}`) }
    const live = boardDoc()
    docs.liveDocument = (id) => (id === 'b-live' ? live : null)
    await docs.load('b-live')
    const next = seededRandom(17)
    const editors = [1, 2, 3].map((n) => {
      const d = new Y.Doc()
      d.clientID = 1000 + n
      return d
    })
    for (let round = 0; round < 25; round++) {
      const writes: Promise<boolean>[] = []
      const compactions: Promise<void>[] = []
      const edits = 1 + Math.floor(next() * 40)
      const compactAt = Math.floor(next() * edits)
      for (let i = 0; i < edits; i++) {
        const editor = editors[Math.floor(next() * editors.length)]!
        const before = Y.encodeStateVector(editor)
        const key = 'k' + Math.floor(next() * 60)
        if (next() < 0.2) editor.getMap('shapes').delete(key)
        else editor.getMap('shapes').set(key, `${round}.${i}:` + 'x'.repeat(Math.floor(next() * 3000)))
        const update = Y.encodeStateAsUpdate(editor, before)
        // As a room does: applied, then appended, in one turn.
        Y.applyUpdate(live, update)
        writes.push(docs.append('b-live', update))
        if (i === compactAt) compactions.push(docs.compact('b-live'))
        // Some edits wait for the previous commit, so compactions also start with a batch in flight.
        if (next() < 0.1) await new Promise((r) => setImmediate(r))
      }
      expect(new Set(await Promise.all(writes))).toEqual(new Set([true]))
      await Promise.all(compactions)
      const fresh = await loaded('b-live')
      expect(fresh.doc.getMap('shapes').toJSON()).toEqual(live.getMap('shapes').toJSON())
    }
    await docs.compact('b-live')
    await docs.close()
    expect(new Set(labels)).toEqual(new Set(['live/live']))
    expect(labels.length).toBeGreaterThan(10)
    const fresh = await loaded('b-live')
    expect(fresh.logCount).toBe(0)
    expect(fresh.doc.getMap('shapes').toJSON()).toEqual(live.getMap('shapes').toJSON())
    // Big enough for parts, and every earlier snapshot's parts are gone.
    const parts = await partsOf('b-live')
    expect(parts.declared).toBeGreaterThan(1)
    expect(parts).toMatchObject({ stored: parts.declared, stale: 0 })
  })

  it('compacts a big board from its last snapshot and the rows appended since, merged in the worker, and loads the same document', async () => {
    await newBoard('b-big')
    const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9, inProcess: true })
    const labels: string[] = []
    docs.metrics = { onCompaction: (_b, _n, _ms, readBy, mergedBy) => labels.push(`${readBy}/${mergedBy}`) }
    const live = boardDoc()
    docs.liveDocument = (id) => (id === 'b-big' ? live : null)
    await docs.load('b-big')
    const next = seededRandom(5)
    const editor = new Y.Doc()
    const round = async (edits: number, big: boolean): Promise<void> => {
      const writes: Promise<boolean>[] = []
      let compaction: Promise<void> | null = null
      for (let i = 0; i < edits; i++) {
        // While a compaction runs, edits keep coming between its steps.
        if (compaction) await new Promise((r) => setImmediate(r))
        const before = Y.encodeStateVector(editor)
        editor.getMap('shapes').set('k' + Math.floor(next() * 200), 'y'.repeat(big ? 2000 : 20) + i)
        const update = Y.encodeStateAsUpdate(editor, before)
        Y.applyUpdate(live, update)
        writes.push(docs.append('b-big', update))
        // The rest of the round is appended while the compaction runs: merged
        // now if appended before its copy, else by the next round.
        if (i === Math.floor(edits / 2)) {
          // Once some are stored (compact() skips a board with nothing stored since it loaded).
          await writes[i]
          compaction = docs.compact('b-big')
        }
      }
      expect(new Set(await Promise.all(writes))).toEqual(new Set([true]))
      await compaction
      expect((await loaded('b-big')).doc.getMap('shapes').toJSON()).toEqual(live.getMap('shapes').toJSON())
    }
    // Over LIVE_ENCODE_MAX_BYTES once encoded: later compactions come from memory.
    await round(200, true)
    expect(labels).toEqual(['live/live'])
    for (let r = 0; r < 4; r++) await round(300, false)
    await docs.compact('b-big')
    await docs.close()
    expect(labels.slice(1)).toEqual(Array(5).fill('memory/worker'))
    expect((await loaded('b-big')).logCount).toBe(0)
  })

  it('never lands a snapshot holding an edit the log failed to store', async () => {
    await newBoard('b-poison')
    const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9, inProcess: true })
    const labels: string[] = []
    docs.metrics = { onCompaction: (_b, _n, _ms, readBy, mergedBy) => labels.push(`${readBy}/${mergedBy}`) }
    const live = boardDoc()
    docs.liveDocument = (id) => (id === 'b-poison' ? live : null)
    await docs.load('b-poison')
    // As a room does: applied, then appended. One client per edit: none builds on the one that was not stored.
    const applied = (key: string, value: string): Uint8Array => {
      const update = edit(key, value)
      Y.applyUpdate(live, update)
      return update
    }
    expect(await docs.append('b-poison', applied('a', 'stored'))).toBe(true)
    // The database refuses any row holding "poison" (a full disk, a broken
    // connection: the log fails to store an edit the room already applied).
    await store.db.execute(sql.raw(`ALTER TABLE doc_updates ADD CONSTRAINT poison CHECK (position('\\x706f69736f6e'::bytea IN data) = 0)`))
    try {
      const failed = docs.append('b-poison', applied('b', 'poison'))
      const compacted = docs.compact('b-poison')
      await expect(failed).rejects.toThrow()
      await compacted
      expect(labels).toEqual([])
      // A compaction after the failure, with the poisoned edit still in the
      // document (the hub drops the room, but not in the same turn): from the log.
      expect(await docs.append('b-poison', applied('c', 'stored too'))).toBe(true)
      await docs.compact('b-poison')
      expect(labels).toEqual(['thread/thread'])
    } finally {
      await store.db.execute(sql.raw('ALTER TABLE doc_updates DROP CONSTRAINT poison'))
    }
    await docs.close()
    const fresh = await loaded('b-poison')
    expect(fresh.doc.getMap('shapes').toJSON()).toEqual({ a: 'stored', c: 'stored too' })
    // The room dropped and loaded again: its document is the database's, live compactions resume.
    const reloaded = new DocStore(store.db, logger, { compactAfterUpdates: 1e9, inProcess: true })
    reloaded.metrics = docs.metrics
    reloaded.liveDocument = (id) => (id === 'b-poison' ? fresh.doc : null)
    await reloaded.load('b-poison')
    const update = edit('d', 'after')
    Y.applyUpdate(fresh.doc, update)
    expect(await reloaded.append('b-poison', update)).toBe(true)
    await reloaded.compact('b-poison')
    await reloaded.close()
    expect(labels).toEqual(['thread/thread', 'live/live'])
    expect((await loaded('b-poison')).doc.getMap('shapes').toJSON()).toEqual({ a: 'stored', c: 'stored too', d: 'after' })
  })

  it('never takes the snapshot from a document loaded while rows of the board were still queued', async () => {
    // A room is dropped (its connection's write failed) while its last
    // edits are still queued; a client reconnects at once and a new room
    // loads the board before those rows are written, so its document lacks
    // them. They are stored a moment later, so a snapshot from that document
    // up to the log's end would drop them from every later load.
    await newBoard('b-race')
    const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9, inProcess: true })
    const labels: string[] = []
    docs.metrics = { onCompaction: (_b, _n, _ms, readBy, mergedBy) => labels.push(`${readBy}/${mergedBy}`) }
    await docs.load('b-race')
    const queued = docs.append('b-race', edit('queued'))
    const reload = docs.load('b-race')
    expect(await queued).toBe(true)
    const live = docOf(await reload)
    // The race happened: the new room's document lacks the queued edit.
    expect(live.getMap('shapes').toJSON()).toEqual({})
    docs.liveDocument = (id) => (id === 'b-race' ? live : null)
    const next = edit('after')
    Y.applyUpdate(live, next)
    expect(await docs.append('b-race', next)).toBe(true)
    await docs.compact('b-race')
    expect(labels).toEqual(['thread/thread'])
    // Dropped and loaded again with nothing queued: live again.
    docs.forget('b-race')
    const doc = docOf(await docs.load('b-race'))
    docs.liveDocument = (id) => (id === 'b-race' ? doc : null)
    const last = edit('last')
    Y.applyUpdate(doc, last)
    expect(await docs.append('b-race', last)).toBe(true)
    await docs.compact('b-race')
    await docs.close()
    expect(labels).toEqual(['thread/thread', 'live/live'])
    expect((await loaded('b-race')).doc.getMap('shapes').toJSON()).toEqual({ queued: 'queued', after: 'after', last: 'last' })
  })

  it('writes a big snapshot in parts, reads it back whole when it compacts again from it, and drops the parts once it is small', async () => {
    await newBoard('b-parts')
    // No live document: the log is read on this thread (as with no room loaded).
    const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1e9, inProcess: true, snapshotPartBytes: 1024 })
    await docs.load('b-parts')
    const editor = new Y.Doc()
    const shapes = editor.getMap<string>('shapes')
    const write = async (change: () => void): Promise<void> => {
      const before = Y.encodeStateVector(editor)
      change()
      expect(await docs.append('b-parts', Y.encodeStateAsUpdate(editor, before))).toBe(true)
    }
    for (let i = 0; i < 20; i++) await write(() => shapes.set('s' + i, String(i).repeat(500)))
    await docs.compact('b-parts')
    const first = await partsOf('b-parts')
    expect(first.declared).toBeGreaterThanOrEqual(10)
    expect(first).toMatchObject({ stored: first.declared, stale: 0 })
    // The next compaction starts from the snapshot in parts.
    for (let i = 20; i < 30; i++) await write(() => shapes.set('s' + i, String(i).repeat(500)))
    await docs.compact('b-parts')
    const second = await partsOf('b-parts')
    expect(second.lastSeq).toBeGreaterThan(first.lastSeq)
    expect(second).toMatchObject({ stored: second.declared, stale: 0 })
    expect((await loaded('b-parts')).doc.getMap('shapes').toJSON()).toEqual(shapes.toJSON())
    // Everything deleted: the snapshot fits in its row, no part is left.
    await write(() => {
      for (const key of [...shapes.keys()]) shapes.delete(key)
      shapes.set('left', 'one')
    })
    await docs.compact('b-parts')
    await docs.close()
    expect(await partsOf('b-parts')).toMatchObject({ declared: 0, stale: 0 })
    expect((await loaded('b-parts')).doc.getMap('shapes').toJSON()).toEqual({ left: 'one' })
  })
})
