// What this person may do on this board right now, as the rulebook
// (shared/rules.ts) answers it: the same write rights the server's update
// guard applies, the capability matrix, and board state (lock, archive). The
// toolbar, menus and gestures all ask here, so the UI never offers what the
// server would refuse.
import type { Action, Role } from '../../../../shared/capabilities.js'
import { inferCreatorGuest, mayDo, mayModerateComment, SETTINGS, stateRefusal, writeRights } from '../../../../shared/rules.js'
import type { Author, Item } from './doc-model.js'

export interface Abilities {
  content: boolean
  markup: boolean
  markupAny: boolean
  comment: boolean
  mention: boolean
  /** Edit and delete anyone's comments (everyone may their own). */
  moderate: boolean
  share: boolean
  manageParticipants: boolean
  setAccess: boolean
  lock: boolean
  claim: boolean
  export: boolean
  rename: boolean
  /** Board history: the versions panel and previews; saving a named version; restoring and reverting people. */
  historyView: boolean
  historySave: boolean
  historyRestore: boolean
  /** Sessions: take out and ban people (never the owner or oneself); end every guest's session; timer and "bring everyone to me"; the capacity setting. */
  kick: boolean
  endGuests: boolean
  facilitate: boolean
  setCapacity: boolean
  /** Dot votes and private notes: voting on elements, writing private notes (reviewers and up). */
  vote: boolean
  /** The owner's guest settings: the lobby, guest tools, guest comments, locked frames. */
  setGuestLimits: boolean
  /** Guests with the host's limits: the element types we may create (null: any we may otherwise). */
  allowedTypes: readonly string[] | null
  /** Guests: frames (element ids) we may not change, nor anything in them. */
  lockedFrames: readonly string[]
  /** Board state that keeps this person from changing content, for the banner. */
  blockedBy: 'locked' | 'archived' | null
}

export interface AbilityInput {
  role: Role | null
  guest: boolean
  ownerless: boolean
  locked: boolean
  archived: boolean
  /** The owner's setting: member editors may restore and revert too. */
  editorsMayRestore: boolean
  /** The owner's guest limits (shared/rules.ts BoardFlags). */
  guestTools?: readonly string[] | null
  guestComments?: boolean
  lockedFrames?: readonly string[]
}

/** Board state that keeps `role` from changing content (a null role counts as not the owner). */
function blockedBy(role: Role | null, flags: { locked: boolean; archived: boolean }): Abilities['blockedBy'] {
  const refused = stateRefusal(role, 'markup.write', flags)
  return refused === null ? null : refused.code === 'board_archived' ? 'archived' : 'locked'
}

export function abilities({ role, guest, ownerless, locked, archived, editorsMayRestore, guestTools = null, guestComments = true, lockedFrames = [] }: AbilityInput): Abilities {
  const flags = { locked, archived, editorsMayRestore, guestTools, guestComments, lockedFrames }
  if (!role) {
    return { content: false, markup: false, markupAny: false, comment: false, mention: false, moderate: false, share: false, manageParticipants: false, setAccess: false, lock: false, claim: false, export: false, rename: false, historyView: false, historySave: false, historyRestore: false, kick: false, endGuests: false, facilitate: false, setCapacity: false, vote: false, setGuestLimits: false, allowedTypes: null, lockedFrames: [], blockedBy: blockedBy(null, flags) }
  }
  const subject = { role, guest, creatorGuest: inferCreatorGuest(role, guest, ownerless) }
  const write = writeRights(subject, flags)
  const may = (action: Action) => mayDo(subject, action, flags)
  return {
    content: write.scope === 'anywhere',
    markup: write.scope !== 'none',
    markupAny: write.scope === 'anywhere',
    comment: may('comment.write'),
    mention: may('comment.mention'),
    moderate: mayModerateComment(subject, false),
    share: may('invite.manage'),
    manageParticipants: may('participant.manage'),
    setAccess: may('board.setAccess'),
    lock: may('board.lock'),
    claim: ownerless && may('board.claim'),
    export: may('board.export'),
    rename: may('board.rename'),
    historyView: may('history.view'),
    historySave: may('history.save'),
    historyRestore: may('history.restore'),
    kick: may('participant.manage'),
    endGuests: may('session.endGuests'),
    facilitate: may('session.facilitate'),
    setCapacity: may(SETTINGS.capacity),
    vote: may('vote.cast'),
    setGuestLimits: may(SETTINGS.guestTools),
    allowedTypes: write.scope === 'none' ? null : write.allowedTypes,
    lockedFrames: write.scope === 'none' ? [] : write.lockedFrames,
    blockedBy: blockedBy(role, flags),
  }
}

/** Mirrors the server's markup rule: reviewers change only entries they created. */
export function canEditItem(a: Abilities, item: Item, me: Author | null): boolean {
  if (item.layer === 'shapes') return a.content
  if (a.markupAny) return true
  return a.markup && !!me && item.author?.id === me.id && item.author.kind === me.kind
}
