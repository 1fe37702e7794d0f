// `npm start` as a service manager runs it: stopping the npm process (SIGTERM
// to the pid it started) must stop the server gracefully. npm passes the
// signal to its child only; when that child was a shell wrapping node, the
// shell died and the server ran on, orphaned, still holding its port and its
// data directory. The real `start` script from package.json runs here, through
// the real npm and the real scripts/start.sh, with a stand-in for
// scripts/start.mjs that records the signal and node's options.
import { spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { waitFor } from './helpers/collab.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

const STAND_IN = `
import { writeFileSync } from 'node:fs'
process.on('SIGTERM', () => { writeFileSync('stopped', 'SIGTERM'); process.exit(0) })
writeFileSync('options', JSON.stringify(process.execArgv))
writeFileSync('running', String(process.pid))
setInterval(() => {}, 1000)
`

const exists = (path: string) => readFile(path, 'utf8').then(() => true, () => false)

/** Runs `npm start` (behind `prefix`, e.g. taskset) in a copy of the project's start files with the stand-in. */
async function startInCopy(prefix: string[] = []) {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
  expect(pkg.scripts.start).toContain('scripts/start.sh')
  const dir = await mkdtemp(join(tmpdir(), 'drawbridge-start-'))
  dirs.push(dir)
  await mkdir(join(dir, 'scripts'))
  await copyFile(join(root, 'scripts/start.sh'), join(dir, 'scripts/start.sh'))
  await copyFile(join(root, 'scripts/one-core-node-flags'), join(dir, 'scripts/one-core-node-flags'))
  await writeFile(join(dir, 'scripts/start.mjs'), STAND_IN)
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'start-script-check', private: true, scripts: { start: pkg.scripts.start } }))
  const command = [...prefix, 'npm', 'start', '--silent']
  const npm = spawn(command[0]!, command.slice(1), { cwd: dir, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } })
  const exited = new Promise<number | string>((resolve) => npm.on('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  const stop = async () => {
    npm.kill('SIGKILL')
    const pid = await readFile(join(dir, 'running'), 'utf8').catch(() => '')
    if (pid) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
  await waitFor(() => exists(join(dir, 'running')), 20_000, 'the stand-in to start').catch(async (err: unknown) => {
    await stop()
    throw err
  })
  const options = JSON.parse(await readFile(join(dir, 'options'), 'utf8')) as string[]
  return { dir, npm, exited, stop, options }
}

it('a SIGTERM to `npm start` reaches the server process, which stops', async () => {
  const { dir, npm, exited, stop } = await startInCopy()
  try {
    npm.kill('SIGTERM')
    await waitFor(() => exists(join(dir, 'stopped')), 10_000, 'the stand-in to get SIGTERM')
    await exited
    const serverPid = Number(await readFile(join(dir, 'running'), 'utf8'))
    expect(() => process.kill(serverPid, 0)).toThrow()
  } finally {
    await stop()
  }
})

// On one core V8's garbage-collection helper threads only take turns with the
// event loop, and a full collection's marking runs on the loop's own thread
// (docs/PERFORMANCE.md): the server then runs with the helpers off and lets
// the heap grow further between full collections.
it('`npm start` on a single core runs node with --single-threaded-gc and --heap-growing-percent=100, and on more cores without', async () => {
  const pinned = await startInCopy(['taskset', '-c', '0'])
  await pinned.stop()
  expect(pinned.options).toEqual(['--single-threaded-gc', '--heap-growing-percent=100'])
  if (availableParallelism() > 1) {
    const free = await startInCopy()
    await free.stop()
    expect(free.options).toEqual([])
  }
})
