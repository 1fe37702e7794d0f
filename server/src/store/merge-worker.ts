// Merges a board's stored updates into one snapshot off the main thread, so a
// big board's compaction never stalls live traffic.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import * as Y from 'yjs'

const yjsPath = createRequire(import.meta.url).resolve('yjs')

// Plain CommonJS, evaluated in the worker: the same code runs from sources
// (tests) and from the build without a separate worker file to ship.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const Y = require(${JSON.stringify(yjsPath)})
// Lowest priority for this thread (on Linux setpriority applies per thread):
// compaction may only use CPU that live traffic leaves idle.
try { require('node:os').setPriority(19) } catch {}
parentPort.on('message', ({ id, updates }) => {
  try {
    const doc = new Y.Doc()
    Y.transact(doc, () => { for (const u of updates) Y.applyUpdate(doc, u) })
    const out = Y.encodeStateAsUpdate(doc)
    doc.destroy()
    parentPort.postMessage({ id, out }, [out.buffer])
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) })
  }
})
`

/** The merge done in-process: the fallback, and the reference the worker must match. */
export function mergeInline(updates: Uint8Array[]): Uint8Array {
  const doc = new Y.Doc()
  Y.transact(doc, () => {
    for (const u of updates) Y.applyUpdate(doc, u)
  })
  const out = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return out
}

export class MergeWorker {
  private worker: Worker | null = null
  private seq = 0
  private readonly pending = new Map<number, { resolve: (u: Uint8Array) => void; reject: (e: Error) => void }>()

  private start(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(WORKER_SOURCE, { eval: true })
    worker.unref()
    worker.on('message', (m: { id: number; out?: Uint8Array; error?: string }) => {
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      if (m.out) p.resolve(new Uint8Array(m.out))
      else p.reject(new Error(m.error ?? 'merge failed'))
    })
    const fail = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err)
      this.pending.clear()
      this.worker = null
    }
    worker.on('error', fail)
    worker.on('exit', () => fail(new Error('merge worker exited')))
    this.worker = worker
    return worker
  }

  merge(updates: Uint8Array[]): Promise<Uint8Array> {
    const id = ++this.seq
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      // Copies: the stored rows may be views into driver buffers.
      const copies = updates.map((u) => new Uint8Array(u))
      this.start().postMessage({ id, updates: copies }, copies.map((c) => c.buffer))
    })
  }

  async close(): Promise<void> {
    const w = this.worker
    this.worker = null
    if (w) await w.terminate()
  }
}
