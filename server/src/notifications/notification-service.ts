// Notifications for members (never guests): stored, listed, marked read, and
// delivered live on the member's own sockets.
import { and, desc, eq, inArray, isNull, lt, or } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import type { Notification, NotificationType } from '../../../shared/events.js'
import type { UserRow } from '../auth/principals.js'
import { LifecycleService, type Notifier } from '../boards/lifecycle-service.js'
import type { Deps } from '../boards/deps.js'
import { boards, notifications } from '../store/schema.js'

type Row = typeof notifications.$inferSelect

function present(r: Row): Notification {
  return {
    id: r.id,
    type: r.type as NotificationType,
    boardId: r.boardId,
    data: r.data,
    read: r.readAt !== null,
    createdAt: r.createdAt.toISOString(),
  }
}

export class NotificationService implements Notifier {
  constructor(
    private readonly d: Deps,
  ) {}

  async notify(userIds: Iterable<string>, type: NotificationType, boardId: string | null, data: Record<string, unknown>): Promise<void> {
    const ids = [...new Set(userIds)]
    if (ids.length === 0) return
    const rows = await this.d.db
      .insert(notifications)
      .values(ids.map((userId) => ({ id: nanoid(), userId, type, boardId, data })))
      .returning()
    for (const r of rows) this.d.changes.record({ type: 'notification', userId: r.userId, notification: present(r) })
  }

  /** Who "owns" a board for notifications: its owner, or the account its creating guest became. */
  async boardOwners(boardId: string): Promise<{ ids: string[]; title: string | null }> {
    const [b] = await this.d.db.select({ ownerId: boards.ownerId, title: boards.title }).from(boards).where(eq(boards.id, boardId))
    if (!b) return { ids: [], title: null }
    const ids = new Set<string>()
    if (b.ownerId) ids.add(b.ownerId)
    const creator = await LifecycleService.creatorAccount(this.d, boardId)
    if (creator) ids.add(creator)
    return { ids: [...ids], title: b.title }
  }

  async boardEvent(type: 'board.claimed' | 'board.expiring' | 'board.deleted', boardId: string, data: Record<string, unknown>): Promise<void> {
    const { ids, title } = await this.boardOwners(boardId)
    const by = (data.by as { id?: string } | undefined)?.id
    // Nobody is told about what they did themselves.
    await this.notify(
      ids.filter((id) => id !== by),
      type,
      boardId,
      { ...data, boardTitle: title },
    )
  }

  async list(user: UserRow, limit: number, cursor: string | undefined): Promise<{ notifications: Notification[]; nextCursor: string | null }> {
    let after: Row | undefined
    if (cursor) [after] = await this.d.db.select().from(notifications).where(and(eq(notifications.id, cursor), eq(notifications.userId, user.id)))
    const rows = await this.d.db
      .select()
      .from(notifications)
      .where(
        after
          ? and(
              eq(notifications.userId, user.id),
              or(lt(notifications.createdAt, after.createdAt), and(eq(notifications.createdAt, after.createdAt), lt(notifications.id, after.id))),
            )
          : eq(notifications.userId, user.id),
      )
      .orderBy(desc(notifications.createdAt), desc(notifications.id))
      .limit(limit + 1)
    const page = rows.slice(0, limit)
    return { notifications: page.map(present), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null }
  }

  async markRead(user: UserRow, which: { ids?: string[]; all?: boolean }): Promise<number> {
    const mine = and(eq(notifications.userId, user.id), isNull(notifications.readAt))
    const where = which.all ? mine : and(mine, inArray(notifications.id, which.ids?.length ? which.ids : ['']))
    const rows = await this.d.db.update(notifications).set({ readAt: new Date() }).where(where).returning({ id: notifications.id })
    return rows.length
  }
}
