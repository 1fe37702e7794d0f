// `npm start` as a service manager runs it: stopping the npm process (SIGTERM
// to the pid it started) must stop the server gracefully. npm passes the
// signal to its child only; when that child was a shell wrapping node, the
// shell died and the server ran on, orphaned, still holding its port and its
// data directory. The real `start` script from package.json runs here, through
// the real npm, with a stand-in for scripts/start.mjs that records the signal.
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { waitFor } from './helpers/collab.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
let dir = ''
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

const STAND_IN = `
import { writeFileSync } from 'node:fs'
process.on('SIGTERM', () => { writeFileSync('stopped', 'SIGTERM'); process.exit(0) })
writeFileSync('running', String(process.pid))
setInterval(() => {}, 1000)
`

const exists = (path: string) => readFile(path, 'utf8').then(() => true, () => false)

it('a SIGTERM to `npm start` reaches the server process, which stops', async () => {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
  expect(pkg.scripts.start).toContain('scripts/start.mjs')
  dir = await mkdtemp(join(tmpdir(), 'drawbridge-start-'))
  await mkdir(join(dir, 'scripts'))
  await writeFile(join(dir, 'scripts/start.mjs'), STAND_IN)
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'start-script-check', private: true, scripts: { start: pkg.scripts.start } }))
  const npm = spawn('npm', ['start', '--silent'], { cwd: dir, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } })
  const npmExited = new Promise<number | string>((resolve) => npm.on('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  try {
    await waitFor(() => exists(join(dir, 'running')), 20_000, 'the stand-in to start')
    npm.kill('SIGTERM')
    await waitFor(() => exists(join(dir, 'stopped')), 10_000, 'the stand-in to get SIGTERM')
    await npmExited
    const serverPid = Number(await readFile(join(dir, 'running'), 'utf8'))
    expect(() => process.kill(serverPid, 0)).toThrow()
  } finally {
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
})
