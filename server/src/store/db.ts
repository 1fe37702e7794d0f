import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { type SQL, sql } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import pg from 'pg'
import type { Logger } from 'pino'
import { EMBEDDED_POSTGRES_CONF, initialiseInChild } from './embedded.js'
import { runMigrations } from './migrate.js'
import * as schema from './schema.js'

const BYTEA_OID = 17

export type Schema = typeof schema
export type Db = PgDatabase<PgQueryResultHKT, Schema>
/** A transaction handle; same query API as Db. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export type DbOrTx = Db | Tx

export interface StoreOptions {
  /** PostgreSQL URL; when unset the embedded PGlite in `dataDir` is used. */
  databaseUrl?: string
  dataDir: string
  poolSize: number
}

/** The database: one per process, opened at boot, closed at shutdown. */
export class Store {
  private constructor(
    readonly db: Db,
    readonly kind: 'pglite' | 'postgres',
    private readonly release: () => Promise<void>,
    /** The driver client (PGlite or the pg pool), for backups and tools. */
    readonly client: PGlite | pg.Pool,
  ) {}

  static async open(options: StoreOptions, logger: Logger): Promise<Store> {
    if (options.databaseUrl) {
      const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize })
      // An idle client that loses its connection must not crash the process.
      pool.on('error', (err) => logger.warn({ err }, 'postgres pool client error'))
      const client = await pool.connect()
      try {
        await runMigrations(client, logger)
      } finally {
        client.release()
      }
      return new Store(drizzlePg(pool, { schema }) as unknown as Db, 'postgres', () => pool.end(), pool)
    }
    await mkdir(options.dataDir, { recursive: true })
    const dir = join(options.dataDir, 'pglite')
    await initialiseInChild(dir, logger)
    const client = new PGlite(dir, {
      postgresqlconf: EMBEDDED_POSTGRES_CONF,
      // Documents are megabytes. A bytea parameter goes as the bytes
      // themselves (PGlite binds a Uint8Array in binary format): as text it
      // was twice its size in hex, measured and re-encoded in JavaScript
      // (hundreds of milliseconds for a big board's snapshot). Results come
      // back as text; PGlite's own bytea parser builds a string per byte, so
      // Node's hex codec reads them (two orders of magnitude faster).
      serializers: { [BYTEA_OID]: ((bytes: Uint8Array) => bytes) as unknown as (value: unknown) => string },
      parsers: { [BYTEA_OID]: (text: string) => new Uint8Array(Buffer.from(text.slice(2), 'hex')) },
    })
    await client.waitReady
    await runMigrations(client, logger)
    return new Store(drizzlePglite(client, { schema }) as unknown as Db, 'pglite', () => client.close(), client)
  }

  async ping(): Promise<void> {
    await this.db.execute(sql`SELECT 1`)
  }

  async close(): Promise<void> {
    await this.release()
  }
}

/** Raw SQL returning rows; both drivers answer `{rows}`. */
export async function queryRows<T>(db: DbOrTx, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] }
  return result.rows
}
