// A small board's first compaction, merged in the merge worker and on the
// main thread (inlineJob, what boards under INLINE_MERGE get): each run in a
// fresh process pinned to core 0 with --single-threaded-gc, as `npm start`
// runs, so the worker's start and the cold code are counted as a server's
// first compaction pays them. The process's CPU counts all of its threads;
// RSS is read before the merge and 2 s after it, each after a full GC.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import { inlineJob } from '../../server/src/store/merge-inline.js'
import { MergeWorker } from '../../server/src/store/merge-worker.js'
import { percentile, round } from './lean-client.js'
import { hasTaskset } from './server-proc.js'

type Mode = 'worker' | 'thread'

/** `rows` shape moves by 50 editors, as a room's log holds them. */
function smallLog(rows: number): Uint8Array[] {
  const docs = Array.from({ length: 50 }, (_, i) => {
    const d = new Y.Doc()
    d.clientID = 1000 + i
    return d
  })
  const out: Uint8Array[] = []
  for (let i = 0; i < rows; i++) {
    const d = docs[i % 50]!
    d.once('update', (u: Uint8Array) => out.push(u))
    d.transact(() => {
      const shape = d.getMap<Y.Map<number>>('shapes').get('s' + (i % 50)) ?? new Y.Map<number>()
      if (!shape.parent) d.getMap('shapes').set('s' + (i % 50), shape)
      shape.set('x', i)
      shape.set('y', i)
    })
  }
  return out
}

const rssMb = () => process.memoryUsage().rss / 1e6
const gc = () => (globalThis as { gc?: () => void }).gc?.()
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function child(mode: Mode, rows: number): Promise<void> {
  const log = smallLog(rows)
  await pause(300)
  gc()
  const before = rssMb()
  const merger = new MergeWorker()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const job = mode === 'worker' ? merger.job() : inlineJob()
  job.add(log)
  const merged = await job.finish()
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  await pause(2000)
  gc()
  const after = rssMb()
  await merger.close()
  process.stdout.write(JSON.stringify({ mode, rows, bytes: merged.length, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, rssDeltaMb: after - before }) + '\n')
}

function runChild(mode: Mode, rows: number): Promise<{ wallMs: number; cpuMs: number; rssDeltaMb: number; bytes: number }> {
  const node = [...process.execArgv, '--expose-gc', '--single-threaded-gc', fileURLToPath(import.meta.url), '--child', mode, String(rows)]
  const [cmd, args] = hasTaskset ? ['taskset', ['-c', '0', process.execPath, ...node]] : [process.execPath, node]
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.on('error', reject)
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`merge child exited ${code}`))))
  })
}

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50)

/** One line per mode: medians over `runs` fresh processes, the two modes alternating. */
export async function mergeCost(rows = 500, runs = 5): Promise<object[]> {
  const results: Record<Mode, Awaited<ReturnType<typeof runChild>>[]> = { worker: [], thread: [] }
  for (let i = 0; i < runs; i++) for (const mode of ['worker', 'thread'] as const) results[mode].push(await runChild(mode, rows))
  return (['worker', 'thread'] as const).map((mode) => {
    const r = results[mode]
    return {
      scenario: 'merge',
      mergedBy: mode,
      rows,
      runs,
      bytes: r[0]!.bytes,
      wallMsP50: round(median(r.map((x) => x.wallMs))),
      cpuMsP50: round(median(r.map((x) => x.cpuMs))),
      cpuMsRange: [round(Math.min(...r.map((x) => x.cpuMs))), round(Math.max(...r.map((x) => x.cpuMs)))],
      rssDeltaMbP50: round(median(r.map((x) => x.rssDeltaMb)), 1),
    }
  })
}

const at = process.argv.indexOf('--child')
if (at >= 0) {
  child(process.argv[at + 1] as Mode, Number(process.argv[at + 2])).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`)
      process.exit(1)
    },
  )
}
