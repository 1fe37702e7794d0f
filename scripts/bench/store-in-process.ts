// A store opened in the bench's own process, as the server opens it, for the
// scenarios that measure the store alone (commit, claims): the embedded one
// in a directory of its own, removed afterwards, or PostgreSQL at `url`.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Store } from '../../server/src/store/db.js'

const logger = pino({ level: 'silent' })

/** Runs `use` with a store (embedded unless `url`), closed and cleaned up after. */
export async function withStore<T>(url: string | null, use: (store: Store) => Promise<T>): Promise<T> {
  const dir = url ? null : await mkdtemp(join(tmpdir(), 'drawbridge-bench-store-'))
  try {
    const store = await Store.open({ dataDir: dir ?? '', databaseUrl: url ?? undefined, poolSize: 1 }, logger)
    try {
      return await use(store)
    } finally {
      await store.close()
    }
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true })
  }
}
