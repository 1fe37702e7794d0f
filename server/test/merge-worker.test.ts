// The merge worker folds a compaction's updates off the main thread. It must
// build the same document as the in-process merge, and with Yjs's ES module
// build: the CommonJS build reaches lib0 through getters and applied a busy
// board's 20,000 updates about 1.5× slower.
import { readdirSync } from 'node:fs'
import { getPriority } from 'node:os'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { inlineJob, mergeInline } from '../src/store/merge-inline.js'
import { MergeWorker } from '../src/store/merge-worker.js'

function moves(count: number): Uint8Array[] {
  const docs = Array.from({ length: 5 }, (_, i) => {
    const doc = new Y.Doc()
    doc.clientID = 1000 + i
    return doc
  })
  const updates: Uint8Array[] = []
  for (const doc of docs) doc.on('update', (u: Uint8Array) => updates.push(u))
  for (let i = 0; i < count; i++) {
    const doc = docs[i % docs.length]!
    doc.transact(() => {
      const shapes = doc.getMap<Y.Map<unknown>>('shapes')
      const key = `s${i % docs.length}`
      let shape = shapes.get(key)
      if (!shape) shapes.set(key, (shape = new Y.Map()))
      shape.set('x', i)
      shape.set('y', -i)
    })
  }
  return updates
}

/** Threads of this process at nice 19 (on Linux getpriority answers per thread). */
function nicedThreads(): number {
  return readdirSync('/proc/self/task').filter((t) => getPriority(Number(t)) === 19).length
}

describe('merge worker', () => {
  const worker = new MergeWorker()
  afterAll(() => worker.close())

  // Before it can boot (50-100 ms of CPU that, on one core, live traffic
  // would share at normal priority), not only once it lowers its own.
  it.runIf(process.platform === 'linux')('runs at the lowest priority from the moment it starts', async () => {
    const fresh = new MergeWorker()
    try {
      const before = nicedThreads()
      const job = fresh.job()
      expect(nicedThreads()).toBe(before + 1)
      job.add(moves(10))
      expect(await job.finish()).toBeInstanceOf(Uint8Array)
    } finally {
      await fresh.close()
    }
  })

  it('merges slices into the document the in-process merge builds, with Yjs loaded as an ES module', async () => {
    const updates = moves(600)
    const job = worker.job()
    for (let i = 0; i < updates.length; i += 128) job.add(updates.slice(i, i + 128))
    const merged = await job.finish()
    expect(Buffer.from(merged).equals(Buffer.from(mergeInline(updates)))).toBe(true)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, merged)
    expect(doc.getMap<Y.Map<number>>('shapes').get('s4')!.toJSON()).toEqual({ x: 599, y: -599 })
    expect(worker.yjsBuild).toBe('module')
  })

  it('merges on this thread, from slices packed or not, into the very bytes the worker builds, and can be let go', async () => {
    const updates = moves(300)
    const packed = Buffer.concat(updates.slice(100))
    const here = inlineJob()
    here.add(updates.slice(0, 100))
    here.addPacked(packed, Uint32Array.from(updates.slice(100), (u) => u.length))
    const there = worker.job()
    there.add(updates)
    const merged = await here.finish()
    expect(Buffer.from(merged).equals(Buffer.from(await there.finish()))).toBe(true)
    await expect(here.finish()).rejects.toThrow(/cancelled/)

    const dropped = inlineJob()
    dropped.add(updates)
    dropped.cancel()
    dropped.add(updates)
    await expect(dropped.finish()).rejects.toThrow(/cancelled/)
  })
})
