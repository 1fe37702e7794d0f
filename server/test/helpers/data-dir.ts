// Data directories for test servers. Creating an embedded cluster (initdb)
// takes seconds; the suite would spend minutes on it. So it runs once per
// test run, in global setup (as a production first boot does it: in a child
// process), and every fresh DATA_DIR starts with a copy of that cluster, as
// a server's second boot would find it: created and migrated (a start checks
// the migrations and finds nothing to do).
import { constants } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { isInitialised } from '../../src/store/embedded.js'

export const TEMPLATE_ENV = 'DRAWBRIDGE_TEST_PGLITE_TEMPLATE'

/** A new, empty-looking DATA_DIR whose embedded cluster is the run's template (when there is one). */
export async function freshDataDir(prefix = 'drawbridge-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  const template = process.env[TEMPLATE_ENV]
  if (template && isInitialised(template)) await copyTree(template, join(dir, 'pglite'))
  return dir
}

/**
 * Copies a directory tree, many files at a time. The cluster is some 1,100
 * files; node's fs.cp took 1.3-1.4 s for it (a stat and a chmod per file, one
 * after another), which every test server's start waited for; this takes 0.4 s.
 */
async function copyTree(from: string, to: string): Promise<void> {
  const entries = await readdir(from, { withFileTypes: true, recursive: true })
  await mkdir(to, { recursive: true })
  for (const e of entries) if (e.isDirectory()) await mkdir(join(to, relative(from, join(e.parentPath, e.name))), { recursive: true })
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
  let next = 0
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < files.length) {
        const file = files[next++]!
        await copyFile(file, join(to, relative(from, file)), constants.COPYFILE_FICLONE)
      }
    }),
  )
}
