// Merges a board's stored updates into one snapshot off the main thread, so a
// big board's compaction never stalls live traffic.
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { setPriority } from 'node:os'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { MergeJob } from './merge-inline.js'

const yjsPath = createRequire(import.meta.url).resolve('yjs')
// The worker imports Yjs's ES module build, as the main thread does: its
// CommonJS build reaches every lib0 function through a getter (rollup's
// namespace interop), which made applying a compaction's updates about 1.5×
// slower (measured on 20,000 of them).
const yjsEsm = yjsPath.replace(/yjs\.cjs$/, 'yjs.mjs')
const yjsUrl = yjsEsm !== yjsPath && existsSync(yjsEsm) ? pathToFileURL(yjsEsm).href : null
const pgPath = createRequire(import.meta.url).resolve('pg')

// Plain CommonJS, evaluated in the worker: the same code runs from sources
// (tests) and from the build without a separate worker file to ship.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
let Y = null
const yjsUrl = ${JSON.stringify(yjsUrl)}
const loaded = (yjsUrl ? import(yjsUrl) : Promise.reject(new Error('no module build')))
  .then((m) => { Y = m; return 'module' }, () => { Y = require(${JSON.stringify(yjsPath)}); return 'commonjs' })
  .then((build) => parentPort.postMessage({ id: 0, build }))
const PG_PATH = ${JSON.stringify(pgPath)}
// Warnings (pg's deprecations, say) go to the parent's logger, not stderr:
// the worker runs with --no-warnings, so this listener is their only way out.
process.on('warning', (w) => parentPort.postMessage({ id: 0, warning: { name: w.name, message: w.message, code: w.code } }))
// Lowest priority for this thread (on Linux setpriority applies per thread):
// compaction may only use CPU that live traffic leaves idle.
try { require('node:os').setPriority(19) } catch {}
// A job's updates arrive in slices (packed: one buffer, the lengths beside it)
// and are applied as they come; 'end' answers with the merged state.
const jobs = new Map()
// PostgreSQL only: one connection of this thread's own, opened on first use,
// so that a compaction's rows are read and parsed here rather than on the
// main thread (see readAndMerge in merge-worker.ts).
let conn = null
function connection(url) {
  if (conn && conn.url === url) return conn.ready
  const client = new (require(PG_PATH).Client)({ connectionString: url })
  const mine = { url, client, ready: client.connect().then(() => client) }
  const drop = () => { if (conn === mine) conn = null; client.end().catch(() => {}) }
  client.on('error', drop)
  mine.ready.catch(drop)
  conn = mine
  return mine.ready
}
// Concurrent jobs (500 rooms unloading at once) take turns on the connection:
// a query sent while another runs is queued by pg 8 with a deprecation
// warning, and refused by pg 9. Only the queries wait for each other; one
// job's merge still runs while the next one's rows are read.
let queryTurn = Promise.resolve()
function query(c, config) {
  const mine = queryTurn.then(() => c.query(config))
  queryTurn = mine.then(() => {}, () => {})
  return mine
}
async function readAndMerge({ id, url, snapshotSql, sliceSql, sliceOrder, boardId, expectSeq, upto, sliceRows }) {
  const doc = new Y.Doc({ guid: 'merge' })
  try {
    const c = await connection(url)
    const snap = await query(c, { text: snapshotSql, values: [boardId], rowMode: 'array' })
    const stored = snap.rows[0]
    const seq = stored ? Number(stored[1]) : null
    if (seq !== expectSeq) return parentPort.postMessage({ id, stale: true })
    if (stored) Y.applyUpdate(doc, stored[0])
    let last = seq ?? 0
    let folded = 0
    let foldedBytes = 0
    while (last < upto) {
      const values = sliceOrder.map((k) => ({ boardId, from: last, upto, limit: sliceRows })[k])
      const { rows } = await query(c, { text: sliceSql, values, rowMode: 'array' })
      if (rows.length === 0) break
      Y.transact(doc, () => {
        for (const [, data] of rows) { Y.applyUpdate(doc, data); foldedBytes += data.length }
      })
      folded += rows.length
      last = Number(rows[rows.length - 1][0])
    }
    const out = Y.encodeStateAsUpdate(doc)
    parentPort.postMessage({ id, out, lastSeq: last, folded, foldedBytes }, [out.buffer])
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) })
  } finally {
    doc.destroy()
  }
}
// Messages wait for Yjs, in the order they came.
parentPort.on('message', (m) => void loaded.then(() => onMessage(m)))
function onMessage(m) {
  if (m.op === 'read') return void readAndMerge(m)
  if (m.op === 'close') {
    const closing = conn ? conn.client.end().catch(() => {}) : Promise.resolve()
    conn = null
    return void closing.then(() => parentPort.postMessage({ id: m.id, closed: true }))
  }
  const { id, op, packed, lengths } = m
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
}
`

/**
 * Starts the worker at the lowest CPU priority from its first instruction.
 * The worker lowers its own priority as well, but only once Node has booted
 * it: 50-100 ms of CPU at normal priority, which on a single core live
 * traffic had to share (stalls of 68 and 37 ms at the first compaction of
 * A 200 on PGlite, against 24-28 ms). Linux only: Node starts the thread
 * inside Worker's constructor, so it is the one entry of /proc/self/task
 * that was not there before, and setpriority applies per thread there.
 */
function startNiced(spawn: () => Worker): Worker {
  let before: Set<string>
  try {
    before = new Set(readdirSync('/proc/self/task'))
  } catch {
    return spawn()
  }
  const worker = spawn()
  try {
    const added = readdirSync('/proc/self/task').filter((t) => !before.has(t))
    // More than one new thread: something else started one meanwhile, and
    // it must not be slowed down by mistake.
    if (added.length === 1) setPriority(Number(added[0]), 19)
  } catch {
    // Not permitted or not Linux: the worker still lowers its own priority.
  }
  return worker
}

/** What the worker reads a board's log with (PostgreSQL only), see readAndMerge. */
export interface LogReadRequest {
  /** The database, reached over a connection of the worker's own. */
  url: string
  /** SELECT data, last_seq of the board's snapshot; $1 is the board. */
  snapshotSql: string
  /** SELECT seq, data of the next slice of the log, in seq order. */
  sliceSql: string
  /** Which value each of sliceSql's parameters takes, in order. */
  sliceOrder: ('boardId' | 'from' | 'upto' | 'limit')[]
  sliceRows: number
  boardId: string
  /** The snapshot's last_seq the caller saw; another one means another compaction landed. */
  expectSeq: number | null
  upto: number
}

/** The snapshot merged with the log up to `lastSeq`. */
export interface MergedLog {
  data: Uint8Array
  lastSeq: number
  folded: number
  foldedBytes: number
}

interface Reply {
  id: number
  out?: Uint8Array
  error?: string
  stale?: boolean
  lastSeq?: number
  folded?: number
  foldedBytes?: number
  closed?: boolean
  /** Sent once, when the worker has loaded Yjs. */
  build?: 'module' | 'commonjs'
  warning?: WorkerWarning
}

/** A process warning raised in the worker (a dependency's deprecation, say). */
export interface WorkerWarning {
  name: string
  message: string
  code?: string
}

export interface MergeWorkerOptions {
  /** Where the worker's process warnings go; they are dropped without it. */
  onWarning?: (warning: WorkerWarning) => void
}

export class MergeWorker {
  /** Which Yjs build the worker loaded (known once it has started). */
  yjsBuild: 'module' | 'commonjs' | null = null
  private worker: Worker | null = null
  private seq = 0
  private readonly pending = new Map<number, { resolve: (m: Reply) => void; reject: (e: Error) => void }>()

  constructor(private readonly options: MergeWorkerOptions = {}) {}

  private start(): Worker {
    if (this.worker) return this.worker
    // Only --no-warnings, not the parent's flags with it: Node refuses V8
    // flags such as start.sh's --single-threaded-gc in a worker's execArgv
    // (ERR_WORKER_INVALID_EXEC_ARGV), and they apply to the whole process.
    const worker = startNiced(() => new Worker(WORKER_SOURCE, { eval: true, execArgv: ['--no-warnings'] }))
    worker.unref()
    worker.on('message', (m: Reply) => {
      if (m.build) {
        this.yjsBuild = m.build
        return
      }
      if (m.warning) {
        this.options.onWarning?.(m.warning)
        return
      }
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      if (m.out || m.stale || m.closed) p.resolve(m)
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
    const result = new Promise<Uint8Array>((resolve, reject) =>
      this.pending.set(id, { resolve: (m) => (m.out ? resolve(new Uint8Array(m.out)) : reject(new Error('merge failed'))), reject }),
    )
    // Settled by finish()'s caller; a worker lost before then must not be an unhandled rejection.
    result.catch(() => {})
    // The bytes are moved, not cloned: `packed` must be a buffer of its own.
    const send = (packed: Uint8Array<ArrayBuffer>, lengths: ArrayLike<number>) => worker?.postMessage({ id, op: 'add', packed, lengths }, [packed.buffer])
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
        send(packed, lengths)
      },
      addPacked: (packed, lengths) => {
        if (!worker || lengths.length === 0) return
        // Copied, so that the caller keeps its bytes (for a merge of its own
        // should the worker fail) and the copy can be moved. Not with
        // slice(): on a Buffer (the pg driver's) that is a view, not a copy.
        send(new Uint8Array(packed), lengths)
      },
      finish: () => {
        if (!worker) {
          this.pending.delete(id)
          return Promise.reject(new Error('merge worker unavailable'))
        }
        worker.postMessage({ id, op: 'end' })
        return result
      },
      // The worker's document is freed only by its 'end'; its answer goes unread.
      cancel: () => {
        if (!worker) this.pending.delete(id)
        else worker.postMessage({ id, op: 'end' })
      },
    }
  }

  /** Starts the worker now (in the background, at its low priority) for a merge that is sure to come. */
  prepare(): void {
    try {
      this.start()
    } catch {
      // The merge that needs it will say so.
    }
  }

  /** Whether the worker thread has been started (it is started on first use). */
  get started(): boolean {
    return this.worker !== null
  }

  /**
   * Reads the board's snapshot and log up to `upto` in the worker, over its
   * own database connection, and merges them there: on PostgreSQL this
   * thread then neither receives nor parses the rows (a compaction of a busy
   * board's 4,000 rows held it in 3-10 ms steps for ~80 ms, which live
   * updates queued behind). 'stale' when the snapshot moved meanwhile.
   */
  readAndMerge(request: LogReadRequest): Promise<MergedLog | 'stale'> {
    const id = ++this.seq
    let worker: Worker
    try {
      worker = this.start()
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ ...request, id, op: 'read' })
    }).then((m) =>
      m.stale ? 'stale' : { data: new Uint8Array(m.out!), lastSeq: m.lastSeq!, folded: m.folded!, foldedBytes: m.foldedBytes! },
    )
  }

  async close(): Promise<void> {
    const w = this.worker
    if (!w) return
    // Its database connection is ended properly first (briefly waited for):
    // a terminated thread's socket just drops, which PostgreSQL logs.
    const id = ++this.seq
    const said = new Promise<unknown>((resolve) => {
      this.pending.set(id, { resolve, reject: resolve })
      w.postMessage({ id, op: 'close' })
    })
    await Promise.race([said, new Promise((r) => setTimeout(r, 1_000).unref())])
    this.pending.delete(id)
    this.worker = null
    await w.terminate()
  }
}
