// The role × action capability matrix: who may do what, with the guest rule
// and what lock and archive change. The rulebook (rules.ts) answers every
// "may P do A here?" from it; the server's policy, the update guard and the
// web app ask the rulebook, so the toolbar never offers what the server
// would refuse.

export const ROLES = ['owner', 'editor', 'reviewer', 'reader'] as const
export type Role = (typeof ROLES)[number]
/** Roles an invite link or a participant change may grant (never `owner`). */
export const GRANTABLE_ROLES = ['editor', 'reviewer', 'reader'] as const
export type GrantableRole = (typeof GRANTABLE_ROLES)[number]

const RANK: Record<Role, number> = { owner: 4, editor: 3, reviewer: 2, reader: 1 }

export function roleRank(role: Role): number {
  return RANK[role]
}

export function strongerRole<R extends Role>(a: R, b: R): R {
  return RANK[a] >= RANK[b] ? a : b
}

export function weakerRole<R extends Role>(a: R, b: R): R {
  return RANK[a] <= RANK[b] ? a : b
}

export type Tier = 'free' | 'pro'

/** The strongest role a guest may hold on a board of this tier. */
export function guestRoleCap(tier: Tier): GrantableRole {
  return tier === 'pro' ? 'editor' : 'reviewer'
}

/** The role a guest actually gets from a link granting `role` on a `tier` board. */
export function guestRoleFor(role: GrantableRole, tier: Tier): GrantableRole {
  return weakerRole(role, guestRoleCap(tier))
}

export const ACTIONS = [
  'board.view',
  'board.rename',
  'board.setAccess',
  'board.lock',
  'board.archive',
  'board.delete',
  'board.duplicate',
  'board.claim',
  'board.export',
  'board.activity',
  'invite.manage',
  'participant.view',
  'participant.manage',
  'participant.leave',
  'comment.view',
  'comment.write',
  'comment.mention',
  'comment.moderate',
  'content.write',
  'markup.write',
  'markup.writeAny',
  'file.upload',
  'history.view',
  'history.save',
  'history.restore',
  'session.endGuests',
  'session.facilitate',
  'vote.cast',
] as const
export type Action = (typeof ACTIONS)[number]

/**
 * How guests fare for an action, on top of their role:
 * `role`: as their role allows; `never`: refused with `guest_forbidden`;
 * `creator`: only the guest who created the (still ownerless) board.
 */
export type GuestRule = 'role' | 'never' | 'creator'

interface Capability {
  /** The weakest role that may do it. */
  minRole: Role
  guests: GuestRule
  /** While the board is locked: `owner`, only the owner may (refused `board_locked`). */
  whenLocked?: 'owner'
  /** While the board is archived: `nobody` may (refused `board_archived`). */
  whenArchived?: 'nobody'
}

/** Content: lock leaves it to the owner, archive to nobody. */
const CONTENT = { whenLocked: 'owner', whenArchived: 'nobody' } as const

export const CAPABILITIES: Record<Action, Capability> = {
  'board.view': { minRole: 'reader', guests: 'role' },
  // Settings, the title included, stay changeable on a locked or archived
  // board (docs/API.md: "Settings themselves stay changeable").
  'board.rename': { minRole: 'editor', guests: 'never' },
  'board.setAccess': { minRole: 'owner', guests: 'never' },
  'board.lock': { minRole: 'owner', guests: 'never' },
  'board.archive': { minRole: 'owner', guests: 'never' },
  'board.delete': { minRole: 'owner', guests: 'never' },
  'board.duplicate': { minRole: 'editor', guests: 'never' },
  'board.claim': { minRole: 'reader', guests: 'never' },
  'board.export': { minRole: 'editor', guests: 'never' },
  'board.activity': { minRole: 'editor', guests: 'never' },
  'invite.manage': { minRole: 'editor', guests: 'creator' },
  'participant.view': { minRole: 'reader', guests: 'role' },
  'participant.manage': { minRole: 'editor', guests: 'never' },
  'participant.leave': { minRole: 'reader', guests: 'never' },
  'comment.view': { minRole: 'reader', guests: 'role' },
  // Comments stay open on a locked board, not on an archived one.
  'comment.write': { minRole: 'reviewer', guests: 'role', whenArchived: 'nobody' },
  'comment.mention': { minRole: 'reviewer', guests: 'never' },
  'comment.moderate': { minRole: 'owner', guests: 'never' },
  'content.write': { minRole: 'editor', guests: 'role', ...CONTENT },
  'markup.write': { minRole: 'reviewer', guests: 'role', ...CONTENT },
  'markup.writeAny': { minRole: 'editor', guests: 'role', ...CONTENT },
  // Images and other files elements refer to: registered editors only.
  'file.upload': { minRole: 'editor', guests: 'never', ...CONTENT },
  // History: versions, previews, who changed what. Guest editors see it too.
  'history.view': { minRole: 'editor', guests: 'role' },
  'history.save': { minRole: 'editor', guests: 'role', whenArchived: 'nobody' },
  // Restore and "revert a person" rewrite the board: the owner, and editors
  // when the owner allows it (rules.ts); never a guest.
  'history.restore': { minRole: 'editor', guests: 'never', ...CONTENT },
  // "End guest session": every guest out and every link revoked at once.
  'session.endGuests': { minRole: 'editor', guests: 'never' },
  // Running the session: the shared timer, "bring everyone to me".
  'session.facilitate': { minRole: 'editor', guests: 'role' },
  // Dot votes and private notes: everyone who may mark up the board.
  'vote.cast': { minRole: 'reviewer', guests: 'role', whenArchived: 'nobody' },
}

export interface Subject {
  role: Role
  guest: boolean
  /** The guest that created this board while it is still ownerless. */
  creatorGuest: boolean
}

export type CapabilityAnswer = 'allow' | 'role_too_weak' | 'guest_forbidden'

/** Pure matrix lookup: no board state (lock, archive) involved; see rules.ts for the whole answer. */
export function capability(subject: Subject, action: Action): CapabilityAnswer {
  const cap = CAPABILITIES[action]
  if (subject.guest) {
    switch (cap.guests) {
      case 'never':
        return 'guest_forbidden'
      case 'creator':
        return subject.creatorGuest ? 'allow' : 'guest_forbidden'
      case 'role':
        break
      default: {
        const unreachable: never = cap.guests
        throw new Error(`unknown guest rule ${String(unreachable)}`)
      }
    }
  }
  return RANK[subject.role] >= RANK[cap.minRole] ? 'allow' : 'role_too_weak'
}

export function can(subject: Subject, action: Action): boolean {
  return capability(subject, action) === 'allow'
}
