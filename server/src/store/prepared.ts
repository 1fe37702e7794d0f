// Drizzle builds a query's SQL text and its row mapping again on every call.
// For the lookups every connect and every API request makes (the board, the
// user, the guest, a membership) that was much of their cost: on the embedded
// database the board lookup took 0.90 ms of the event loop, 0.64 ms built
// ahead (1,000 calls each). They are built once per database handle.
//
// They are not named statements on PostgreSQL: with names, the server's CPU
// per board visit rose (1.77-1.89 → 2.16-2.35 ms, `npm run bench visits`, two
// runs each), so each is still sent as an unnamed statement, as before. The
// exception is a join's one lookup (boards/connect-lookup.ts), which waits on
// PostgreSQL's planning of a four-table join.
import type { DbOrTx } from './db.js'

const built = new WeakMap<DbOrTx, Map<string, unknown>>()

/**
 * The query `key` built by `build` on this handle, built on first use. A
 * transaction is a handle of its own: it gets its own copy, bound to it.
 * `build` should end in `.prepare(UNNAMED)`.
 */
export function preparedOn<T>(db: DbOrTx, key: string, build: (db: DbOrTx) => T): T {
  let queries = built.get(db)
  if (!queries) {
    queries = new Map()
    built.set(db, queries)
  }
  let query = queries.get(key) as T | undefined
  if (query === undefined) {
    query = build(db)
    queries.set(key, query)
  }
  return query
}

/** The statement name for drizzle's prepare(): none (see above). */
export const UNNAMED = ''
