import { eq } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import type { Action } from '../../../shared/capabilities.js'
import { TEMPORARY_TITLE_SUFFIX } from '../../../shared/constants.js'
import { SETTING_NAMES } from '../../../shared/rules.js'
import { normalizeDisplayName, normalizeTitle } from '../../../shared/names.js'
import type { Board, BoardPatch, Guest } from '../../../shared/types.js'
import type { ResolvedPrincipal, UserRow } from '../auth/principals.js'
import { badRequest, unauthenticated } from '../errors.js'
import { boards, guests, memberships, users } from '../store/schema.js'
import { ActivityType, recordActivity } from './activity.js'
import { actorOf, type Deps } from './deps.js'
import { type BoardAccess, loadBoard } from './policy.js'
import { presentBoard, presentGuest } from './present.js'

export const TITLE_MAX = 200
const DEFAULT_TITLE = 'Untitled'

/** Titles: NFC, no control/bidi/invisible characters, whitespace collapsed (no badge rule). */
export function checkTitle(raw: unknown, field = 'title'): string {
  const checked = normalizeTitle(raw, TITLE_MAX)
  if (!checked.ok) throw badRequest(`${field} ${checked.reason}`)
  return checked.name
}

export function temporaryTitle(title: string): string {
  return title.endsWith(TEMPORARY_TITLE_SUFFIX) ? title : title + TEMPORARY_TITLE_SUFFIX
}

export function permanentTitle(title: string): string {
  return title.endsWith(TEMPORARY_TITLE_SUFFIX) ? title.slice(0, -TEMPORARY_TITLE_SUFFIX.length) || DEFAULT_TITLE : title
}


export class BoardService {
  constructor(
    private readonly d: Deps,
  ) {}

  /** Hourly caps on temporary boards (enforced by the route, in the shared rate-limit store). */
  get guestBoardLimits(): { perAddress: number; total: number } {
    return { perAddress: this.d.config.guestBoardsPerIpPerHour, total: this.d.config.guestBoardsPerHour }
  }

  async access(principal: ResolvedPrincipal, boardId: string, action: Action): Promise<BoardAccess> {
    const access = await this.d.policy.access(this.d.db, principal, boardId)
    this.d.policy.authorize(access, action)
    return access
  }

  async createForUser(user: UserRow, rawTitle: unknown): Promise<Board> {
    const title = rawTitle === undefined ? DEFAULT_TITLE : checkTitle(rawTitle)
    const id = nanoid()
    await this.d.db.transaction(async (tx) => {
      await tx.insert(boards).values({ id, title, ownerId: user.id })
      await recordActivity(tx, id, ActivityType.created, actorOf({ kind: 'user', user }))
    })
    return presentBoard((await loadBoard(this.d.db, id))!, 'owner')
  }

  /** A board made without an account: ownerless, temporary, its maker a guest editor. */
  async createForGuest(rawName: unknown, rawTitle: unknown): Promise<{ board: Board; guest: Guest; token: string }> {
    const guestsRefused = this.d.policy.guestEntryRefusal()
    if (guestsRefused) throw guestsRefused
    const name = normalizeDisplayName(rawName)
    if (!name.ok) throw badRequest(`guestName ${name.reason}`)
    const title = temporaryTitle(rawTitle === undefined ? DEFAULT_TITLE : checkTitle(rawTitle))
    const boardId = nanoid()
    const guestId = nanoid()
    const expiresAt = new Date(Date.now() + this.d.config.ownerlessTtlMs)
    const guest = await this.d.db.transaction(async (tx) => {
      await tx.insert(boards).values({ id: boardId, title, ownerId: null, expiresAt })
      const [row] = await tx
        .insert(guests)
        .values({ id: guestId, boardId, name: name.name, role: 'editor', isCreator: true })
        .returning()
      await recordActivity(tx, boardId, ActivityType.created, { kind: 'guest', id: guestId, name: name.name })
      return row!
    })
    const token = await this.d.tokens.issue({ kind: 'guest', id: guestId, boardId })
    return {
      board: presentBoard((await loadBoard(this.d.db, boardId))!, 'editor'),
      guest: presentGuest(guest, 'editor'),
      token,
    }
  }

  async listForUser(user: UserRow): Promise<Board[]> {
    const owned = await this.d.db
      .select({ board: boards })
      .from(boards)
      .where(eq(boards.ownerId, user.id))
    const member = await this.d.db
      .select({ board: boards, ownerPlan: users.plan, role: memberships.role })
      .from(memberships)
      .innerJoin(boards, eq(boards.id, memberships.boardId))
      .leftJoin(users, eq(users.id, boards.ownerId))
      .where(eq(memberships.userId, user.id))
    const list = [
      ...owned.map((r) => presentBoard({ board: r.board, tier: user.plan }, 'owner')),
      ...member
        .filter((r) => r.board.ownerId !== user.id)
        .map((r) => presentBoard({ board: r.board, tier: r.ownerPlan === 'pro' ? 'pro' : 'free' }, r.role)),
    ]
    return list.sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  }

  async get(principal: ResolvedPrincipal, boardId: string): Promise<Board> {
    const access = await this.access(principal, boardId, 'board.view')
    return presentBoard(access, access.role)
  }

  async patch(principal: ResolvedPrincipal, boardId: string, patch: BoardPatch): Promise<Board> {
    const access = await this.d.policy.access(this.d.db, principal, boardId)
    // Lock and archive limit content only; settings (the title too) stay changeable.
    this.d.policy.authorizeSettings(access, SETTING_NAMES.filter((name) => patch[name] !== undefined))
    const { board } = access
    const changes: Partial<typeof boards.$inferInsert> = {}
    const events: [ActivityType, Record<string, unknown>][] = []
    if (patch.title !== undefined) {
      const title = checkTitle(patch.title)
      changes.title = board.ownerId === null ? temporaryTitle(title) : title
      if (changes.title !== board.title) events.push([ActivityType.renamed, { from: board.title, to: changes.title }])
    }
    if (patch.accessMode !== undefined && patch.accessMode !== board.accessMode) {
      changes.accessMode = patch.accessMode
      events.push([ActivityType.accessChanged, { accessMode: patch.accessMode }])
    }
    if (patch.locked !== undefined && patch.locked !== board.locked) {
      changes.locked = patch.locked
      events.push([patch.locked ? ActivityType.locked : ActivityType.unlocked, {}])
    }
    if (patch.archived !== undefined && patch.archived !== board.archived) {
      changes.archived = patch.archived
      events.push([patch.archived ? ActivityType.archived : ActivityType.unarchived, {}])
    }
    if (patch.editorsMayRestore !== undefined && patch.editorsMayRestore !== board.editorsMayRestore) {
      changes.editorsMayRestore = patch.editorsMayRestore
      events.push([ActivityType.restoreRightsChanged, { editorsMayRestore: patch.editorsMayRestore }])
    }
    if (patch.capacity !== undefined && patch.capacity !== board.capacity) {
      changes.capacity = patch.capacity
      events.push([ActivityType.capacityChanged, { capacity: patch.capacity }])
    }
    if (patch.lobby !== undefined && patch.lobby !== board.lobby) {
      changes.lobby = patch.lobby
      events.push([ActivityType.lobbyChanged, { lobby: patch.lobby }])
    }
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
    if (patch.guestTools !== undefined && !same(patch.guestTools, board.guestTools)) {
      changes.guestTools = patch.guestTools === null ? null : [...new Set(patch.guestTools)]
      events.push([ActivityType.guestLimitsChanged, { guestTools: changes.guestTools }])
    }
    if (patch.guestComments !== undefined && patch.guestComments !== board.guestComments) {
      changes.guestComments = patch.guestComments
      events.push([ActivityType.guestLimitsChanged, { guestComments: patch.guestComments }])
    }
    if (patch.lockedFrames !== undefined && !same(patch.lockedFrames, board.lockedFrames)) {
      changes.lockedFrames = [...new Set(patch.lockedFrames)]
      events.push([ActivityType.guestLimitsChanged, { lockedFrames: changes.lockedFrames }])
    }
    if (Object.keys(changes).length > 0) {
      await this.d.db.transaction(async (tx) => {
        await tx.update(boards).set(changes).where(eq(boards.id, boardId))
        for (const [type, data] of events) await recordActivity(tx, boardId, type, actorOf(principal), data)
      })
      this.d.changes.record({ type: 'board.updated', boardId })
    }
    return presentBoard((await loadBoard(this.d.db, boardId))!, access.role)
  }

  async remove(principal: ResolvedPrincipal | null, boardId: string): Promise<void> {
    if (!principal) throw unauthenticated()
    const access = await this.access(principal, boardId, 'board.delete')
    await this.d.db.delete(boards).where(eq(boards.id, boardId))
    this.d.logger.info({ boardId }, 'board deleted by owner')
    this.d.changes.record({ type: 'board.deleted', boardId, reason: 'deleted', ownerId: access.board.ownerId })
  }
}
