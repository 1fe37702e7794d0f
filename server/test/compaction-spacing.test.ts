// A busy board's threshold compactions are spaced by what the last one took:
// the work a compaction does off the event loop still takes the core the
// room is served from. The spacing is a rule of the store, checked here on
// real PGlite with the spacing's constants made small; no figure here is a
// speed, only which compaction may start after which.
import { rm } from 'node:fs/promises'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Store } from '../src/store/db.js'
import { DocStore, type DocStoreOptions } from '../src/store/doc-store.js'
import { boards, users } from '../src/store/schema.js'
import { freshDataDir } from './helpers/data-dir.js'

const logger = pino({ level: 'silent' })

interface Compaction {
  start: number
  ms: number
}

describe('threshold compaction spacing', () => {
  let dir: string
  let store: Store

  beforeAll(async () => {
    dir = await freshDataDir('drawbridge-compaction-spacing-')
    store = await Store.open({ dataDir: dir, poolSize: 1 }, logger)
    await store.db.insert(users).values({ id: 'u', email: 'u@x.io', name: 'U', passwordHash: 'h' })
  })
  afterAll(async () => {
    await store?.close()
    await rm(dir, { recursive: true, force: true })
  })

  /**
   * Appends to a fresh board, one commit at a time, until `count`
   * threshold compactions have landed (at most 20 s); answers when each
   * started and how long it took, as the store reported them.
   */
  async function compactionsUnder(id: string, spacing: DocStoreOptions['compactionSpacing'], count: number): Promise<Compaction[]> {
    await store.db.insert(boards).values({ id, title: 'T', ownerId: 'u' })
    const docs = new DocStore(store.db, logger, { compactAfterUpdates: 1, compactionSpacing: spacing })
    const seen: Compaction[] = []
    docs.metrics = {
      onCompaction: (_board, _updates, ms) => seen.push({ start: performance.now() - ms, ms }),
    }
    await docs.load(id)
    const editor = new Y.Doc()
    const until = performance.now() + 20_000
    for (let i = 0; seen.length < count; i++) {
      if (performance.now() > until) throw new Error(`only ${seen.length} of ${count} compactions in 20 s`)
      const before = Y.encodeStateVector(editor)
      // Keys written over and over: the board stays small, and so do its compactions.
      editor.getMap('m').set('k' + (i % 50), `edit ${i} `.repeat(4))
      expect(await docs.append(id, Y.encodeStateAsUpdate(editor, before))).toBe(true)
    }
    await docs.close()
    return seen
  }

  it('starts the next compaction of a board no sooner than the last one took, divided by the share', async () => {
    const share = 0.1
    const seen = await compactionsUnder('b-share', { minMs: 0, share, maxMs: 60_000 }, 4)
    for (let i = 1; i < seen.length; i++) {
      const gap = seen[i]!.start - seen[i - 1]!.start
      // The store measures the last one a little later than the metric does, so its wait is at least this.
      expect(gap).toBeGreaterThanOrEqual(seen[i - 1]!.ms / share - 1)
    }
  })

  it('never waits longer than the cap, however long the last compaction took', async () => {
    // With a share this small, any compaction (a few ms) would put the next one minutes away.
    const seen = await compactionsUnder('b-cap', { minMs: 0, share: 1e-6, maxMs: 200 }, 3)
    // compactionsUnder throws when fewer land in 20 s; one more may land before the store has closed.
    expect(seen.length).toBeGreaterThanOrEqual(3)
  })
})
