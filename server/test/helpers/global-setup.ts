// Says up front which suites will be skipped for want of a service, so a
// green run without PostgreSQL/Redis/Chromium is never mistaken for full coverage.
import { existsSync } from 'node:fs'
import { postgresBaseUrl, redisBaseUrl } from './services.js'

export default function setup(): void {
  const skipped: string[] = []
  if (!postgresBaseUrl()) skipped.push('PostgreSQL suites (set DATABASE_URL or TEST_DATABASE_URL)')
  if (!redisBaseUrl()) skipped.push('Redis / multi-instance suites (set REDIS_URL or TEST_REDIS_URL)')
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) {
    skipped.push('browser suites (install Debian chromium, or set CHROMIUM_PATH)')
  }
  const line = '-'.repeat(72)
  if (skipped.length === 0) {
    process.stdout.write(`${line}\nAll service-backed suites will run (PostgreSQL, Redis, Chromium found).\n${line}\n`)
  } else {
    process.stdout.write(`${line}\nSKIPPING, services not available:\n${skipped.map((s) => `  - ${s}`).join('\n')}\n${line}\n`)
  }
}
