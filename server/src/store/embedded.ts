// The embedded database (PGlite) sized for a small machine. PGlite runs
// PostgreSQL in WebAssembly, and a WebAssembly heap only grows: whatever
// PostgreSQL once touched stays in the process's memory for good. So the
// settings keep its buffers small (one process, one connection, boards are
// read whole and cached by the hub), and the first boot's initdb, which alone
// grows the heap to ~700 MB, runs in a short-lived child process whose memory
// goes back to the system when it exits.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Logger } from 'pino'

/** postgresql.conf for PGlite: a single connection, small buffers. */
export const EMBEDDED_POSTGRES_CONF = [
  'shared_buffers = 16MB',
  'wal_buffers = 1MB',
  'temp_buffers = 2MB',
  'work_mem = 2MB',
  'maintenance_work_mem = 16MB',
  'max_connections = 3',
  // A new WAL segment (every 16 MB of log) is otherwise filled with 16 MB of
  // zeros first, by this thread: a 14-78 ms stall of every live update each
  // time (docs/PERFORMANCE.md, "WAL segments on the embedded database").
  // Commits still write their WAL before they answer; only the file's
  // preallocation goes.
  'wal_init_zero = off',
]

const pgliteUrl = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href

// Plain ES module code for `node -e`: the same from sources (tests) and the build.
const INIT_SOURCE = `
const [dir, conf] = process.argv.slice(1)
const { PGlite } = await import(${JSON.stringify(pgliteUrl)})
const db = new PGlite(dir, { postgresqlconf: JSON.parse(conf) })
await db.waitReady
await db.close()
`

/** Whether `dir` already holds an initialised database cluster. */
export function isInitialised(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'))
}

/**
 * Creates the cluster in `dir` from a child process, if it does not exist
 * yet. Should the child fail, the caller's own open initialises it instead
 * (correct, only bigger), so this never stops a boot.
 */
export async function initialiseInChild(dir: string, logger: Logger): Promise<void> {
  if (isInitialised(dir)) return
  const started = Date.now()
  const outcome = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', INIT_SOURCE, dir, JSON.stringify(EMBEDDED_POSTGRES_CONF)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString()
    })
    child.on('error', (err) => resolve({ code: null, stderr: err.message }))
    child.on('exit', (code) => resolve({ code, stderr }))
  })
  if (outcome.code === 0 && isInitialised(dir)) {
    logger.info({ ms: Date.now() - started }, 'embedded database created')
    return
  }
  logger.warn({ code: outcome.code, stderr: outcome.stderr.slice(-1000) }, 'creating the embedded database in a child process failed; creating it in this process')
}
