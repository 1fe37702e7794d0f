// The embedded database's vacuum. PostgreSQL's autovacuum is a background
// process, and PGlite runs none: a row's old version (every compaction
// rewrites a board's snapshot; the history sweep deletes old log rows; guest
// boards are swept) stays in the file for good and its space is never used
// again, so a self-hosted server's database only grows. This runs VACUUM
// once enough has been written since the last one. PGlite executes it on the
// event loop, with every live commit waiting behind it, so it waits for a
// quiet loop; only after much more writing does it accept a busier one.
import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'

/** The part of PGlite this needs. */
export interface VacuumTarget {
  query<T>(sql: string): Promise<{ rows: T[] }>
  exec(sql: string): Promise<unknown>
}

export interface EmbeddedVacuumOptions {
  /** How often to look, and the window the loop must have been quiet over. */
  checkMs: number
  /** WAL written since the last vacuum that makes one worth it. */
  walBytes: number
  /** Event-loop utilisation (0…1) over the window below which the server counts as quiet. */
  maxBusy: number
  /** After this many times walBytes, a vacuum runs with the loop up to this busy. */
  overdue: { factor: number; maxBusy: number }
}

// 32 MB of WAL is about 18 compactions of a 1.8 MB board; vacuuming what
// they left took 143-202 ms of the loop (its time grows with what is dead),
// hence a quiet loop. A server that is never quiet for 10 s gets one at up
// to 30% busy once four times that has piled up: a stall of about half a
// second then, rather than a disk that fills (docs/PERFORMANCE.md, "Vacuum on
// the embedded database").
export const EMBEDDED_VACUUM_DEFAULTS: EmbeddedVacuumOptions = {
  checkMs: 10_000,
  walBytes: 32 * 1024 * 1024,
  maxBusy: 0.05,
  overdue: { factor: 4, maxBusy: 0.3 },
}

export class EmbeddedVacuum {
  private timer: NodeJS.Timeout | null = null
  private mark = performance.eventLoopUtilization()
  /** The WAL position after the last vacuum; null until the first look. */
  private vacuumedAt: bigint | null = null
  /** The tables vacuumed (the application's; the catalogs barely change). */
  private tables: string | null = null
  private running: Promise<boolean> | null = null
  /** Vacuums run so far. */
  vacuums = 0

  constructor(
    private readonly db: VacuumTarget,
    private readonly logger: Logger,
    private readonly options: EmbeddedVacuumOptions = EMBEDDED_VACUUM_DEFAULTS,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.check(), this.options.checkMs).unref()
  }

  /** One look; true when it vacuumed. */
  check(): Promise<boolean> {
    this.running ??= this.look().finally(() => (this.running = null))
    return this.running
  }

  private async look(): Promise<boolean> {
    const now = performance.eventLoopUtilization()
    const busy = performance.eventLoopUtilization(now, this.mark).utilization
    this.mark = now
    try {
      const { walBytes, maxBusy, overdue } = this.options
      const at = await this.walPosition()
      // What this process has not seen vacuumed counts as at most walBytes:
      // a database that has been written to before vacuums once, when quiet
      // (older versions never vacuumed it), and a newly created one (its
      // initdb and migrations are ~25 MB of WAL) does not.
      this.vacuumedAt ??= at > BigInt(walBytes) ? at - BigInt(walBytes) : 0n
      const written = at - this.vacuumedAt
      const due = written >= BigInt(walBytes) && (busy <= maxBusy || (written >= BigInt(walBytes * overdue.factor) && busy <= overdue.maxBusy))
      if (!due) return false
      const started = performance.now()
      this.tables ??= await this.applicationTables()
      if (this.tables) await this.db.exec(`VACUUM ${this.tables}`)
      this.vacuumedAt = await this.walPosition()
      this.vacuums++
      this.logger.debug({ ms: Math.round(performance.now() - started), walMb: Number(written / 1048576n) }, 'embedded database vacuumed')
      return true
    } catch (err) {
      // The next look tries again; a closed database is not worth a warning.
      this.logger.debug({ err }, 'embedded database vacuum skipped')
      return false
    } finally {
      this.mark = performance.eventLoopUtilization()
    }
  }

  // Not the whole database: with the catalogs, a new database's first
  // VACUUM took 120-220 ms of the loop; the application's tables alone 31 ms
  // the first time (each table's free-space and visibility maps are created)
  // and 2 ms after.
  private async applicationTables(): Promise<string> {
    const { rows } = await this.db.query<{ t: string }>("SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    return rows.map((r) => r.t).join(', ')
  }

  private async walPosition(): Promise<bigint> {
    const { rows } = await this.db.query<{ at: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS at")
    return BigInt(rows[0]!.at)
  }

  /** Stops looking; a vacuum under way is waited for (the database closes next). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.running
  }
}
