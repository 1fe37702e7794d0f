#!/usr/bin/env node
// Scenario A run N times in a row against ONE server process (the harness's attach mode),
// to tell a fresh process's warm-up from its steady cost: the harness itself starts a fresh
// server for every N of A, so its first 12 s are all it ever sees of a process.
//   node scripts/peer-bench/consecutive.mjs <drawbridge|y-websocket|floor> [runs=6] [clients=50]
//   DRAWBRIDGE_ENV='{"DATABASE_URL":"postgres://…"}' for Drawbridge on PostgreSQL (as run.sh);
//   SERVER_NODE_OPTIONS='--perf-basic-prof' (say) reaches the server's node as NODE_OPTIONS.
// The server is started, prepared and addressed by the harness's own adapter (run.sh's copy in
// .peer-bench), pinned to core 0 as the harness pins it. Each run gets a fresh board or room,
// as the harness gives each N its own: the writers name their shapes by index, so a second run
// in the same room would write into the first run's entries (on y-websocket most updates then
// arrived without their timestamps). Prints the harness's JSON line per run, with the server's
// per-thread CPU ticks (10 ms) over the run's measured window added as `consecutive.threads_ticks`
// (largest first) and `consecutive.ticks_by_thread`: the main thread, the threads the process
// already had once it listened (V8's compiler and GC helpers, libuv's pool), and the threads it
// started since (a Worker, such as Drawbridge's merge worker; every thread of a process is named
// `node`, so when a thread started is what tells them apart).
import { execFile, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const bench = path.join(root, '.peer-bench')
const ADAPTERS = { drawbridge: 'drawbridge-more.mjs', 'y-websocket': 'y-websocket.mjs', floor: 'floor.mjs' }
const [peer, runsArg = '6', clientsArg = '50'] = process.argv.slice(2)
if (!ADAPTERS[peer]) {
  process.stderr.write('usage: consecutive.mjs <drawbridge|y-websocket|floor> [runs] [clients]\n')
  process.exit(2)
}
const run = promisify(execFile)
// run.sh copies the harness (and this project's adapters) into .peer-bench; a quick A on the
// floor is the cheapest way to have it do so.
await run(path.join(root, 'scripts/peer-bench/run.sh'), ['--server', 'floor', '--scenario', 'A', '--quick'], { cwd: root })
process.env.DRAWBRIDGE_CHECKOUT ??= root
const adapter = (await import(pathToFileURL(path.join(bench, 'adapters', ADAPTERS[peer])).href)).default

const host = '127.0.0.1'
const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, host, () => {
    const { port } = s.address()
    s.close(() => resolve(port))
  })
})
const spec = adapter.command({ port, host })
// Drawbridge's adapter runs `npm start`; its script without npm is the same server with the
// same flags, and the process we start is then the server itself (its threads are read below).
const argv = spec.shell ? ['sh', '-c', spec.shell === 'exec npm start --silent' ? 'exec sh scripts/start.sh' : spec.shell] : [spec.cmd, ...spec.args]
const env = { ...process.env, ...spec.env, ...(process.env.SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SERVER_NODE_OPTIONS } : {}) }
const server = spawn('taskset', ['-c', '0', ...argv], { cwd: spec.cwd, env, stdio: 'ignore' })
const stop = () => server.kill()
process.on('exit', stop)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1))

if (adapter.ready) await adapter.ready({ port, host })
else {
  for (let up = false; !up; ) {
    up = await new Promise((resolve) => net.connect(port, host).on('connect', function () { this.destroy(); resolve(true) }).on('error', () => setTimeout(resolve, 200, false)))
  }
}
const bootThreads = new Set(readdirSync(`/proc/${server.pid}/task`))
const runs = Number(runsArg)
const boards = Array.from({ length: runs }, (_, i) => `consecutive-${i + 1}`)
if (adapter.prepare) await adapter.prepare({ port, host })
if (adapter.addBoards) await adapter.addBoards({ port, host, names: boards })
const name = adapter.name

/** user+sys ticks of each of the server's threads */
function ticks() {
  const out = new Map()
  for (const tid of readdirSync(`/proc/${server.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${server.pid}/task/${tid}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(tid, Number(f[11]) + Number(f[12]))
    } catch {} // a thread that ended meanwhile
  }
  return out
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

for (const [i, board] of boards.entries()) {
  // the measured window opens after connecting (well under a second) and the harness's 2 s warm-up
  const window = sleep(2500).then(async () => {
    const before = ticks()
    await sleep(10_000)
    const used = [...ticks()].map(([tid, t]) => [tid, t - (before.get(tid) ?? 0)])
    const byThread = { main: 0, started_with_process: 0, started_later: 0 }
    for (const [tid, n] of used) byThread[tid === String(server.pid) ? 'main' : bootThreads.has(tid) ? 'started_with_process' : 'started_later'] += n
    return { all: used.map(([, n]) => n).sort((a, b) => b - a), byThread }
  })
  const url = adapter.url({ port, host, board })
  const { stdout } = await run('node', [path.join(bench, 'run.mjs'), '--server', 'attach', '--pid', String(server.pid), '--url', url, '--name', `consecutive-${name}`, '--scenario', 'A', '--clients', clientsArg], { cwd: root, maxBuffer: 1 << 24 })
  const line = JSON.parse(stdout.trim().split('\n').pop())
  const { all, byThread } = await window
  line.consecutive = { run: i + 1, server: name, threads_ticks: all, ticks_by_thread: byThread }
  process.stdout.write(JSON.stringify(line) + '\n')
}
process.exit(0)
