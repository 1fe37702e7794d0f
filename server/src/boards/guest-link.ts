// What happens on a board when a guest's work becomes a user's (the guest
// registers or signs in while presenting its guest token), and how a
// principal describes itself (GET /api/me): board knowledge the accounts
// layer is given, not imports.
import { and, eq } from 'drizzle-orm'
import type { GrantableRole } from '../../../shared/capabilities.js'
import { roleFromLink } from '../../../shared/rules.js'
import type { Principal } from '../../../shared/types.js'
import { presentUser } from '../auth/present-user.js'
import type { GuestRow, ResolvedPrincipal, UserRow } from '../auth/principals.js'
import type { DbOrTx } from '../store/db.js'
import { boards, clientIds, comments, guests, memberships } from '../store/schema.js'
import { ActivityType, recordActivity } from './activity.js'
import { effectiveGuestRole, loadBoard } from './policy.js'

/**
 * Carries a guest's work into an account: the board becomes one of the
 * user's (membership with the guest's role; editor for the guest that created
 * an ownerless board, so the user may claim it), its comments and its Yjs
 * client ids (so its markup stays its own) are re-attributed, and the guest
 * token stops working.
 */
export async function linkGuest(tx: DbOrTx, guest: GuestRow, user: UserRow): Promise<void> {
  const [board] = await tx.select({ ownerId: boards.ownerId }).from(boards).where(eq(boards.id, guest.boardId))
  if (!board) return
  await tx.update(guests).set({ linkedUserId: user.id }).where(eq(guests.id, guest.id))
  if (board.ownerId !== user.id) {
    const [existing] = await tx
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.boardId, guest.boardId), eq(memberships.userId, user.id)))
    // The stronger of what the user had and what the guest had.
    const role: GrantableRole = roleFromLink(existing?.role ?? null, guest.role) ?? existing!.role
    await tx
      .insert(memberships)
      .values({ boardId: guest.boardId, userId: user.id, role })
      .onConflictDoUpdate({ target: [memberships.boardId, memberships.userId], set: { role } })
  }
  await tx
    .update(comments)
    .set({ authorKind: 'user', authorId: user.id, authorName: user.name })
    .where(and(eq(comments.authorKind, 'guest'), eq(comments.authorId, guest.id)))
  await tx
    .update(clientIds)
    .set({ principalKind: 'user', principalId: user.id })
    .where(and(eq(clientIds.boardId, guest.boardId), eq(clientIds.principalKind, 'guest'), eq(clientIds.principalId, guest.id)))
  await recordActivity(tx, guest.boardId, ActivityType.guestLinked, { kind: 'user', id: user.id, name: user.name }, {
    guest: { id: guest.id, name: guest.name },
  })
}

/** The principal as `GET /api/me` shows it: a guest with its board and effective role. */
export async function describePrincipal(db: DbOrTx, p: ResolvedPrincipal): Promise<Principal> {
  if (p.kind === 'user') return { kind: 'user', ...presentUser(p.user) }
  const g = p.guest
  const loaded = await loadBoard(db, g.boardId)
  const role = loaded ? effectiveGuestRole(g.role, g.isCreator, loaded.tier) : g.role
  return { kind: 'guest', id: g.id, name: g.name, boardId: g.boardId, role }
}
