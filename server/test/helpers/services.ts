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

/**
 * A small pool for a test to read the database itself. Dropping the test
 * database at teardown may reach an idle client before it has closed; that
 * is expected, so it is not an uncaught error.
 */
export function testPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  pool.on('error', () => {})
  return pool
}

export function uniqueRedisPrefix(): string {
  return `drawbridge-test:${process.pid}:${randomBytes(4).toString('hex')}:`
}

/** A private redis-server on a free port, for tests that stop and restart it. */
export interface PrivateRedis {
  url: string
  port: number
  stop(): Promise<void>
  start(): Promise<void>
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const { spawn } = await import('node:child_process')
  const net = await import('node:net')
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port
      srv.close(() => resolve(p))
    })
  })
  let proc: import('node:child_process').ChildProcess | null = null
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)))
        s.on('error', () => resolve(false))
      })
      if (ok) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error('private redis-server did not start')
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      const p = proc
      proc = null
      if (!p) return
      p.kill('SIGKILL')
      await new Promise((r) => p.once('exit', r))
    },
  }
}
