// Data directories for test servers. Creating an embedded cluster (initdb)
// takes seconds; the suite would spend minutes on it. So it runs once per
// test run, in global setup (as a production first boot does it: in a child
// process), and every fresh DATA_DIR starts with a copy of that cluster, as
// a server's second boot would find it: created and migrated (a start checks
// the migrations and finds nothing to do).
import { cp, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isInitialised } from '../../src/store/embedded.js'

export const TEMPLATE_ENV = 'DRAWBRIDGE_TEST_PGLITE_TEMPLATE'

/** A new, empty-looking DATA_DIR whose embedded cluster is the run's template (when there is one). */
export async function freshDataDir(prefix = 'drawbridge-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  const template = process.env[TEMPLATE_ENV]
  if (template && isInitialised(template)) await cp(template, join(dir, 'pglite'), { recursive: true })
  return dir
}
