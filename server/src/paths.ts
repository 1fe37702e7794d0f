import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The same code runs from server/src (tsx, vitest) and from dist/server/src
// (the build), so files shipped beside the code are found from the package root.
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
  return dir
}

export const projectRoot = findRoot()
export const migrationsDir = join(projectRoot, 'server', 'migrations')
export const webDistDir = join(projectRoot, 'dist', 'web')
