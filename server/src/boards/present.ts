// Row → contract JSON. Kept in one place so every route answers alike.
import type { GrantableRole, Role, Tier } from '../../../shared/capabilities.js'
import type { Board, Guest, Invite } from '../../../shared/types.js'
import type { GuestRow } from '../auth/principals.js'
import type { invites } from '../store/schema.js'
import type { BoardWithTier } from './policy.js'
import { guestRoleFor } from '../../../shared/capabilities.js'

export const iso = (d: Date | null): string | null => (d ? d.toISOString() : null)

export function presentBoard({ board, tier }: BoardWithTier, myRole: Role | null): Board {
  return {
    id: board.id,
    title: board.title,
    ownerId: board.ownerId,
    ownerless: board.ownerId === null,
    expiresAt: board.ownerId === null ? iso(board.expiresAt) : null,
    accessMode: board.accessMode,
    locked: board.locked,
    archived: board.archived,
    editorsMayRestore: board.editorsMayRestore,
    capacity: board.capacity,
    lobby: board.lobby,
    guestTools: board.guestTools ?? null,
    guestComments: board.guestComments,
    lockedFrames: board.lockedFrames,
    privateNotes: board.privateNotes,
    tier,
    createdAt: board.createdAt.toISOString(),
    myRole,
  }
}

export function presentGuest(g: GuestRow, role: GrantableRole): Guest {
  // Only a guest in a lobby says so: the contract's guest shape stays as it was.
  return { id: g.id, name: g.name, role, boardId: g.boardId, ...(g.admission === 'admitted' ? {} : { admission: g.admission }) }
}

export function presentInvite(i: typeof invites.$inferSelect, tier: Tier, publicUrl: string): Invite {
  return {
    id: i.id,
    token: i.token,
    url: `${publicUrl}/join/${i.token}`,
    role: i.role,
    guestRole: guestRoleFor(i.role, tier),
    expiresAt: iso(i.expiresAt),
    maxUses: i.maxUses,
    uses: i.uses,
    revoked: i.revokedAt !== null,
    createdAt: i.createdAt.toISOString(),
  }
}
