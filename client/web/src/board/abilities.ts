// What this person may do on this board right now: the shared capability
// matrix plus board state (lock, archive). The toolbar, menus and gestures
// all ask here, so the UI never offers what the server would refuse.
import { can, type Role } from '../../../../shared/capabilities.js'
import type { Author, Item } from './doc-model.js'

export interface Abilities {
  content: boolean
  markup: boolean
  markupAny: boolean
  comment: boolean
  mention: boolean
  share: boolean
  manageParticipants: boolean
  setAccess: boolean
  lock: boolean
  claim: boolean
  export: boolean
  rename: boolean
}

export interface AbilityInput {
  role: Role | null
  guest: boolean
  ownerless: boolean
  locked: boolean
  archived: boolean
}

export function abilities({ role, guest, ownerless, locked, archived }: AbilityInput): Abilities {
  if (!role) {
    return { content: false, markup: false, markupAny: false, comment: false, mention: false, share: false, manageParticipants: false, setAccess: false, lock: false, claim: false, export: false, rename: false }
  }
  // On an ownerless (free) board guests are capped below editor, so the
  // only guest editor there is the guest who created it.
  const subject = { role, guest, creatorGuest: guest && ownerless && role === 'editor' }
  const writable = !archived && (!locked || role === 'owner')
  return {
    content: writable && can(subject, 'content.write'),
    markup: writable && can(subject, 'markup.write'),
    markupAny: writable && can(subject, 'markup.writeAny'),
    comment: !archived && can(subject, 'comment.write'),
    mention: can(subject, 'comment.mention'),
    share: can(subject, 'invite.manage'),
    manageParticipants: can(subject, 'participant.manage'),
    setAccess: can(subject, 'board.setAccess'),
    lock: can(subject, 'board.lock'),
    claim: ownerless && can(subject, 'board.claim'),
    export: can(subject, 'board.export'),
    rename: !archived && can(subject, 'board.rename'),
  }
}

/** Mirrors the server's markup rule: reviewers change only entries they created. */
export function canEditItem(a: Abilities, item: Item, me: Author | null): boolean {
  if (item.layer === 'shapes') return a.content
  if (a.markupAny) return true
  return a.markup && !!me && item.author?.id === me.id && item.author.kind === me.kind
}
