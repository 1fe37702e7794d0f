// Runs the admin CLI from the build (production images have no tsx), or from
// sources during development.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const built = `${root}dist/scripts/admin.js`
if (existsSync(built)) {
  await import(built)
} else {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${root}scripts/admin.ts`, ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(r.status ?? 1)
}
