// The server as plain JavaScript for the tests that run it as a process
// (kill -9 loops, several instances, memory), and the admin CLI beside it. Under tsx each start spent 1-2 s
// more in the loader, and the kill loops start a server some 20 times.
// esbuild only strips the types (no bundling, same file layout), so the
// processes run the same modules, resolved the same way, as tsx would.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const SERVER_BUILD_ENV = 'DRAWBRIDGE_TEST_SERVER_BUILD'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const SOURCES = ['server/src', 'shared', 'client/sdk']
/** Built beside the server: the CLI an operator runs (each run under tsx took 2-3 s, most of it the loader). */
const SCRIPTS = ['scripts/admin.ts']

/** The built file for `source` (e.g. 'scripts/admin.ts'), or null when this run has no build. */
export function builtFile(source: string): string | null {
  const main = process.env[SERVER_BUILD_ENV]
  if (!main) return null
  return join(main, '../../..', source.replace(/\.ts$/, '.js'))
}

/**
 * Writes the build under node_modules/.cache (inside the project, so that
 * the server finds package.json, its migrations and its dependencies from
 * there) and sets SERVER_BUILD_ENV for the test workers. Returns its removal.
 */
export async function buildServerForProcesses(): Promise<() => Promise<void>> {
  const cache = join(root, 'node_modules/.cache')
  await mkdir(cache, { recursive: true })
  const outdir = await mkdtemp(join(cache, 'drawbridge-test-server-'))
  const entryPoints: string[] = []
  for (const dir of SOURCES) {
    for (const file of await readdir(join(root, dir), { recursive: true })) {
      if (file.endsWith('.ts') && !file.endsWith('.test.ts')) entryPoints.push(join(root, dir, file))
    }
  }
  for (const file of SCRIPTS) entryPoints.push(join(root, file))
  // Loaded here only: test workers import this file for the variable's name.
  const { build } = await import('esbuild')
  await build({ entryPoints, outbase: root, outdir, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' })
  process.env[SERVER_BUILD_ENV] = join(outdir, 'server/src/main.js')
  return () => rm(outdir, { recursive: true, force: true })
}
