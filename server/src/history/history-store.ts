// History in the database: the log rows after the history base, versions,
// the names behind principal keys, and the retention sweep that folds old
// log rows into the base. Compaction (store/doc-store.ts) leaves the rows it
// folds into the snapshot; only the sweep here deletes log rows, and only
// ones the snapshot already holds.
import { and, asc, desc, eq, gt, inArray, lt, lte, max, notInArray, sql } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import type { AutoReason, HistoryPerson, VersionKind } from '../../../shared/history.js'
import { parsePrincipalKey } from '../auth/principals.js'
import { type Db, type DbOrTx, queryRows } from '../store/db.js'
import { mergeInline } from '../store/merge-inline.js'
import { boards, boardVersions, docHistoryBase, docSnapshots, docUpdates, guests, users } from '../store/schema.js'
import type { LogRow } from './replay.js'

export type VersionRow = typeof boardVersions.$inferSelect

export interface HistoryLog {
  base: Uint8Array | null
  baseSeq: number
  rows: LogRow[]
}

export interface NewVersion {
  kind: VersionKind
  reason?: AutoReason | null
  name?: string | null
  actor?: { kind: 'user' | 'guest'; id: string; name: string } | null
  data?: Record<string, unknown>
}

/**
 * A board's head, as one SQL expression: the last seq of its log; once the
 * retention sweep folded the whole log away, the history base's; 0 when
 * nothing was ever stored.
 */
const headOf = (boardId: string) =>
  sql`COALESCE((SELECT max(u.seq) FROM ${docUpdates} u WHERE u.board_id = ${boardId}),
               (SELECT b.last_seq FROM ${docHistoryBase} b WHERE b.board_id = ${boardId}), 0)`

export class HistoryStore {
  constructor(private readonly db: Db) {}

  /** The history base and every log row after it, up to `upto` (a seq) when given. */
  async log(boardId: string, upto?: number): Promise<HistoryLog> {
    const [base] = await this.db.select().from(docHistoryBase).where(eq(docHistoryBase.boardId, boardId))
    const baseSeq = base?.lastSeq ?? 0
    return { base: base ? new Uint8Array(base.data) : null, baseSeq, rows: await this.rows(boardId, baseSeq, upto) }
  }

  /** The rows after `afterSeq`, and where the history base now is. */
  async logAfter(boardId: string, afterSeq: number): Promise<{ baseSeq: number; rows: LogRow[] }> {
    const [base] = await this.db.select({ seq: docHistoryBase.lastSeq }).from(docHistoryBase).where(eq(docHistoryBase.boardId, boardId))
    const baseSeq = base?.seq ?? 0
    return { baseSeq, rows: await this.rows(boardId, Math.max(afterSeq, baseSeq)) }
  }

  /** Log rows after `after`, up to `upto` when given, in order. */
  private async rows(boardId: string, after: number, upto?: number): Promise<LogRow[]> {
    const rows = await this.db
      .select({ seq: docUpdates.seq, actor: docUpdates.actor, at: docUpdates.createdAt, data: docUpdates.data })
      .from(docUpdates)
      .where(and(eq(docUpdates.boardId, boardId), gt(docUpdates.seq, after), ...(upto === undefined ? [] : [lte(docUpdates.seq, upto)])))
      .orderBy(asc(docUpdates.seq))
    return rows.map((r) => ({ seq: r.seq, actor: r.actor, at: r.at.getTime(), data: new Uint8Array(r.data) }))
  }

  /**
   * The board's head and whether a version already reaches it, in one
   * statement: every room that unloads asks, and on the embedded database
   * each statement costs the event loop about a millisecond.
   */
  async headCovered(boardId: string): Promise<{ seq: number; covered: boolean }> {
    const [row] = await queryRows<{ seq: string | number; covered: boolean }>(
      this.db,
      sql`SELECT h.seq, EXISTS (SELECT 1 FROM ${boardVersions} v WHERE v.board_id = ${boardId} AND v.seq >= h.seq) AS covered
          FROM (SELECT ${headOf(boardId)} AS seq) h`,
    )
    return { seq: Number(row!.seq), covered: row!.covered }
  }

  /** The board's head (see headOf). */
  async headSeq(db: DbOrTx, boardId: string): Promise<number> {
    const [row] = await queryRows<{ seq: string | number }>(db, sql`SELECT ${headOf(boardId)} AS seq`)
    return Number(row!.seq)
  }

  /** When the history starts: the board's creation, or (once old rows were folded away) the first row kept. */
  async since(boardId: string): Promise<Date> {
    const [base] = await this.db.select({ seq: docHistoryBase.lastSeq, at: docHistoryBase.updatedAt }).from(docHistoryBase).where(eq(docHistoryBase.boardId, boardId))
    if (base && base.seq > 0) {
      const [first] = await this.db
        .select({ at: docUpdates.createdAt })
        .from(docUpdates)
        .where(and(eq(docUpdates.boardId, boardId), gt(docUpdates.seq, base.seq)))
        .orderBy(asc(docUpdates.seq))
        .limit(1)
      return first?.at ?? base.at
    }
    const [board] = await this.db.select({ at: boards.createdAt }).from(boards).where(eq(boards.id, boardId))
    return board?.at ?? new Date()
  }

  async versions(boardId: string): Promise<VersionRow[]> {
    return this.db.select().from(boardVersions).where(eq(boardVersions.boardId, boardId)).orderBy(desc(boardVersions.seq), desc(boardVersions.createdAt))
  }

  async version(boardId: string, id: string): Promise<VersionRow | null> {
    const [row] = await this.db.select().from(boardVersions).where(and(eq(boardVersions.boardId, boardId), eq(boardVersions.id, id)))
    return row ?? null
  }

  /** The newest version at or before `seq` (any kind). */
  async previous(db: DbOrTx, boardId: string, seq: number): Promise<VersionRow | null> {
    const [row] = await db
      .select()
      .from(boardVersions)
      .where(and(eq(boardVersions.boardId, boardId), lte(boardVersions.seq, seq)))
      .orderBy(desc(boardVersions.seq), desc(boardVersions.createdAt))
      .limit(1)
    return row ?? null
  }

  /**
   * Inserts a version at `seq` in a transaction that holds the board row
   * (so two instances saving the same quiet moment save it once): `auto`
   * versions are skipped when a version already covers `seq`. Null when
   * skipped or the board is gone.
   */
  async insert(boardId: string, seq: number, v: NewVersion, contributors: () => Promise<Record<string, unknown>>): Promise<VersionRow | null> {
    // Callers of an automatic save ask headCovered first: most find nothing new.
    const data = { ...(await contributors()), ...v.data }
    return this.db.transaction(async (tx) => {
      const [board] = await tx.select({ id: boards.id }).from(boards).where(eq(boards.id, boardId)).for('no key update')
      if (!board) return null
      if (v.kind === 'auto' && (await this.covered(tx, boardId, seq))) return null
      const [row] = await tx
        .insert(boardVersions)
        .values({
          id: nanoid(),
          boardId,
          seq,
          kind: v.kind,
          reason: v.reason ?? null,
          name: v.name ?? null,
          actorKind: v.actor?.kind ?? null,
          actorId: v.actor?.id ?? null,
          actorName: v.actor?.name ?? null,
          data,
        })
        .returning()
      return row ?? null
    })
  }

  /** A version already reaches `seq`. */
  private async covered(db: DbOrTx, boardId: string, seq: number): Promise<boolean> {
    const [row] = await db
      .select({ id: boardVersions.id })
      .from(boardVersions)
      .where(and(eq(boardVersions.boardId, boardId), sql`${boardVersions.seq} >= ${seq}`))
      .limit(1)
    return row !== undefined
  }

  /** Names for principal keys: guests with the name they typed, users with their account name. */
  async people(keys: Iterable<string>): Promise<Map<string, HistoryPerson>> {
    const guestIds: string[] = []
    const userIds: string[] = []
    for (const key of new Set(keys)) {
      const ref = parsePrincipalKey(key)
      ;(ref.kind === 'guest' ? guestIds : userIds).push(ref.id)
    }
    const out = new Map<string, HistoryPerson>()
    if (guestIds.length) {
      for (const g of await this.db.select({ id: guests.id, name: guests.name }).from(guests).where(inArray(guests.id, guestIds))) {
        out.set(`guest:${g.id}`, { kind: 'guest', id: g.id, name: g.name, guest: true })
      }
    }
    if (userIds.length) {
      for (const u of await this.db.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, userIds))) {
        out.set(`user:${u.id}`, { kind: 'user', id: u.id, name: u.name, guest: false })
      }
    }
    for (const key of new Set(keys)) {
      if (out.has(key)) continue
      const ref = parsePrincipalKey(key)
      out.set(key, { kind: ref.kind, id: ref.id, name: ref.kind === 'guest' ? 'Former guest' : 'Deleted account', guest: ref.kind === 'guest' })
    }
    return out
  }

  /**
   * Retention: versions older than `cutoff` go, and log rows older than it
   * that the snapshot already holds are folded into the history base, one
   * board at a time (at most `limit` a round), oldest log row first (the
   * primary key's order, so no scan of the whole log). Answers how many
   * boards moved.
   */
  async sweep(cutoff: Date, limit = 20): Promise<number> {
    await this.db.delete(boardVersions).where(lt(boardVersions.createdAt, cutoff))
    const skipped: string[] = []
    let moved = 0
    while (moved < limit && skipped.length < limit) {
      const [oldest] = await this.db
        .select({ boardId: docUpdates.boardId, at: docUpdates.createdAt })
        .from(docUpdates)
        .where(skipped.length ? notInArray(docUpdates.boardId, skipped) : undefined)
        .orderBy(asc(docUpdates.seq))
        .limit(1)
      if (!oldest || oldest.at >= cutoff) break
      if (await this.foldBoard(oldest.boardId, cutoff)) moved++
      // Not compacted yet (its room is still open): next round.
      else skipped.push(oldest.boardId)
    }
    return moved
  }

  private async foldBoard(boardId: string, cutoff: Date): Promise<boolean> {
    const [heads] = await this.db
      .select({ snapSeq: docSnapshots.lastSeq, baseSeq: sql<number | null>`(SELECT ${docHistoryBase.lastSeq} FROM ${docHistoryBase} WHERE ${docHistoryBase.boardId} = ${boardId})` })
      .from(docSnapshots)
      .where(eq(docSnapshots.boardId, boardId))
    if (!heads) return false
    const snapSeq = heads.snapSeq
    const baseSeq = Number(heads.baseSeq ?? 0)
    const [edge] = await this.db
      .select({ seq: max(docUpdates.seq) })
      .from(docUpdates)
      .where(and(eq(docUpdates.boardId, boardId), gt(docUpdates.seq, baseSeq), lte(docUpdates.seq, snapSeq), lt(docUpdates.createdAt, cutoff)))
    const upto = edge?.seq == null ? null : Number(edge.seq)
    if (upto === null) return false
    const { base, rows } = await this.log(boardId, upto)
    const parts = [...(base ? [base] : []), ...rows.map((r) => r.data)]
    const data = mergeInline(parts)
    return this.db.transaction(async (tx) => {
      const [board] = await tx.select({ id: boards.id }).from(boards).where(eq(boards.id, boardId)).for('no key update')
      if (!board) return false
      const [current] = await tx.select({ seq: docHistoryBase.lastSeq }).from(docHistoryBase).where(eq(docHistoryBase.boardId, boardId))
      // Another sweeper moved it meanwhile.
      if ((current?.seq ?? 0) !== baseSeq) return false
      await tx
        .insert(docHistoryBase)
        .values({ boardId, data, lastSeq: upto })
        .onConflictDoUpdate({ target: docHistoryBase.boardId, set: { data, lastSeq: upto, updatedAt: sql`now()` } })
      await tx.delete(docUpdates).where(and(eq(docUpdates.boardId, boardId), lte(docUpdates.seq, upto)))
      await tx.delete(boardVersions).where(and(eq(boardVersions.boardId, boardId), lt(boardVersions.seq, upto)))
      return true
    })
  }
}
