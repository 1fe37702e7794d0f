// `npm start`: build whatever is missing or stale, then run the server in
// this process (so signals reach it directly). package.json runs
// scripts/start.sh with `exec`, which execs node on this file (with
// --single-threaded-gc on a single core), so that npm's own child is this
// process: npm passes a SIGTERM on to its child only, and a shell in between
// died of it, leaving the server running (server/test/start-script.test.ts).
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const newest = (dir) => {
  let latest = 0
  if (!existsSync(dir)) return latest
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return latest
}
const builtAt = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0)

const serverEntry = join(root, 'dist/server/src/main.js')
const serverSources = Math.max(newest(join(root, 'server/src')), newest(join(root, 'shared')), newest(join(root, 'client/sdk')))
if (builtAt(serverEntry) < serverSources) {
  process.stderr.write('drawbridge: building the server…\n')
  execSync('npm run --silent build:server', { cwd: root, stdio: 'inherit' })
}
const webIndex = join(root, 'dist/web/index.html')
if (existsSync(join(root, 'client/web/index.html'))) {
  const webSources = Math.max(newest(join(root, 'client')), newest(join(root, 'shared')))
  if (builtAt(webIndex) < webSources) {
    process.stderr.write('drawbridge: building the web app…\n')
    execSync('npm run --silent build:web', { cwd: root, stdio: 'inherit' })
  }
}
await import(serverEntry)
