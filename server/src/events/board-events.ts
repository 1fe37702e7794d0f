// Board events for socket.io clients (see shared/events.ts). The change
// dispatcher calls these; the socket.io layer decides who hears it.
import type { BoardRestoredPayload, HistoryPerson } from '../../../shared/history.js'
import type { BoardTimer, LobbyGuest, Summon, Vote, VoteResult } from '../../../shared/session.js'
import type { PrincipalKind, Thread } from '../../../shared/types.js'

export interface BoardEvents {
  boardUpdated(boardId: string): void
  boardClaimed(boardId: string): void
  boardExpiring(boardId: string, expiresAt: Date): void
  boardDeleted(boardId: string, reason: 'deleted' | 'expired'): void
  participantJoined(boardId: string, kind: PrincipalKind, id: string): void
  participantUpdated(boardId: string, kind: PrincipalKind, id: string): void
  participantLeft(boardId: string, kind: PrincipalKind, id: string, name: string): void
  /** Many participants may have changed at once (a revoked link). */
  participantsChanged(boardId: string): void
  commentCreated(boardId: string, thread: Thread): void
  commentUpdated(boardId: string, thread: Thread): void
  commentDeleted(boardId: string, threadId: string): void
  notify(userId: string, notification: unknown): void
  boardRestored(payload: BoardRestoredPayload): void
  timerUpdated(boardId: string, timer: BoardTimer): void
  summoned(boardId: string, summon: Summon | null): void
  /** To the board's hosts only. */
  lobbyKnock(boardId: string, guest: LobbyGuest): void
  voteUpdated(boardId: string, vote: Vote, results: VoteResult[] | null): void
  notesRevealed(boardId: string, notes: number, by: HistoryPerson): void
  /** To the guest (its own sockets) and the hosts. */
  lobbyAnswered(boardId: string, guestId: string, admitted: boolean): void
}
