// What changed, as services tell it after their commit: one call per change,
// whatever has to follow from it (signals to every instance, socket.io
// events, live re-checks). The dispatcher (events/change-dispatcher.ts)
// decides that; services only say what happened.
import type { BoardRestoredPayload, HistoryPerson } from '../../../shared/history.js'
import type { BoardTimer, LobbyGuest, Summon, Vote, VoteResult } from '../../../shared/session.js'
import type { PrincipalKind, Thread } from '../../../shared/types.js'

export interface Who {
  kind: PrincipalKind
  id: string
}

export type Change =
  /** Settings changed (title, lock, archive, access mode). */
  | { type: 'board.updated'; boardId: string }
  | { type: 'board.claimed'; boardId: string }
  /** `ownerId`: whose it was (the board's row is gone when this is told); for an expired temporary board, the account its creator became. */
  | { type: 'board.deleted'; boardId: string; reason: 'deleted' | 'expired'; ownerId?: string | null }
  | { type: 'board.expiring'; boardId: string; expiresAt: Date }
  /** A user's plan changed: the tier (guest caps) of the boards they own. */
  | { type: 'plan.changed'; boardIds: string[] }
  | { type: 'participant.joined'; boardId: string; who: Who }
  /** A role changed (or a member re-joined with another role). */
  | { type: 'participant.changed'; boardId: string; who: Who }
  /** Someone came online or went offline (the collaboration hub tells). */
  | { type: 'participant.presence'; boardId: string; who: Who }
  | { type: 'participant.removed'; boardId: string; who: Who; name: string }
  /** Taken out of the session now; may come back. */
  | { type: 'participant.kicked'; boardId: string; who: Who }
  /** The shared timer changed. */
  | { type: 'timer.changed'; boardId: string; timer: BoardTimer }
  /** A guest waits in the lobby (joined, or knocked again). */
  | { type: 'lobby.knock'; boardId: string; guest: LobbyGuest }
  /** A host let a waiting guest in, or not. */
  | { type: 'lobby.answered'; boardId: string; guestId: string; admitted: boolean }
  /** A dot vote started, got or lost a ballot, or ended (`results` then). */
  | { type: 'vote.updated'; boardId: string; vote: Vote; results: VoteResult[] | null }
  /** Private notes went onto the board. */
  | { type: 'notes.revealed'; boardId: string; notes: number; by: HistoryPerson }
  /** "Bring everyone to me" (null: the presenter let everyone go). */
  | { type: 'summon'; boardId: string; summon: Summon | null }
  /** Many participants may have changed at once (a revoked link). */
  | { type: 'participants.changed'; boardId: string }
  /** A guest's work became a user's. */
  | { type: 'guest.linked'; boardId: string; guestId: string; guestName: string; userId: string }
  /** `apiKeyId`: that API key was revoked (the user's tokens stay valid). */
  | { type: 'user.signed_out'; userId: string; tokenVersion: number; apiKeyId?: string }
  /** The server-wide guest switch. */
  | { type: 'guests.switched'; enabled: boolean }
  | { type: 'comment.created'; boardId: string; thread: Thread }
  | { type: 'comment.updated'; boardId: string; thread: Thread }
  | { type: 'comment.deleted'; boardId: string; threadId: string }
  | { type: 'notification'; userId: string; notification: unknown }
  /** A restore or a revert rewrote the board's content (the edit itself reaches clients through Yjs). */
  | ({ type: 'board.restored' } & BoardRestoredPayload)

export interface Changes {
  /** Call after the change is committed. */
  record(change: Change): void
}
