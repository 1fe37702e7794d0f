// Claiming ownerless boards, duplicating boards, and the activity log.
import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import { ErrorCode } from '../../../shared/constants.js'
import type { Board } from '../../../shared/types.js'
import type { ResolvedPrincipal } from '../auth/principals.js'
import { conflict, notFound } from '../errors.js'
import { activity, boardFiles, boards, claimReminders, clientIds, docHistoryBase, docSnapshots, guests, memberships } from '../store/schema.js'
import { ActivityType, recordActivity } from './activity.js'
import { type BoardService, permanentTitle } from './board-service.js'
import { actorOf, type Deps } from './deps.js'
import { loadBoard } from './policy.js'
import { presentBoard } from './present.js'

/** Where a board's current document comes from (the live room, or storage). */
export interface DocumentSource {
  currentState(boardId: string): Promise<Uint8Array | null>
}

export interface Notifier {
  boardEvent(type: 'board.claimed' | 'board.expiring' | 'board.deleted', boardId: string, data: Record<string, unknown>): Promise<void>
}

export interface ActivityEntry {
  id: string
  type: string
  actor: { kind: string; id: string; name: string } | null
  data: Record<string, unknown>
  createdAt: string
}

export class LifecycleService {
  constructor(
    private readonly d: Deps,
    private readonly boards: BoardService,
    private readonly documents: DocumentSource,
    private readonly notifier: Notifier,
  ) {}

  /**
   * The claimer becomes owner. One conditional UPDATE decides: it matches
   * only while the board exists and has no owner, so a claim racing the
   * sweeper either wins (the sweeper no longer selects the board) or finds
   * the row gone (404).
   */
  async claim(principal: ResolvedPrincipal, boardId: string): Promise<Board> {
    // Refused to guests before the board is looked at, whatever board their token is for.
    const user = this.d.policy.asUser(principal, 'board.claim')
    const access = await this.boards.access(principal, boardId, 'board.claim')
    if (access.board.ownerId !== null) throw conflict('This board already has an owner', ErrorCode.alreadyOwned)
    const claimed = await this.d.db.transaction(async (tx) => {
      const [row] = await tx
        .update(boards)
        .set({ ownerId: user.id, expiresAt: null, warnedMinutes: null, title: permanentTitle(access.board.title) })
        .where(and(eq(boards.id, boardId), isNull(boards.ownerId)))
        .returning()
      if (!row) return null
      await tx.delete(memberships).where(and(eq(memberships.boardId, boardId), eq(memberships.userId, user.id)))
      // A kept board needs no reminder: the addresses guests left for one are forgotten now.
      await tx.delete(claimReminders).where(eq(claimReminders.boardId, boardId))
      await recordActivity(tx, boardId, ActivityType.claimed, actorOf(principal))
      return row
    })
    if (!claimed) {
      if (await loadBoard(this.d.db, boardId)) throw conflict('This board already has an owner', ErrorCode.alreadyOwned)
      throw notFound('Board')
    }
    this.d.changes.record({ type: 'board.claimed', boardId })
    await this.notifier.boardEvent('board.claimed', boardId, { by: { id: user.id, name: user.name } })
    return presentBoard((await loadBoard(this.d.db, boardId))!, 'owner')
  }

  /** A copy of the content (document and its attribution), owned by the caller. */
  async duplicate(principal: ResolvedPrincipal, boardId: string): Promise<Board> {
    const access = await this.boards.access(principal, boardId, 'board.duplicate')
    const user = this.d.policy.asUser(principal, 'board.duplicate')
    const state = await this.documents.currentState(boardId)
    const id = nanoid()
    const title = `Copy of ${permanentTitle(access.board.title)}`.slice(0, 200)
    await this.d.db.transaction(async (tx) => {
      await tx.insert(boards).values({ id, title, ownerId: user.id })
      if (state) {
        await tx.insert(docSnapshots).values({ boardId: id, data: state, lastSeq: 0 })
        // The copy's history starts with what it was copied from.
        await tx.insert(docHistoryBase).values({ boardId: id, data: state, lastSeq: 0 })
      }
      await tx.execute(sql`
        INSERT INTO ${clientIds} (board_id, client_id, principal_kind, principal_id)
        SELECT ${id}, client_id, principal_kind, principal_id FROM ${clientIds} WHERE board_id = ${boardId}`)
      // The images its elements refer to come along.
      await tx.execute(sql`
        INSERT INTO ${boardFiles} (board_id, id, mime_type, size, data, created_by_kind, created_by_id, created_at)
        SELECT ${id}, id, mime_type, size, data, created_by_kind, created_by_id, created_at FROM ${boardFiles} WHERE board_id = ${boardId}`)
      await recordActivity(tx, id, ActivityType.created, actorOf(principal), { duplicatedFrom: boardId })
      await recordActivity(tx, boardId, ActivityType.duplicated, actorOf(principal), { copy: id })
    })
    return presentBoard((await loadBoard(this.d.db, id))!, 'owner')
  }

  /** Newest first; `cursor` is the last id of the previous page. */
  async activity(
    principal: ResolvedPrincipal,
    boardId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<{ activity: ActivityEntry[]; nextCursor: string | null }> {
    await this.boards.access(principal, boardId, 'board.activity')
    const before = cursor && /^\d+$/.test(cursor) ? Number(cursor) : undefined
    const rows = await this.d.db
      .select()
      .from(activity)
      .where(before === undefined ? eq(activity.boardId, boardId) : and(eq(activity.boardId, boardId), lt(activity.id, before)))
      .orderBy(desc(activity.id))
      .limit(limit + 1)
    const page = rows.slice(0, limit)
    return {
      activity: page.map((r) => ({
        id: String(r.id),
        type: r.type,
        actor: r.actorKind && r.actorId ? { kind: r.actorKind, id: r.actorId, name: r.actorName ?? '' } : null,
        data: r.data,
        createdAt: r.createdAt.toISOString(),
      })),
      nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
    }
  }

  /** The registered user a creating guest was carried into, if any: it "owns" the ownerless board. */
  static async creatorAccount(d: Deps, boardId: string): Promise<string | null> {
    const [row] = await d.db
      .select({ userId: guests.linkedUserId })
      .from(guests)
      .where(and(eq(guests.boardId, boardId), eq(guests.isCreator, true)))
    return row?.userId ?? null
  }
}
