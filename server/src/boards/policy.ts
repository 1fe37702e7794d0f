// The one policy module: "may principal P do action A on board B?". It loads
// what the rules need (the board, its tier, the principal's role) from the
// database and asks the rulebook (shared/rules.ts); routes, the collaboration
// hub and socket.io all ask it, and none re-implements a rule.
import { and, eq, sql } from 'drizzle-orm'
import type { Action, GrantableRole, Role, Subject, Tier } from '../../../shared/capabilities.js'
import type { AccessMode } from '../../../shared/types.js'
import * as rules from '../../../shared/rules.js'
import type { ResolvedPrincipal, UserRow } from '../auth/principals.js'
import { limitRole } from '../auth/api-keys.js'
import { AppError, forbidden, notFound } from '../errors.js'
import type { DbOrTx } from '../store/db.js'
import { preparedOn, UNNAMED } from '../store/prepared.js'
import { boards, memberships, users } from '../store/schema.js'

export type BoardRow = typeof boards.$inferSelect
export interface BoardWithTier {
  board: BoardRow
  tier: Tier
}

/** A principal's standing on one board. `role` is null for strangers. */
export interface BoardAccess extends BoardWithTier {
  principal: ResolvedPrincipal
  role: Role | null
  subject: Subject | null
}

export interface PolicyOptions {
  /** The global guest switch (GUESTS_ENABLED / admin command). */
  guestsEnabled: () => boolean
}

/**
 * The board and its owner's plan; with `userId`, also that user's membership
 * role, read in the same statement and so from one snapshot.
 */
async function selectBoard(db: DbOrTx, boardId: string, userId: string | null) {
  // Two statements, not one with a null user: joining memberships on
  // user_id = NULL made a board visit on PGlite cost 5.6-5.9 ms of the
  // server's CPU instead of 4.1 (`npm run bench visits`).
  if (userId === null) {
    const [row] = await preparedOn(db, 'drawbridge_board', (d) =>
      d
        .select({ board: boards, ownerPlan: users.plan })
        .from(boards)
        .leftJoin(users, eq(users.id, boards.ownerId))
        .where(eq(boards.id, sql.placeholder('boardId')))
        .limit(1)
        .prepare(UNNAMED),
    ).execute({ boardId })
    return row && { ...row, memberRole: null }
  }
  const [row] = await preparedOn(db, 'drawbridge_board_member', (d) =>
    d
      .select({ board: boards, ownerPlan: users.plan, memberRole: memberships.role })
      .from(boards)
      .leftJoin(users, eq(users.id, boards.ownerId))
      .leftJoin(memberships, and(eq(memberships.boardId, boards.id), eq(memberships.userId, sql.placeholder('userId'))))
      .where(eq(boards.id, sql.placeholder('boardId')))
      .limit(1)
      .prepare(UNNAMED),
  ).execute({ boardId, userId })
  return row
}

export const withTier = (row: { board: BoardRow; ownerPlan: string | null }): BoardWithTier => ({
  board: row.board,
  tier: row.ownerPlan === 'pro' ? 'pro' : 'free',
})

export async function loadBoard(db: DbOrTx, boardId: string): Promise<BoardWithTier | undefined> {
  const row = await selectBoard(db, boardId, null)
  return row && withTier(row)
}

/** A guest's effective role (the rulebook's `guestRole`; kept under this name for its callers). */
export const effectiveGuestRole: (granted: GrantableRole, isCreator: boolean, tier: Tier) => GrantableRole = rules.guestRole

function guestAccess(loaded: BoardWithTier, principal: Extract<ResolvedPrincipal, { kind: 'guest' }>): BoardAccess {
  const { board, tier } = loaded
  const g = principal.guest
  if (g.boardId !== board.id) return { ...loaded, principal, role: null, subject: null }
  const role = rules.guestRole(g.role, g.isCreator, tier)
  const creatorGuest = rules.isCreatorGuest(g.isCreator, board.ownerId === null)
  return { ...loaded, principal, role, subject: { role, guest: true, creatorGuest } }
}

/** Every user's role passes here: an API key's limits (read only, some boards) cap it once, for HTTP, /collab and socket.io alike. */
function userAccess(loaded: BoardWithTier, principal: ResolvedPrincipal, granted: Role | null): BoardAccess {
  const role = limitRole(principal, loaded.board.id, granted)
  return { ...loaded, principal, role, subject: role ? { role, guest: false, creatorGuest: false } : null }
}

const appError = (refusal: rules.Refusal | null): AppError | null => refusal && forbidden(refusal.message, refusal.code)

function throwIf(refusal: rules.Refusal | null): void {
  if (refusal) throw forbidden(refusal.message, refusal.code)
}

export class Policy {
  constructor(private readonly options: PolicyOptions) {}

  get guestsEnabled(): boolean {
    return this.options.guestsEnabled()
  }

  /**
   * Access on a board read together with the principal and its membership
   * (boards/connect-lookup.ts): the same answer as accessTo, without another
   * query. Not for API keys (their limits come from another row).
   */
  async accessFrom(loaded: BoardWithTier, principal: ResolvedPrincipal, memberRole: Role | null): Promise<BoardAccess> {
    if (principal.kind === 'guest') return guestAccess(loaded, principal)
    return userAccess(loaded, principal, loaded.board.ownerId === principal.user.id ? 'owner' : memberRole)
  }

  /** Loads the board and the principal's role on it. 404 if the board is missing. */
  async access(db: DbOrTx, principal: ResolvedPrincipal, boardId: string): Promise<BoardAccess> {
    // A user's membership comes with the board, from one snapshot: a board
    // deleted meanwhile (the sweeper, another instance) is a 404, not a
    // "no access" 403 from a membership that went with it.
    const row = await selectBoard(db, boardId, principal.kind === 'user' ? principal.user.id : null)
    if (!row) throw notFound('Board')
    const loaded = withTier(row)
    if (principal.kind === 'guest') return this.accessTo(db, principal, loaded)
    return userAccess(loaded, principal, row.board.ownerId === principal.user.id ? 'owner' : row.memberRole)
  }

  /** Access on a board already loaded (the hub and socket.io keep it per room). */
  async accessTo(db: DbOrTx, principal: ResolvedPrincipal, loaded: BoardWithTier): Promise<BoardAccess> {
    const { board } = loaded
    if (principal.kind === 'guest') return guestAccess(loaded, principal)
    if (board.ownerId === principal.user.id) return userAccess(loaded, principal, 'owner')
    const [m] = await preparedOn(db, 'drawbridge_membership', (d) =>
      d
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.boardId, sql.placeholder('boardId')), eq(memberships.userId, sql.placeholder('userId'))))
        .limit(1)
        .prepare(UNNAMED),
    ).execute({ boardId: board.id, userId: principal.user.id })
    return userAccess(loaded, principal, m?.role ?? null)
  }

  /** The rulebook's view of who asks. */
  private who(access: BoardAccess): rules.Who {
    const { principal, subject } = access
    const guest = principal.kind === 'guest'
    return {
      role: access.role,
      guest,
      creatorGuest: subject?.creatorGuest ?? false,
      otherBoard: guest && principal.guest.boardId !== access.board.id,
      lobby: guest && principal.guest.admission !== 'admitted' ? principal.guest.admission : undefined,
    }
  }

  /** The rulebook's view of the board and the server. */
  private here(access: BoardAccess): rules.Here {
    const { board } = access
    return {
      locked: board.locked,
      archived: board.archived,
      editorsMayRestore: board.editorsMayRestore,
      guestComments: board.guestComments,
      accessMode: board.accessMode,
      guestsEnabled: this.guestsEnabled,
    }
  }

  /** Why this principal cannot be on the board at all, or null if it can. */
  entryRefusal(access: BoardAccess): AppError | null {
    return appError(rules.entryRefusal(this.who(access), this.here(access)))
  }

  /** The reason `action` is refused, or null when it is allowed. Includes lock and archive. */
  refusal(access: BoardAccess, action: Action): AppError | null {
    return appError(rules.refusal(this.who(access), action, this.here(access)))
  }

  can(access: BoardAccess, action: Action): boolean {
    return this.refusal(access, action) === null
  }

  /** Throws the contract error when `action` is refused. */
  authorize(access: BoardAccess, action: Action): void {
    throwIf(rules.refusal(this.who(access), action, this.here(access)))
  }

  /** Downloading the board (see rules.exportRefusal). */
  authorizeExport(access: BoardAccess): void {
    throwIf(rules.exportRefusal(this.who(access), this.here(access), access.board.ownerId === null))
  }

  /** Guests on this board (or, without one, on a new board): the global switch and the access mode. */
  guestEntryRefusal(board?: { accessMode: AccessMode }): AppError | null {
    return appError(rules.guestEntryRefusal({ guestsEnabled: this.guestsEnabled, accessMode: board?.accessMode }))
  }

  /**
   * For actions guests never may do: the user behind `principal`, or, for a
   * guest, the rulebook's refusal (whatever board its token is for, so it can
   * be asked before the board is loaded).
   */
  asUser(principal: ResolvedPrincipal, action: Action): UserRow {
    if (principal.kind === 'user') return principal.user
    throw appError(rules.guestNeverRefusal(true, action, { guestsEnabled: this.guestsEnabled })) ?? new Error(`${action} is open to guests`)
  }

  /** Changing board settings in one request. */
  authorizeSettings(access: BoardAccess, changing: readonly rules.Setting[]): void {
    throwIf(rules.settingsRefusal(this.who(access), changing, this.here(access)))
  }

  /** Handing out `role` (an invite link): never more than the granter has. */
  authorizeGrant(access: BoardAccess, role: GrantableRole): void {
    throwIf(access.role && rules.grantRefusal(access.role, role))
  }

  /** Changing or removing a participant; `targetRole` is `owner` when the target owns the board. */
  authorizeTarget(change: 'role' | 'remove' | 'kick' | 'ban', targetRole: Role | null): void {
    throwIf(rules.participantTargetRefusal(change, targetRole))
  }

  /** Editing or deleting a comment. */
  mayModerateComment(access: BoardAccess, isAuthor: boolean): boolean {
    return rules.mayModerateComment(access.subject, isAuthor)
  }
}
