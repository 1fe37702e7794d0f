import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { PGlite, QueryOptions, Transaction } from '@electric-sql/pglite'
import { type SQL, sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type pg from 'pg'
import type { Logger } from 'pino'
import { EMBEDDED_POSTGRES_CONF, initialiseInChild } from './embedded.js'
import { runStatement } from './embedded-statement.js'
import { LoopTurns } from './loop-turns.js'
import { runMigrations } from './migrate.js'
import * as schema from './schema.js'

const BYTEA_OID = 17
/**
 * The types drizzle reads as PostgreSQL's text (dates, times, intervals and
 * their arrays) and so passes its own identity parsers for on every query.
 */
const DRIZZLE_TEXT_TYPES = [1114, 1184, 1186, 1082, 1231, 1115, 1185, 1187, 1182]
const asText = (text: string) => text

/**
 * PGlite copies its table of every type's parser (some 350 entries) into a
 * new object on each query that brings parsers of its own, and drizzle brings
 * its date parsers on every query: 0.2 ms of the event loop per statement, 40%
 * of a lookup by primary key (docs/PERFORMANCE.md). The same parsers are set
 * once on the database (see open), so they are dropped from each query here.
 * `turns`: statements and transactions wait their turn there, so that a burst
 * of them does not hold the event loop (loop-turns.ts); a transaction's own
 * statements (turns null) run inside its turn.
 */
function withoutQueryParsers<C extends Pick<PGlite, 'query' | 'exec'>>(client: C, turns: LoopTurns | null): C {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'query') {
        return (query: string, params?: unknown[], options?: QueryOptions) => {
          const go = () => target.query(query, params, options?.parsers ? { ...options, parsers: undefined } : options)
          return turns ? turns.take(go) : go()
        }
      }
      if (prop === 'exec') {
        // Like query: whatever sends the simple protocol through drizzle's client keeps its place in the
        // queue. (The log's appends have a runner of their own, statementRunner, which takes its turn too.)
        return (query: string, options?: QueryOptions) => {
          const go = () => target.exec(query, options)
          return turns ? turns.take(go) : go()
        }
      }
      if (prop === 'transaction') {
        // A transaction takes one turn; its own statements run inside it.
        return <T>(run: (tx: Transaction) => Promise<T>) => {
          const go = () => (target as unknown as PGlite).transaction((tx) => run(withoutQueryParsers(tx, null)))
          return turns ? turns.take(go) : go()
        }
      }
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * Whether a driver client is PGlite. Told apart by a member of its own rather
 * than by class: PGlite's module is not loaded on PostgreSQL.
 */
export function isEmbedded(client: PGlite | pg.Pool): client is PGlite {
  return 'waitReady' in client
}

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

/**
 * The embedded database's fast statement (embedded-statement.ts), taking its
 * turn like any other, per drizzle handle; none on PostgreSQL.
 */
const statements = new WeakMap<object, (text: string) => Promise<void>>()

/** For a statement that returns no rows and runs outside a transaction; null on PostgreSQL. */
export function statementRunner(db: Db): ((text: string) => Promise<void>) | null {
  return statements.get(db) ?? null
}

/**
 * The driver client behind a drizzle handle. On PGlite it is the wrapped one
 * (withoutQueryParsers): its query and exec take their turn like every other
 * statement, unlike `Store.client`.
 */
export function driverClient(db: Db): PGlite | pg.Pool {
  return (db as unknown as { $client: PGlite | pg.Pool }).$client
}

/** The database: one per process, opened at boot, closed at shutdown. */
export class Store {
  private constructor(
    readonly db: Db,
    readonly kind: 'pglite' | 'postgres',
    private readonly release: () => Promise<void>,
    /** The driver client (PGlite or the pg pool), for backups and tools: see `exclusive` before using PGlite's. */
    readonly client: PGlite | pg.Pool,
    private readonly turns: LoopTurns | null = null,
  ) {}

  /**
   * Runs `work` with the embedded database to itself, in the order asked among
   * the server's statements. Whatever uses the PGlite client directly while
   * the server runs goes through here: the log's appends bypass PGlite's own
   * locks and rely on the turns (embedded-statement.ts).
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.turns ? this.turns.take(work) : work()
  }

  /** Connections the PostgreSQL pool holds open now (0 on PGlite, which has none). */
  get connections(): number {
    return isEmbedded(this.client) ? 0 : this.client.totalCount
  }

  static async open(options: StoreOptions, logger: Logger): Promise<Store> {
    // Each database's driver is loaded only when it is the one in use: the
    // other's modules would stay in memory for nothing (PGlite's alone is
    // megabytes of heap on a PostgreSQL server).
    if (options.databaseUrl) {
      const [{ default: pg }, { drizzle: drizzlePg }] = await Promise.all([import('pg'), import('drizzle-orm/node-postgres')])
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
    const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([import('@electric-sql/pglite'), import('drizzle-orm/pglite')])
    const client = new PGlite(dir, {
      postgresqlconf: EMBEDDED_POSTGRES_CONF,
      // Documents are megabytes. A bytea parameter goes as the bytes
      // themselves (PGlite binds a Uint8Array in binary format): as text it
      // was twice its size in hex, measured and re-encoded in JavaScript
      // (hundreds of milliseconds for a big board's snapshot). Results come
      // back as text; PGlite's own bytea parser builds a string per byte, so
      // Node's hex codec reads them (two orders of magnitude faster).
      serializers: { [BYTEA_OID]: ((bytes: Uint8Array) => bytes) as unknown as (value: unknown) => string },
      parsers: {
        [BYTEA_OID]: (text: string) => new Uint8Array(Buffer.from(text.slice(2), 'hex')),
        ...Object.fromEntries(DRIZZLE_TEXT_TYPES.map((oid) => [oid, asText])),
      },
    })
    await client.waitReady
    await runMigrations(client, logger)
    const turns = new LoopTurns()
    const db = drizzlePglite(withoutQueryParsers(client, turns), { schema }) as unknown as Db
    statements.set(db, (text) => turns.take(() => runStatement(client, text)))
    return new Store(db, 'pglite', () => client.close(), client, turns)
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
