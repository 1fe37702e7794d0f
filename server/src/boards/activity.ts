// The board activity log (GET /api/boards/:id/activity): who joined, what
// changed hands, and what the sweeper did.
import type { PrincipalKind } from '../../../shared/types.js'
import type { DbOrTx } from '../store/db.js'
import { activity } from '../store/schema.js'

export const ActivityType = {
  created: 'board.created',
  joined: 'participant.joined',
  roleChanged: 'participant.role_changed',
  removed: 'participant.removed',
  left: 'participant.left',
  inviteCreated: 'invite.created',
  inviteRevoked: 'invite.revoked',
  renamed: 'board.renamed',
  accessChanged: 'board.access_changed',
  locked: 'board.locked',
  unlocked: 'board.unlocked',
  archived: 'board.archived',
  unarchived: 'board.unarchived',
  claimed: 'board.claimed',
  duplicated: 'board.duplicated',
  expiring: 'board.expiring',
  guestLinked: 'guest.linked',
  restoreRightsChanged: 'board.restore_rights_changed',
  versionSaved: 'version.saved',
  restored: 'board.restored',
  reverted: 'board.reverted',
  capacityChanged: 'board.capacity_changed',
  kicked: 'participant.kicked',
  banned: 'participant.banned',
  unbanned: 'participant.unbanned',
  guestSessionEnded: 'board.guest_session_ended',
  timer: 'board.timer',
  lobbyChanged: 'board.lobby_changed',
  guestLimitsChanged: 'board.guest_limits_changed',
  notesRevealed: 'private_notes.revealed',
  knocked: 'lobby.knocked',
  admitted: 'lobby.admitted',
  denied: 'lobby.denied',
} as const
export type ActivityType = (typeof ActivityType)[keyof typeof ActivityType]

export interface Actor {
  kind: PrincipalKind
  id: string
  name: string
}

export async function recordActivity(
  db: DbOrTx,
  boardId: string,
  type: ActivityType,
  actor: Actor | null,
  data: Record<string, unknown> = {},
): Promise<void> {
  await db.insert(activity).values({
    boardId,
    type,
    actorKind: actor?.kind ?? null,
    actorId: actor?.id ?? null,
    actorName: actor?.name ?? null,
    data,
  })
}
