// A guest on a temporary board may leave an address to be reminded an hour
// before the board is deleted. The address is kept only until then: the
// reminder claims (deletes) its row as it is sent, claiming the board forgets
// it (boards/lifecycle-service.ts), and deleting the board cascades.
import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm'
import type { Db } from '../store/db.js'
import { boards, claimReminders } from '../store/schema.js'
import { claimReminderMail } from './mail-templates.js'
import type { MailSender } from './mailer.js'

/** Minutes before deletion at which the reminder goes out (at once when less is left). */
export const REMIND_MINUTES = 60

export class ClaimReminders {
  constructor(
    private readonly db: Db,
    private readonly mail: MailSender,
    private readonly publicUrl: string,
  ) {}

  /** The address a guest left for its board, if any. */
  async get(guestId: string): Promise<string | null> {
    const [row] = await this.db.select({ email: claimReminders.email }).from(claimReminders).where(eq(claimReminders.guestId, guestId))
    return row?.email ?? null
  }

  /** One address per guest; a new one replaces the old. The caller checked that the board is the guest's and temporary. */
  async set(guestId: string, boardId: string, email: string): Promise<void> {
    await this.db
      .insert(claimReminders)
      .values({ guestId, boardId, email })
      .onConflictDoUpdate({ target: claimReminders.guestId, set: { email, createdAt: sql`now()` } })
  }

  async clear(guestId: string): Promise<void> {
    await this.db.delete(claimReminders).where(eq(claimReminders.guestId, guestId))
  }

  /**
   * Sends the reminders now due and forgets their addresses; answers how many.
   * Each row is taken by one DELETE … RETURNING, so with several sweepers a
   * reminder still goes out once.
   */
  async sendDue(): Promise<number> {
    const due = this.db
      .select({ id: boards.id })
      .from(boards)
      .where(and(isNull(boards.ownerId), isNotNull(boards.expiresAt), sql`${boards.expiresAt} > now()`, sql`${boards.expiresAt} <= now() + make_interval(mins => ${REMIND_MINUTES})`))
    const taken = await this.db.delete(claimReminders).where(inArray(claimReminders.boardId, due)).returning()
    // A board claimed by some other path keeps no address either.
    await this.db.delete(claimReminders).where(inArray(claimReminders.boardId, this.db.select({ id: boards.id }).from(boards).where(isNotNull(boards.ownerId))))
    if (taken.length === 0) return 0
    const rows = await this.db
      .select({ id: boards.id, title: boards.title, expiresAt: boards.expiresAt })
      .from(boards)
      .where(inArray(boards.id, [...new Set(taken.map((t) => t.boardId))]))
    const byId = new Map(rows.map((b) => [b.id, b]))
    for (const t of taken) {
      const board = byId.get(t.boardId)
      if (!board?.expiresAt) continue
      const signUp = `${this.publicUrl}/register?board=${encodeURIComponent(board.id)}`
      this.mail.compose('claim-reminder', async () => claimReminderMail(t.email, { title: board.title, expiresAt: board.expiresAt! }, signUp))
    }
    return taken.length
  }
}
