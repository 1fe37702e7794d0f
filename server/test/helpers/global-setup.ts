// Says up front which suites will be skipped for want of a service, so a
// green run without PostgreSQL/Redis/Chromium is never mistaken for full coverage.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Store } from '../../src/store/db.js'
import { initialiseInChild, isInitialised } from '../../src/store/embedded.js'
import { TEMPLATE_ENV } from './data-dir.js'
import { chromiumPath, hasChromium } from './chromium.js'
import { buildServerForProcesses } from './process-build.js'
import { postgresBaseUrl, redisBaseUrl } from './services.js'

export default async function setup(): Promise<() => Promise<void>> {
  // One embedded cluster for the whole run, copied into every fresh DATA_DIR (see data-dir.ts).
  const templateRoot = await mkdtemp(join(tmpdir(), 'drawbridge-template-'))
  const template = join(templateRoot, 'pglite')
  const logger = pino({ level: 'warn' })
  const prepareTemplate = async () => {
    await initialiseInChild(template, logger)
    if (!isInitialised(template)) return
    // Migrated too, as a server's second boot finds it: a start then costs 0.4 s
    // instead of 1.4 s (measured), over a hundred starts a run. Migrating an
    // empty cluster is still tested: storage.test.ts starts from nothing.
    const store = await Store.open({ dataDir: templateRoot, poolSize: 1 }, logger)
    await store.close()
    process.env[TEMPLATE_ENV] = template
  }
  // Side by side: the cluster is made in a child process while this one
  // builds the JavaScript that server processes (kill -9, several instances) start from.
  const [, removeBuild] = await Promise.all([prepareTemplate(), buildServerForProcesses()])

  const skipped: string[] = []
  if (!postgresBaseUrl()) skipped.push('PostgreSQL suites (set DATABASE_URL or TEST_DATABASE_URL)')
  if (!redisBaseUrl()) skipped.push('Redis / multi-instance suites (set REDIS_URL or TEST_REDIS_URL)')
  if (!hasChromium) {
    skipped.push('browser suites (install Debian chromium-headless-shell or chromium, or set CHROMIUM_PATH)')
  }
  const line = '-'.repeat(72)
  if (skipped.length === 0) {
    process.stdout.write(`${line}\nAll service-backed suites will run (PostgreSQL, Redis, Chromium found: ${chromiumPath}).\n${line}\n`)
  } else {
    process.stdout.write(`${line}\nSKIPPING, services not available:\n${skipped.map((s) => `  - ${s}`).join('\n')}\n${line}\n`)
  }
  return async () => {
    await rm(templateRoot, { recursive: true, force: true })
    await removeBuild()
  }
}
