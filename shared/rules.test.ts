// The rulebook's answers written out, so that changing a rule is a decision
// someone makes here, not a side effect. (policy-matrix.test.ts checks that
// the HTTP routes and the live update guard answer what the rulebook does.)
import { describe, expect, it } from 'vitest'
import { ROLES, type Role } from './capabilities.js'
import * as rules from './rules.js'

const here = (over: Partial<rules.Here> = {}): rules.Here => ({ locked: false, archived: false, accessMode: 'link', guestsEnabled: true, ...over })
const member = (role: Role): rules.Who => ({ role, guest: false, creatorGuest: false })
const guest = (role: Role, creatorGuest = false): rules.Who => ({ role, guest: true, creatorGuest })

describe('live write rights', () => {
  const shown = (who: rules.Who, board: rules.BoardFlags) => {
    const r = rules.writeRights(rules.subjectOf(who)!, board)
    return r.scope === 'none' ? r.reason : `${r.scope}${r.forbiddenShapeTypes.length ? ' (no image/embeddable/iframe/embed/table/webimage)' : ''}`
  }
  const normal = { locked: false, archived: false }
  const locked = { locked: true, archived: false }
  const archived = { locked: false, archived: true }
  // role: [normal, locked, archived]
  const members: Record<Role, string[]> = {
    owner: ['anywhere', 'anywhere', 'archived'],
    editor: ['anywhere', 'locked', 'archived'],
    reviewer: ['own_markup', 'locked', 'archived'],
    reader: ['read_only', 'read_only', 'archived'],
  }
  it.each(ROLES)('members: %s', (role) => {
    expect([normal, locked, archived].map((b) => shown(member(role), b))).toEqual(members[role])
  })
  it('guests: as their role, never images, embeds, iframes (nor the old embed, table, webimage shapes)', () => {
    expect(shown(guest('editor'), normal)).toBe('anywhere (no image/embeddable/iframe/embed/table/webimage)')
    expect(shown(guest('editor', true), normal)).toBe('anywhere (no image/embeddable/iframe/embed/table/webimage)')
    expect(shown(guest('reviewer'), normal)).toBe('own_markup (no image/embeddable/iframe/embed/table/webimage)')
    expect(shown(guest('reader'), normal)).toBe('read_only')
    expect(shown(guest('editor'), locked)).toBe('locked')
  })
})

describe('refusals', () => {
  it('entry: the guest switch first, then the token, then the access mode; strangers', () => {
    const off = { code: 'guests_not_allowed', message: 'Guests are turned off on this server' }
    expect(rules.entryRefusal({ ...guest('editor'), otherBoard: true }, here({ guestsEnabled: false, accessMode: 'specific_users' }))).toEqual(off)
    expect(rules.entryRefusal({ ...guest('editor'), otherBoard: true }, here({ accessMode: 'specific_users' }))?.message).toBe('This guest token belongs to another board')
    expect(rules.entryRefusal(guest('reader'), here({ accessMode: 'specific_users' }))).toEqual({ code: 'guests_not_allowed', message: 'This board is open to specific users only' })
    expect(rules.entryRefusal({ role: null, guest: false, creatorGuest: false }, here())).toEqual({ code: 'forbidden', message: 'You do not have access to this board' })
    expect(rules.entryRefusal(member('reader'), here({ guestsEnabled: false, accessMode: 'specific_users' }))).toBeNull()
  })

  it('role before board state; lock leaves content to the owner, archive closes content and comments', () => {
    expect(rules.refusal(member('reader'), 'comment.write', here({ archived: true }))?.code).toBe('forbidden')
    expect(rules.refusal(member('reviewer'), 'comment.write', here({ archived: true }))?.code).toBe('board_archived')
    expect(rules.refusal(member('reviewer'), 'comment.write', here({ locked: true }))).toBeNull()
    expect(rules.refusal(member('editor'), 'content.write', here({ locked: true }))).toEqual({ code: 'board_locked', message: 'This board is locked; only its owner can change it' })
    expect(rules.refusal(member('owner'), 'content.write', here({ locked: true }))).toBeNull()
    expect(rules.refusal(member('owner'), 'content.write', here({ archived: true }))).toEqual({ code: 'board_archived', message: 'This board is archived and read-only' })
    expect(rules.refusal(member('reviewer'), 'board.rename', here())).toEqual({ code: 'forbidden', message: 'Your role (reviewer) may not do that' })
  })

  it('settings, the title included, stay changeable on locked and archived boards; guests never change them', () => {
    for (const state of [here({ locked: true }), here({ archived: true })]) {
      expect(rules.settingsRefusal(member('editor'), ['title'], state)).toBeNull()
      expect(rules.settingsRefusal(member('owner'), rules.SETTING_NAMES, state)).toBeNull()
      expect(rules.settingsRefusal(member('editor'), ['title', 'locked'], state)?.code).toBe('forbidden')
    }
    expect(rules.settingsRefusal(guest('editor', true), [], here())).toEqual({ code: 'guest_forbidden', message: 'Guests may not change board settings' })
  })

  it('guests, before any board is loaded', () => {
    expect(rules.guestNeverRefusal(true, 'board.claim', { guestsEnabled: true })).toEqual({ code: 'guest_forbidden', message: 'Guests cannot claim boards; sign up first' })
    expect(rules.guestNeverRefusal(true, 'board.claim', { guestsEnabled: false })?.code).toBe('guests_not_allowed')
    expect(rules.guestNeverRefusal(true, 'comment.write', { guestsEnabled: true })).toBeNull()
    expect(rules.guestNeverRefusal(false, 'board.claim', { guestsEnabled: false })).toBeNull()
    expect(rules.guestEntryRefusal({ guestsEnabled: true })).toBeNull()
  })

  it('the creating guest of an ownerless board may share it, nothing more', () => {
    expect(rules.refusal(guest('editor', true), 'invite.manage', here())).toBeNull()
    expect(rules.refusal(guest('editor'), 'invite.manage', here())?.code).toBe('guest_forbidden')
    expect(rules.refusal(guest('editor', true), 'participant.manage', here())?.code).toBe('guest_forbidden')
  })
})

describe('roles', () => {
  it('nobody hands out more than they have', () => {
    expect(rules.grantableRoles('owner')).toEqual(['editor', 'reviewer', 'reader'])
    expect(rules.grantableRoles('editor')).toEqual(['editor', 'reviewer', 'reader'])
    expect(rules.grantableRoles('reviewer')).toEqual(['reviewer', 'reader'])
    expect(rules.grantRefusal('reviewer', 'editor')).toEqual({ code: 'forbidden', message: 'You cannot invite people as editor' })
  })

  it('guests are capped by the tier, except the creator; links never lower a member', () => {
    expect(rules.guestRole('editor', false, 'free')).toBe('reviewer')
    expect(rules.guestRole('editor', false, 'pro')).toBe('editor')
    expect(rules.guestRole('editor', true, 'free')).toBe('editor')
    expect(rules.isCreatorGuest(true, false)).toBe(false)
    expect(rules.inferCreatorGuest('editor', true, true)).toBe(true)
    expect(rules.inferCreatorGuest('reviewer', true, true)).toBe(false)
    expect(rules.roleFromLink(null, 'reader')).toBe('reader')
    expect(rules.roleFromLink('reader', 'editor')).toBe('editor')
    expect(rules.roleFromLink('editor', 'reviewer')).toBeNull()
    expect(rules.roleFromLink('editor', 'editor')).toBeNull()
  })

  it('the owner stays the owner; leaving is not managing; moderation is the owner’s', () => {
    expect(rules.participantTargetRefusal('role', 'owner')?.message).toBe("The owner's role cannot be changed")
    expect(rules.participantTargetRefusal('remove', 'owner')?.message).toBe('The owner cannot be removed')
    expect(rules.participantTargetRefusal('remove', null)).toBeNull()
    expect(rules.removalAction(true)).toBe('participant.leave')
    expect(rules.removalAction(false)).toBe('participant.manage')
    expect(rules.mayModerateComment(rules.subjectOf(member('owner')), false)).toBe(true)
    expect(rules.mayModerateComment(rules.subjectOf(member('editor')), false)).toBe(false)
    expect(rules.mayModerateComment(rules.subjectOf(guest('reader')), true)).toBe(true)
    expect(rules.mayModerateComment(null, false)).toBe(false)
  })
})
