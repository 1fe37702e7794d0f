import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { migrationsDir } from '../paths.js'

/** The smallest SQL surface both PGlite and a pg client offer. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>
}

interface Journal {
  entries: { idx: number; tag: string }[]
}

// An arbitrary constant: every instance takes the same advisory lock, so
// when several start at once exactly one applies migrations while the others
// wait and then find nothing left to do.
const MIGRATION_LOCK_KEY = 0x64726177 // "draw"

export async function runMigrations(runner: SqlRunner, logger: Logger): Promise<number> {
  const journal = JSON.parse(await readFile(join(migrationsDir, 'meta', '_journal.json'), 'utf8')) as Journal
  await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
  try {
    await runner.query(
      'CREATE TABLE IF NOT EXISTS drawbridge_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    )
    const done = new Set(
      ((await runner.query('SELECT name FROM drawbridge_migrations')).rows as { name: string }[]).map((r) => r.name),
    )
    let applied = 0
    for (const entry of [...journal.entries].sort((a, b) => a.idx - b.idx)) {
      if (done.has(entry.tag)) continue
      const text = await readFile(join(migrationsDir, `${entry.tag}.sql`), 'utf8')
      const statements = text
        .split('--> statement-breakpoint')
        .map((s) => s.trim())
        .filter(Boolean)
      await runner.query('BEGIN')
      try {
        for (const statement of statements) await runner.query(statement)
        await runner.query('INSERT INTO drawbridge_migrations (name) VALUES ($1)', [entry.tag])
        await runner.query('COMMIT')
      } catch (err) {
        await runner.query('ROLLBACK')
        throw err
      }
      logger.info({ migration: entry.tag }, 'migration applied')
      applied++
    }
    return applied
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
  }
}
