// Deletes ownerless boards whose time is up, and warns at 1 h and 10 min.
//
// Safe with several sweepers (instances) at once: work is claimed in the
// database. Warnings are conditional UPDATEs (a board is warned once per
// threshold, whoever gets there first); deletions lock their rows with
// FOR UPDATE SKIP LOCKED, so two sweepers never pick the same board, and a
// repeat is harmless anyway: DELETE of a board another sweeper already
// removed affects no row, so nothing is announced twice.
import { and, count, eq, inArray, isNotNull, isNull, lte, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import { recordActivity, ActivityType } from '../boards/activity.js'
import type { Changes } from '../domain/changes.js'
import type { NotificationService } from '../notifications/notification-service.js'
import type { Db } from '../store/db.js'
import { boards, comments, docUpdates, guests, invites } from '../store/schema.js'

/** Minutes before deletion at which everyone on the board is warned, smallest first. */
export const WARN_MINUTES = [10, 60] as const
/** Boards deleted per transaction: keeps each sweep's locks short. */
const BATCH = 50

export interface SweeperDeps {
  db: Db
  logger: Logger
  changes: Changes
  notifications: NotificationService
  intervalMs: number
  metrics?: { deleted?(n: number): void; warned?(n: number): void }
  /** History retention (history/history-store.ts): drops old versions, folds old log rows; answers boards folded. */
  retention?(): Promise<number>
  /** Mail the round is due to send (claim reminders) and mail links to purge; before deletions, so a reminder precedes its board's end. */
  mail?(): Promise<number>
  /** Skip this round (another instance holds the sweep lock); always false in one process. */
  skipRound?(): Promise<boolean>
}

export interface SweepResult {
  warned: number
  deleted: number
  /** Boards whose old history was folded away. */
  historyFolded: number
}

export class Sweeper {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<SweepResult> | null = null

  constructor(private readonly deps: SweeperDeps) {}

  start(): void {
    if (this.timer) return
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.deps.logger.error({ err }, 'sweep failed'))
    }, this.deps.intervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.running?.catch(() => undefined)
  }

  /** One round; concurrent calls in this process share it. */
  sweep(): Promise<SweepResult> {
    this.running ??= this.round().finally(() => {
      this.running = null
    })
    return this.running
  }

  private async round(): Promise<SweepResult> {
    if (await this.deps.skipRound?.()) return { warned: 0, deleted: 0, historyFolded: 0 }
    const warned = await this.warn()
    await this.deps.mail?.().catch((err: unknown) => this.deps.logger.error({ err }, 'claim reminders failed'))
    let deleted = 0
    for (;;) {
      const n = await this.deleteBatch()
      deleted += n
      if (n < BATCH) break
    }
    const historyFolded = (await this.deps.retention?.()) ?? 0
    return { warned, deleted, historyFolded }
  }

  private async warn(): Promise<number> {
    const { db } = this.deps
    let total = 0
    for (const minutes of WARN_MINUTES) {
      const due = await db
        .update(boards)
        .set({ warnedMinutes: minutes })
        .where(
          and(
            isNull(boards.ownerId),
            isNotNull(boards.expiresAt),
            sql`${boards.expiresAt} > now()`,
            sql`${boards.expiresAt} <= now() + make_interval(mins => ${minutes})`,
            sql`(${boards.warnedMinutes} IS NULL OR ${boards.warnedMinutes} > ${minutes})`,
          ),
        )
        .returning({ id: boards.id, expiresAt: boards.expiresAt })
      for (const b of due) {
        await recordActivity(db, b.id, ActivityType.expiring, null, { minutes, expiresAt: b.expiresAt!.toISOString() })
        this.deps.changes.record({ type: 'board.expiring', boardId: b.id, expiresAt: b.expiresAt! })
        await this.deps.notifications.boardEvent('board.expiring', b.id, { minutes, expiresAt: b.expiresAt!.toISOString() })
        this.deps.logger.info({ boardId: b.id, minutes }, 'ownerless board expiring')
      }
      total += due.length
    }
    this.deps.metrics?.warned?.(total)
    return total
  }

  private async deleteBatch(): Promise<number> {
    const { db, logger } = this.deps
    const gone = await db.transaction(async (tx) => {
      const doomed = await tx
        .select({ id: boards.id, title: boards.title })
        .from(boards)
        .where(and(isNull(boards.ownerId), lte(boards.expiresAt, sql`now()`)))
        .limit(BATCH)
        .for('update', { skipLocked: true })
      if (doomed.length === 0) return []
      const ids = doomed.map((b) => b.id)
      const tally = async (table: typeof guests | typeof invites | typeof comments | typeof docUpdates) =>
        new Map(
          (await tx.select({ boardId: table.boardId, n: count() }).from(table).where(inArray(table.boardId, ids)).groupBy(table.boardId)).map(
            (r) => [r.boardId, r.n],
          ),
        )
      const [g, i, c, u] = [await tally(guests), await tally(invites), await tally(comments), await tally(docUpdates)]
      // Recipients (the account the creating guest became, if any) are looked
      // up before the rows that link them go.
      const creators = await tx
        .select({ boardId: guests.boardId, userId: guests.linkedUserId })
        .from(guests)
        .where(and(inArray(guests.boardId, ids), eq(guests.isCreator, true), isNotNull(guests.linkedUserId)))
      const owners = new Map<string, string[]>()
      for (const c of creators) owners.set(c.boardId, [c.userId!])
      const deleted = await tx.delete(boards).where(inArray(boards.id, ids)).returning({ id: boards.id })
      const deletedIds = new Set(deleted.map((d) => d.id))
      return doomed
        .filter((b) => deletedIds.has(b.id))
        .map((b) => ({ ...b, owners: owners.get(b.id) ?? [], counts: { guests: g.get(b.id) ?? 0, invites: i.get(b.id) ?? 0, comments: c.get(b.id) ?? 0, logEntries: u.get(b.id) ?? 0 } }))
    })
    for (const b of gone) {
      logger.info({ boardId: b.id, ...b.counts }, 'expired ownerless board deleted')
      this.deps.changes.record({ type: 'board.deleted', boardId: b.id, reason: 'expired', ownerId: b.owners[0] ?? null })
      await this.deps.notifications.notify(b.owners, 'board.deleted', b.id, { boardTitle: b.title, reason: 'expired' })
    }
    this.deps.metrics?.deleted?.(gone.length)
    return gone.length
  }
}
