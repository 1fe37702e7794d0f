// The one policy module: "may principal P do action A on board B?". Routes,
// the collaboration hub and socket.io all ask it; none re-implements a rule.
import { and, eq, sql } from 'drizzle-orm'
import {
  capability,
  type Action,
  type GrantableRole,
  type Role,
  type Subject,
  type Tier,
  weakerRole,
  guestRoleCap,
} from '../../../shared/capabilities.js'
import { ErrorCode } from '../../../shared/constants.js'
import type { ResolvedPrincipal } from '../auth/principals.js'
import { AppError, forbidden, guestForbidden, notFound } from '../errors.js'
import type { DbOrTx } from '../store/db.js'
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
  const [row] = await db
    .select({ board: boards, ownerPlan: users.plan, memberRole: memberships.role })
    .from(boards)
    .leftJoin(users, eq(users.id, boards.ownerId))
    .leftJoin(memberships, userId === null ? sql`false` : and(eq(memberships.boardId, boards.id), eq(memberships.userId, userId)))
    .where(eq(boards.id, boardId))
    .limit(1)
  return row
}

const withTier = (row: { board: BoardRow; ownerPlan: string | null }): BoardWithTier => ({
  board: row.board,
  tier: row.ownerPlan === 'pro' ? 'pro' : 'free',
})

export async function loadBoard(db: DbOrTx, boardId: string): Promise<BoardWithTier | undefined> {
  const row = await selectBoard(db, boardId, null)
  return row && withTier(row)
}

/**
 * A guest's effective role: what it was granted, capped by the board's tier,
 * so a pro owner's downgrade also downgrades guest editors. The guest that
 * created an ownerless board keeps `editor`: the board is its work.
 */
export function effectiveGuestRole(granted: GrantableRole, isCreator: boolean, tier: Tier): GrantableRole {
  return isCreator ? granted : weakerRole(granted, guestRoleCap(tier))
}

function userAccess(loaded: BoardWithTier, principal: ResolvedPrincipal, role: Role | null): BoardAccess {
  return { ...loaded, principal, role, subject: role ? { role, guest: false, creatorGuest: false } : null }
}

export class Policy {
  constructor(private readonly options: PolicyOptions) {}

  get guestsEnabled(): boolean {
    return this.options.guestsEnabled()
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
    const { board, tier } = loaded
    if (principal.kind === 'guest') {
      const g = principal.guest
      if (g.boardId !== board.id) return { ...loaded, principal, role: null, subject: null }
      const role = effectiveGuestRole(g.role, g.isCreator, tier)
      const creatorGuest = g.isCreator && board.ownerId === null
      return { ...loaded, principal, role, subject: { role, guest: true, creatorGuest } }
    }
    if (board.ownerId === principal.user.id) return userAccess(loaded, principal, 'owner')
    const [m] = await db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.boardId, board.id), eq(memberships.userId, principal.user.id)))
      .limit(1)
    return userAccess(loaded, principal, m?.role ?? null)
  }

  /** Why this principal cannot be on the board at all, or null if it can. */
  entryRefusal(access: BoardAccess): AppError | null {
    if (access.principal.kind === 'guest') {
      if (access.principal.guest.boardId !== access.board.id) {
        return forbidden('This guest token belongs to another board')
      }
      if (!this.guestsEnabled) return forbidden('Guests are turned off on this server', ErrorCode.guestsNotAllowed)
      if (access.board.accessMode === 'specific_users') {
        return forbidden('This board is open to specific users only', ErrorCode.guestsNotAllowed)
      }
    }
    if (access.subject === null) return forbidden('You do not have access to this board')
    return null
  }

  /** The reason `action` is refused, or null when it is allowed. Includes lock and archive. */
  refusal(access: BoardAccess, action: Action): AppError | null {
    const entry = this.entryRefusal(access)
    if (entry) return entry
    const subject = access.subject!
    switch (capability(subject, action)) {
      case 'allow':
        break
      case 'guest_forbidden':
        return guestForbidden()
      case 'role_too_weak':
        return forbidden(`Your role (${subject.role}) may not do that`)
      default:
        throw new Error('unreachable')
    }
    return this.stateRefusal(access, action)
  }

  /** Board-state rules: archive makes everything read-only, lock leaves content to the owner. */
  private stateRefusal(access: BoardAccess, action: Action): AppError | null {
    const { board } = access
    const contentWrite = action === 'content.write' || action === 'markup.write' || action === 'markup.writeAny'
    if (board.archived && (contentWrite || action === 'comment.write')) {
      return forbidden('This board is archived and read-only', 'board_archived')
    }
    if (board.locked && contentWrite && access.role !== 'owner') {
      return forbidden('This board is locked; only its owner can change it', 'board_locked')
    }
    return null
  }

  can(access: BoardAccess, action: Action): boolean {
    return this.refusal(access, action) === null
  }

  /** Throws the contract error when `action` is refused. */
  authorize(access: BoardAccess, action: Action): void {
    const refusal = this.refusal(access, action)
    if (refusal) throw refusal
  }
}
