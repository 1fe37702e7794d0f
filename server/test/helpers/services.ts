// Real PostgreSQL and Redis for the suites that are about them. Each run gets
// a private database / key prefix, so runs never share state.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The PostgreSQL server to test against, or undefined (suite skipped). */
export function postgresBaseUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined
}

export function redisBaseUrl(): string | undefined {
  return process.env.TEST_REDIS_URL || process.env.REDIS_URL || undefined
}

export interface TestDatabase {
  url: string
  drop(): Promise<void>
}

export async function createTestDatabase(baseUrl: string): Promise<TestDatabase> {
  const name = `drawbridge_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}

export function uniqueRedisPrefix(): string {
  return `drawbridge-test:${process.pid}:${randomBytes(4).toString('hex')}:`
}
