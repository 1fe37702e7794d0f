// PGlite runs PostgreSQL on this thread, one statement at a time, and hands
// the next queued statement its turn from a promise: a burst of queued
// statements (2,000 clients joining or leaving at once, each with its
// lookups, compactions and versions) ran back to back without the event loop
// turning, 0.8-2.4 s in which nobody else's edits, timers or sockets moved.
// The store now gives the loop a turn between slices of statements, in the
// order they were asked. Real PGlite through the real Store; nothing is timed,
// only what happened first.
import { rm } from 'node:fs/promises'
import type { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows, Store, statementRunner } from '../src/store/db.js'
import { freshDataDir } from './helpers/data-dir.js'

const logger = pino({ level: 'silent' })

describe('a burst of statements on the embedded database', () => {
  let dir: string
  let store: Store
  beforeAll(async () => {
    dir = await freshDataDir('drawbridge-turns-')
    store = await Store.open({ dataDir: dir, poolSize: 1 }, logger)
    await store.db.execute(sql`CREATE TABLE turns (seq serial PRIMARY KEY, asked int NOT NULL)`)
  })
  afterAll(async () => {
    await store?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('lets a timer and a socket in before it is over, and runs in the order asked', async () => {
    const n = 2000
    let done = 0
    let doneWhenTimerRan = -1
    let doneWhenImmediateRan = -1
    setTimeout(() => (doneWhenTimerRan = done), 0)
    const burst = Array.from({ length: n }, (_, i) => store.db.execute(sql`INSERT INTO turns (asked) VALUES (${i})`).then(() => done++))
    setImmediate(() => (doneWhenImmediateRan = done))
    // Transactions keep their place in the queue too.
    const tx = store.db.transaction(async (t) => {
      await t.execute(sql`INSERT INTO turns (asked) VALUES (${n})`)
      await t.execute(sql`INSERT INTO turns (asked) VALUES (${n + 1})`)
    })
    await Promise.all([...burst, tx])
    expect(doneWhenTimerRan).toBeGreaterThanOrEqual(0)
    expect(doneWhenTimerRan).toBeLessThan(n)
    expect(doneWhenImmediateRan).toBeLessThan(n)
    const rows = await queryRows<{ asked: number }>(store.db, sql`SELECT asked FROM turns ORDER BY seq`)
    expect(rows.map((r) => r.asked)).toEqual(Array.from({ length: n + 2 }, (_, i) => i))
  })

  it('keeps statements sent by the simple protocol, the log\'s appends among them, in their place', async () => {
    await store.db.execute(sql`TRUNCATE turns`)
    // The client drizzle was given (its exec), and the log's own runner (log-append.ts).
    const client = (store.db as unknown as { $client: { exec(q: string): Promise<unknown> } }).$client
    const append = statementRunner(store.db)!
    const n = 600
    // drizzle's query starts when its then() is called, so it is called here, in the order asked.
    const asked = Array.from({ length: n }, (_, i) =>
      i % 3 === 1
        ? client.exec(`INSERT INTO turns (asked) VALUES (${i})`)
        : i % 3 === 2
          ? append(`INSERT INTO turns (asked) VALUES (${i})`)
          : store.db.execute(sql`INSERT INTO turns (asked) VALUES (${i})`).then(() => undefined),
    )
    await Promise.all(asked)
    const rows = await queryRows<{ asked: number }>(store.db, sql`SELECT asked FROM turns ORDER BY seq`)
    expect(rows.map((r) => r.asked)).toEqual(Array.from({ length: n }, (_, i) => i))
  })

  // The log's appends skip PGlite's own locks (embedded-statement.ts): the
  // turns are all that keeps them out of another flow's transaction.
  it('runs an append asked during an open transaction after it, so a rollback cannot take it along', async () => {
    await store.db.execute(sql`TRUNCATE turns`)
    const append = statementRunner(store.db)!
    expect(append).not.toBeNull()
    let appended: Promise<void> | null = null
    const drizzleTx = store.db.transaction(async (t) => {
      await t.execute(sql`INSERT INTO turns (asked) VALUES (1)`)
      appended = append('INSERT INTO turns (asked) VALUES (2)')
      // The loop turns while the transaction is open.
      await new Promise((resolve) => setTimeout(resolve, 20))
      throw new Error('roll back')
    })
    await expect(drizzleTx).rejects.toThrow('roll back')
    await appended
    // The same for whatever uses PGlite directly (the admin backup): through Store.exclusive.
    const client = store.client as PGlite
    const rawTx = store.exclusive(() =>
      client.transaction(async (t) => {
        await t.exec('INSERT INTO turns (asked) VALUES (3)')
        appended = append('INSERT INTO turns (asked) VALUES (4)')
        await new Promise((resolve) => setTimeout(resolve, 20))
        throw new Error('roll back')
      }),
    )
    await expect(rawTx).rejects.toThrow('roll back')
    await appended
    const rows = await queryRows<{ asked: number }>(store.db, sql`SELECT asked FROM turns ORDER BY seq`)
    expect(rows.map((r) => r.asked)).toEqual([2, 4])
  })

  it('answers a failed append with PostgreSQL\'s error, and the next one runs', async () => {
    const append = statementRunner(store.db)!
    await expect(append('INSERT INTO turns (asked) VALUES (NULL)')).rejects.toMatchObject({ code: '23502' })
    await expect(append('INSERT INTO nowhere VALUES (1)')).rejects.toMatchObject({ code: '42P01' })
    await append('INSERT INTO turns (asked) VALUES (5)')
    const rows = await queryRows<{ asked: number }>(store.db, sql`SELECT asked FROM turns ORDER BY seq`)
    expect(rows.map((r) => r.asked).at(-1)).toBe(5)
  })
})
