// The rulebook: every "may P do A here?" as pure functions of who asks, the
// action and the board's state. The server's policy module (routes, socket.io,
// the hub's entry checks), the update guard's role step and the web app all
// ask here; nothing else compares roles. A new rule goes into the matrix in
// capabilities.ts (weakest role, guest rule, lock, archive) or, when it needs
// more than that, into a function here.
import {
  type Action,
  CAPABILITIES,
  can,
  capability,
  GRANTABLE_ROLES,
  type GrantableRole,
  guestRoleFor,
  type Role,
  roleRank,
  type Subject,
  type Tier,
} from './capabilities.js'
import { ErrorCode, GUEST_FORBIDDEN_SHAPE_TYPES, RefusalReason } from './constants.js'
import type { AccessMode } from './types.js'

/** The error codes a refusal carries (all HTTP 403). */
export type RuleCode =
  | typeof ErrorCode.forbidden
  | typeof ErrorCode.guestForbidden
  | typeof ErrorCode.guestsNotAllowed
  | typeof ErrorCode.waitingForHost
  | typeof ErrorCode.lobbyDenied
  | 'board_locked'
  | 'board_archived'

/** Why something is refused: the contract's error code and the message the routes send. */
export interface Refusal {
  code: RuleCode
  message: string
}

/** Who asks. `role` is null without standing on this board (a stranger, a guest of another board). */
export interface Who {
  role: Role | null
  guest: boolean
  /** The guest that created this board while it is still ownerless. */
  creatorGuest: boolean
  /** A guest whose token belongs to another board. */
  otherBoard?: boolean
  /** A guest still in the board's lobby, or turned away from it. */
  lobby?: 'waiting' | 'denied'
}

/** The board state that limits writing. */
export interface BoardFlags {
  locked: boolean
  archived: boolean
  /** The owner lets editors restore versions and revert people (default: only the owner may). */
  editorsMayRestore?: boolean
  /** Element types guests may create (null or absent: all but GUEST_FORBIDDEN_SHAPE_TYPES). */
  guestTools?: readonly string[] | null
  /** Guests may comment (default true). */
  guestComments?: boolean
  /** Frames whose contents only members (owner, editors) may change: guests may not touch them. */
  lockedFrames?: readonly string[]
}

/** Everything about the board and the server a rule may depend on. */
export interface Here extends BoardFlags {
  accessMode: AccessMode
  /** The global guest switch. */
  guestsEnabled: boolean
}

const refuse = (code: RuleCode, message: string): Refusal => ({ code, message })

/** Guest refusals that say more than "Guests may not do that". */
const SETTINGS_FOR_GUESTS = 'Guests may not change board settings'
const GUEST_MESSAGES: Partial<Record<Action, string>> = {
  'board.rename': SETTINGS_FOR_GUESTS,
  'board.setAccess': SETTINGS_FOR_GUESTS,
  'board.lock': SETTINGS_FOR_GUESTS,
  'board.archive': SETTINGS_FOR_GUESTS,
  'board.claim': 'Guests cannot claim boards; sign up first',
  'comment.mention': 'Guests cannot mention people',
  'history.restore': 'Guests cannot restore versions or revert changes',
}

export function subjectOf(who: Who): Subject | null {
  return who.role === null ? null : { role: who.role, guest: who.guest, creatorGuest: who.creatorGuest }
}

/**
 * Whether guests may be here at all: the global switch, then the board's
 * access mode (leave it out for a board not made yet).
 */
export function guestEntryRefusal(here: { guestsEnabled: boolean; accessMode?: AccessMode }): Refusal | null {
  if (!here.guestsEnabled) return refuse(ErrorCode.guestsNotAllowed, 'Guests are turned off on this server')
  if (here.accessMode === 'specific_users') return refuse(ErrorCode.guestsNotAllowed, 'This board is open to specific users only')
  return null
}

/** Why `who` cannot be on the board at all, or null if it can. */
export function entryRefusal(who: Who, here: Here): Refusal | null {
  if (who.guest) {
    // The switch first: with guests off no guest token is looked at further
    // (the principal resolver refuses it before any board is loaded).
    const switchedOff = guestEntryRefusal({ guestsEnabled: here.guestsEnabled })
    if (switchedOff) return switchedOff
    if (who.otherBoard) return refuse(ErrorCode.forbidden, 'This guest token belongs to another board')
    const refused = guestEntryRefusal(here)
    if (refused) return refused
    if (who.lobby === 'waiting') return refuse(ErrorCode.waitingForHost, 'Waiting for the host to let you in')
    if (who.lobby === 'denied') return refuse(ErrorCode.lobbyDenied, 'The host did not let you in')
  }
  if (who.role === null) return refuse(ErrorCode.forbidden, 'You do not have access to this board')
  return null
}

/** The matrix alone: role and guest rule. */
function capabilityRefusal(subject: Subject, action: Action): Refusal | null {
  switch (capability(subject, action)) {
    case 'allow':
      return null
    case 'guest_forbidden':
      return refuse(ErrorCode.guestForbidden, GUEST_MESSAGES[action] ?? 'Guests may not do that')
    case 'role_too_weak':
      return refuse(ErrorCode.forbidden, `Your role (${subject.role}) may not do that`)
    default:
      throw new Error('unreachable')
  }
}

/** Board state: archive closes what the matrix marks, lock leaves it to the owner. */
export function stateRefusal(role: Role | null, action: Action, board: BoardFlags): Refusal | null {
  const cap = CAPABILITIES[action]
  if (board.archived && cap.whenArchived === 'nobody') return refuse('board_archived', 'This board is archived and read-only')
  if (board.locked && cap.whenLocked === 'owner' && role !== 'owner') {
    return refuse('board_locked', 'This board is locked; only its owner can change it')
  }
  return null
}

/** Rules that depend on a board setting rather than the matrix alone. */
function settingRefusal(subject: Subject, action: Action, board: BoardFlags): Refusal | null {
  if (action === 'history.restore' && subject.role === 'editor' && !board.editorsMayRestore) {
    return refuse(ErrorCode.forbidden, 'Only the owner may restore this board (the owner can allow editors)')
  }
  if (action === 'comment.write' && subject.guest && board.guestComments === false) {
    return refuse(ErrorCode.guestForbidden, 'The host turned comments off for guests')
  }
  return null
}

/** For someone on the board: role and guest rule, the board's settings, then board state. Null when allowed. */
function onBoardRefusal(subject: Subject, action: Action, board: BoardFlags): Refusal | null {
  return capabilityRefusal(subject, action) ?? settingRefusal(subject, action, board) ?? stateRefusal(subject.role, action, board)
}

/** Whether `subject`, who is on the board, may do `action` in this board state (what the web app offers). */
export function mayDo(subject: Subject, action: Action, board: BoardFlags): boolean {
  return onBoardRefusal(subject, action, board) === null
}

/** The whole answer for `action`: entry, role and guest rule, then board state. Null when allowed. */
export function refusal(who: Who, action: Action, here: Here): Refusal | null {
  return entryRefusal(who, here) ?? onBoardRefusal(subjectOf(who)!, action, here)
}

/**
 * For checks made before the board is loaded: a guest, whatever board its
 * token is for, is refused when guests are off or never may do `action`.
 */
export function guestNeverRefusal(guest: boolean, action: Action, server: { guestsEnabled: boolean }): Refusal | null {
  if (!guest) return null
  const switchedOff = guestEntryRefusal({ guestsEnabled: server.guestsEnabled })
  if (switchedOff) return switchedOff
  if (CAPABILITIES[action].guests !== 'never') return null
  return refuse(ErrorCode.guestForbidden, GUEST_MESSAGES[action] ?? 'Guests may not do that')
}

/** Board settings and the action each needs, in the order they are checked. */
export const SETTINGS = {
  title: 'board.rename',
  accessMode: 'board.setAccess',
  locked: 'board.lock',
  archived: 'board.archive',
  editorsMayRestore: 'board.setAccess',
  capacity: 'board.setAccess',
  lobby: 'board.setAccess',
  guestTools: 'board.setAccess',
  guestComments: 'board.setAccess',
  lockedFrames: 'board.setAccess',
} as const satisfies Record<string, Action>
export type Setting = keyof typeof SETTINGS
export const SETTING_NAMES = Object.keys(SETTINGS) as Setting[]

/** Changing settings (one PATCH): entry, then never a guest, then each setting's action. */
export function settingsRefusal(who: Who, changing: readonly Setting[], here: Here): Refusal | null {
  const entry = entryRefusal(who, here)
  if (entry) return entry
  if (who.guest) return refuse(ErrorCode.guestForbidden, SETTINGS_FOR_GUESTS)
  for (const setting of SETTING_NAMES) {
    if (!changing.includes(setting)) continue
    const refused = refusal(who, SETTINGS[setting], here)
    if (refused) return refused
  }
  return null
}

/** What a live connection may write, as the update guard applies it. */
export type WriteRights =
  | {
      /** `anywhere`: shapes, meta and all markup; `own_markup`: only markup entries of its own client ids. */
      scope: 'anywhere' | 'own_markup'
      /** Shape types it may not create. */
      forbiddenShapeTypes: readonly string[]
      /** The only element types it may create (null: any not forbidden); the host's guest tools. */
      allowedTypes: readonly string[] | null
      /** Frames it may not change, nor anything in them. */
      lockedFrames: readonly string[]
    }
  | { scope: 'none'; reason: typeof RefusalReason.readOnly | typeof RefusalReason.locked | typeof RefusalReason.archived; detail: string }

/** The live write rights of `subject` on a board in this state (the guard's role step). */
export function writeRights(subject: Subject, board: BoardFlags): WriteRights {
  // The weakest write: if board state closes it, it closes every write.
  if (stateRefusal(subject.role, 'markup.write', board)?.code === 'board_archived') {
    return { scope: 'none', reason: RefusalReason.archived, detail: 'the board is archived' }
  }
  const anywhere = can(subject, 'content.write') && can(subject, 'markup.writeAny')
  if (!anywhere && !can(subject, 'markup.write')) {
    return { scope: 'none', reason: RefusalReason.readOnly, detail: 'readers cannot change the board' }
  }
  if (stateRefusal(subject.role, anywhere ? 'content.write' : 'markup.write', board)) {
    return { scope: 'none', reason: RefusalReason.locked, detail: 'the board is locked' }
  }
  return {
    scope: anywhere ? 'anywhere' : 'own_markup',
    forbiddenShapeTypes: subject.guest ? GUEST_FORBIDDEN_SHAPE_TYPES : [],
    allowedTypes: subject.guest ? (board.guestTools ?? null) : null,
    lockedFrames: subject.guest ? (board.lockedFrames ?? []) : [],
  }
}

/**
 * Downloading a board (JSON or Yjs export): whoever may export it, and on a
 * temporary (ownerless) board everyone on it, so a guest can keep its work
 * if nobody claims the board.
 */
export function exportRefusal(who: Who, here: Here, ownerless: boolean): Refusal | null {
  if (ownerless) return entryRefusal(who, here)
  return refusal(who, 'board.export', here)
}

/** Editing or deleting a comment: its author, or whoever may moderate. */
export function mayModerateComment(subject: Subject | null, isAuthor: boolean): boolean {
  return isAuthor || (subject !== null && can(subject, 'comment.moderate'))
}

/** The roles someone with `granter`'s role may hand out (links, role changes): never more than it has. */
export function grantableRoles(granter: Role): GrantableRole[] {
  return GRANTABLE_ROLES.filter((r) => roleRank(r) <= roleRank(granter))
}

export function grantRefusal(granter: Role, role: GrantableRole): Refusal | null {
  return grantableRoles(granter).includes(role) ? null : refuse(ErrorCode.forbidden, `You cannot invite people as ${role}`)
}

/** What the owner of a board may not have done to it: its role changed, or removal. */
const TARGET_MESSAGES = {
  role: "The owner's role cannot be changed",
  remove: 'The owner cannot be removed',
  kick: 'The owner cannot be taken out of the session',
  ban: 'The owner cannot be banned',
} as const

export function participantTargetRefusal(change: keyof typeof TARGET_MESSAGES, targetRole: Role | null): Refusal | null {
  if (targetRole !== 'owner') return null
  return refuse(ErrorCode.forbidden, TARGET_MESSAGES[change])
}

/** Removing a participant is leaving when a user removes itself; otherwise managing. */
export function removalAction(self: boolean): Action {
  return self ? 'participant.leave' : 'participant.manage'
}

/** A member's role after joining through a link granting `link`: never lowered; null when nothing changes. */
export function roleFromLink(current: GrantableRole | null, link: GrantableRole): GrantableRole | null {
  return current !== null && roleRank(current) >= roleRank(link) ? null : link
}

/**
 * A guest's effective role: what it was granted, capped by the board's tier,
 * so a pro owner's downgrade also downgrades guest editors. The guest that
 * created an ownerless board keeps `editor`: the board is its work.
 */
export function guestRole(granted: GrantableRole, isCreator: boolean, tier: Tier): GrantableRole {
  return isCreator ? granted : guestRoleFor(granted, tier)
}

/** The creating guest counts as such only while the board has no owner. */
export function isCreatorGuest(isCreator: boolean, ownerless: boolean): boolean {
  return isCreator && ownerless
}

/**
 * For clients that know a guest's role but not its guest row: ownerless
 * boards are free, where guests are capped below editor, so the only guest
 * editor there is the guest that created the board.
 */
export function inferCreatorGuest(role: Role, guest: boolean, ownerless: boolean): boolean {
  return guest && isCreatorGuest(role === 'editor', ownerless)
}
