// Starts a built Drawbridge pinned to one core and reads its CPU and memory
// from /proc, so the figures are the server's alone.
import { type ChildProcess, execSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const CLK_TCK = 100

export const hasTaskset = (() => {
  try {
    execSync('command -v taskset', { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

export function pinSelf(core: number): void {
  if (!hasTaskset) return
  try {
    execSync(`taskset -p -c ${core} ${process.pid}`, { stdio: 'ignore' })
  } catch {
    // not fatal: numbers are just noisier
  }
}

let built = false
/** Rebuilds once per bench run (8 s): a stale dist/ would silently measure old code. */
export function ensureBuilt(): void {
  if (built) return
  execSync('npm run --silent build:server', { cwd: root, stdio: 'inherit' })
  built = true
}

export interface BenchServer {
  url: string
  pid: number
  cpuSeconds(): number
  rssBytes(): number
  /** Everything the server printed so far. */
  output(): string
  stop(): Promise<void>
}

// A bench that is interrupted must not leave its servers running.
const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))

export async function startBenchServer(env: Record<string, string> = {}, core = 0): Promise<BenchServer> {
  ensureBuilt()
  const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-bench-'))
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server for inspection.
  const prof = process.env.BENCH_CPU_PROF
  // BENCH_NODE_ARGS="--trace-gc …" passes flags to the server's node.
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)
  // Pinned to one core, the server runs as `npm start` runs it there (scripts/start.sh).
  const oneCore = hasTaskset ? readFileSync(join(root, 'scripts/one-core-node-flags'), 'utf8').trim().split(/\s+/) : []
  const args = [...oneCore, ...extra, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), 'dist/server/src/main.js']
  const cmd = hasTaskset ? 'taskset' : process.execPath
  const argv = hasTaskset ? ['-c', String(core), process.execPath, ...args] : args
  const proc: ChildProcess = spawn(cmd, argv, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      AUTH_RATE_LIMIT: '1000000',
      WS_RATE: '100000',
      WS_BURST: '100000',
      // The load generator is one address with thousands of sockets.
      CONNECTIONS_PER_IP: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(proc)
  proc.once('exit', () => children.delete(proc))
  let out = ''
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('bench server did not start:\n' + out)), 60_000)
    proc.stdout!.on('data', () => {
      const line = out.split('\n').find((l) => l.includes('drawbridge ready'))
      if (line) {
        clearTimeout(t)
        resolve((JSON.parse(line) as { port: number }).port)
      }
    })
    proc.on('exit', (code) => reject(new Error(`bench server exited ${code}:\n${out}`)))
  })
  const pid = proc.pid!
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    cpuSeconds() {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
    },
    rssBytes() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      return Number(m![1]) * 1024
    },
    output: () => out,
    async stop() {
      proc.kill('SIGTERM')
      await new Promise((r) => proc.once('exit', r))
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** This process's CPU seconds (user + system). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}
