// Merges a board's stored updates into one snapshot off the main thread, so a
// big board's compaction never stalls live traffic.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import * as Y from 'yjs'
import { plainDoc } from '../util/y-doc.js'

const yjsPath = createRequire(import.meta.url).resolve('yjs')

// Plain CommonJS, evaluated in the worker: the same code runs from sources
// (tests) and from the build without a separate worker file to ship.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const Y = require(${JSON.stringify(yjsPath)})
// Lowest priority for this thread (on Linux setpriority applies per thread):
// compaction may only use CPU that live traffic leaves idle.
try { require('node:os').setPriority(19) } catch {}
// A job's updates arrive in slices (packed: one buffer, the lengths beside it)
// and are applied as they come; 'end' answers with the merged state.
const jobs = new Map()
parentPort.on('message', ({ id, op, packed, lengths }) => {
  let job = jobs.get(id)
  if (!job) jobs.set(id, (job = { doc: new Y.Doc({ guid: 'merge' }), error: null }))
  try {
    if (op === 'add' && !job.error) {
      Y.transact(job.doc, () => {
        let at = 0
        for (const n of lengths) { Y.applyUpdate(job.doc, packed.subarray(at, at + n)); at += n }
      })
    } else if (op === 'end') {
      jobs.delete(id)
      if (job.error) throw job.error
      const out = Y.encodeStateAsUpdate(job.doc)
      job.doc.destroy()
      parentPort.postMessage({ id, out }, [out.buffer])
    }
  } catch (err) {
    if (op !== 'end') { job.error = err; return }
    job.doc.destroy()
    parentPort.postMessage({ id, error: String(err && err.message || err) })
  }
})
`

/** The merge done in-process: the fallback, and the reference the worker must match. */
export function mergeInline(updates: Uint8Array[]): Uint8Array {
  const doc = plainDoc()
  Y.transact(doc, () => {
    for (const u of updates) Y.applyUpdate(doc, u)
  })
  const out = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return out
}

export interface MergeJob {
  /** Applies these updates after the ones added before. */
  add(updates: Uint8Array[]): void
  /** The merged state of everything added. */
  finish(): Promise<Uint8Array>
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

  /**
   * A merge fed in slices: each add() is applied in the worker while the
   * caller reads the next slice, so no step holds this thread for long.
   */
  job(): MergeJob {
    const id = ++this.seq
    let worker: Worker | null
    try {
      worker = this.start()
    } catch {
      worker = null
    }
    const result = new Promise<Uint8Array>((resolve, reject) => this.pending.set(id, { resolve, reject }))
    // Settled by finish()'s caller; a worker lost before then must not be an unhandled rejection.
    result.catch(() => {})
    return {
      add: (updates) => {
        if (!worker || updates.length === 0) return
        let total = 0
        for (const u of updates) total += u.length
        // One copy into one buffer that is moved, not cloned: the rows may be
        // views into the driver's shared buffers.
        const packed = new Uint8Array(total)
        const lengths = updates.map((u) => u.length)
        let at = 0
        for (const u of updates) {
          packed.set(u, at)
          at += u.length
        }
        worker.postMessage({ id, op: 'add', packed, lengths }, [packed.buffer])
      },
      finish: () => {
        if (!worker) {
          this.pending.delete(id)
          return Promise.reject(new Error('merge worker unavailable'))
        }
        worker.postMessage({ id, op: 'end' })
        return result
      },
    }
  }

  async close(): Promise<void> {
    const w = this.worker
    this.worker = null
    if (w) await w.terminate()
  }
}
