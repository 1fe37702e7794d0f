// The lobby: on a board with `lobby` on, a guest who joins through a link
// waits until an owner or editor lets it in. A waiting guest reaches nothing
// of the board (the rulebook refuses it everywhere: HTTP, /collab,
// socket.io) and holds no document resources; it may knock (with a short
// message, rate-limited) and hears the answer on its own socket.io socket.
import { and, eq, isNull } from 'drizzle-orm'
import { ErrorCode } from '../../../shared/constants.js'
import type { LobbyGuest, LobbyStatus } from '../../../shared/session.js'
import { textProblem } from '../../../shared/text.js'
import type { ResolvedPrincipal } from '../auth/principals.js'
import { ActivityType, recordActivity } from '../boards/activity.js'
import type { BoardService } from '../boards/board-service.js'
import { actorOf, type Deps } from '../boards/deps.js'
import { boardHosts } from '../boards/participant-service.js'
import { loadBoard } from '../boards/policy.js'
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors.js'
import { guests } from '../store/schema.js'

/** One knock per guest this often. */
export const KNOCK_INTERVAL_MS = 20_000
export const KNOCK_MESSAGE_MAX = 200

export class LobbyService {
  constructor(
    private readonly d: Deps,
    private readonly boards: BoardService,
  ) {}

  /** Owners and member editors online on the board now (on every instance). */
  async hostsOnline(boardId: string): Promise<number> {
    const loaded = await loadBoard(this.d.db, boardId)
    if (!loaded) return 0
    const online = await this.d.presence.onlinePrincipals(boardId)
    return [...(await boardHosts(this.d.db, loaded))].filter((key) => online.has(key)).length
  }

  /** Who waits (hosts only). */
  async waiting(principal: ResolvedPrincipal, boardId: string): Promise<LobbyGuest[]> {
    await this.boards.access(principal, boardId, 'participant.manage')
    const rows = await this.d.db
      .select()
      .from(guests)
      .where(and(eq(guests.boardId, boardId), eq(guests.admission, 'waiting'), isNull(guests.removedAt)))
      .orderBy(guests.createdAt)
    return rows.map((g) => ({ id: g.id, name: g.name, message: g.knockMessage, knockedAt: (g.knockedAt ?? g.createdAt).toISOString() }))
  }

  /** The waiting guest's own view: still waiting, let in, or not; and whether anyone who can let it in is here. */
  async status(principal: ResolvedPrincipal, boardId: string): Promise<LobbyStatus> {
    const g = this.ownGuest(principal, boardId)
    return { status: g.admission, hostsOnline: g.admission === 'waiting' ? await this.hostsOnline(boardId) : 0 }
  }

  async knock(principal: ResolvedPrincipal, boardId: string, rawMessage: string | undefined): Promise<LobbyStatus> {
    const g = this.ownGuest(principal, boardId)
    if (g.admission !== 'waiting') throw conflict(g.admission === 'admitted' ? 'You are already on this board' : 'The host did not let you in')
    const message = rawMessage?.trim() ? rawMessage.trim() : null
    if (message !== null) {
      if (message.length > KNOCK_MESSAGE_MAX) throw badRequest(`message: at most ${KNOCK_MESSAGE_MAX} characters`)
      const problem = textProblem(message, { multiline: false })
      if (problem) throw badRequest(`message ${problem}`)
    }
    const wait = g.knockedAt ? g.knockedAt.getTime() + KNOCK_INTERVAL_MS - Date.now() : 0
    if (wait > 0) throw new AppError(429, ErrorCode.rateLimited, `You can knock again in ${Math.ceil(wait / 1000)} s`)
    const [row] = await this.d.db
      .update(guests)
      .set({ knockedAt: new Date(), knockMessage: message })
      .where(and(eq(guests.id, g.id), eq(guests.admission, 'waiting'), isNull(guests.removedAt)))
      .returning()
    if (!row) throw notFound('Guest')
    await recordActivity(this.d.db, boardId, ActivityType.knocked, actorOf(principal), { message })
    this.announce(row)
    return { status: 'waiting', hostsOnline: await this.hostsOnline(boardId) }
  }

  /** Tells the hosts online that a guest waits (after a join into the lobby, or a knock). */
  announce(g: typeof guests.$inferSelect): void {
    this.d.changes.record({
      type: 'lobby.knock',
      boardId: g.boardId,
      guest: { id: g.id, name: g.name, message: g.knockMessage, knockedAt: (g.knockedAt ?? g.createdAt).toISOString() },
    })
  }

  async answer(principal: ResolvedPrincipal, boardId: string, guestId: string, admit: boolean): Promise<void> {
    await this.boards.access(principal, boardId, 'participant.manage')
    const answered = await this.d.db.transaction(async (tx) => {
      const [g] = await tx
        .update(guests)
        .set({ admission: admit ? 'admitted' : 'denied' })
        .where(and(eq(guests.id, guestId), eq(guests.boardId, boardId), eq(guests.admission, 'waiting'), isNull(guests.removedAt)))
        .returning()
      if (!g) return null
      await recordActivity(tx, boardId, admit ? ActivityType.admitted : ActivityType.denied, actorOf(principal), { target: { kind: 'guest', id: g.id, name: g.name } })
      return g
    })
    if (!answered) throw notFound('Waiting guest')
    this.d.changes.record({ type: 'lobby.answered', boardId, guestId, admitted: admit })
    if (admit) this.d.changes.record({ type: 'participant.joined', boardId, who: { kind: 'guest', id: guestId } })
  }

  private ownGuest(principal: ResolvedPrincipal, boardId: string) {
    if (principal.kind !== 'guest') throw badRequest('Only a guest waits in the lobby')
    if (principal.guest.boardId !== boardId) throw forbidden('This guest token belongs to another board')
    return principal.guest
  }
}
