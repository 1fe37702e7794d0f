// socket.io board events: names and payloads, used by the server and the SDK.
import type { BoardRestoredPayload, HistoryPerson } from './history.js'
import type { BoardTimer, LobbyGuest, Summon, Vote, VoteResult } from './session.js'
import type { Board, Participant, Thread } from './types.js'

export const SOCKET_PATH = '/socket.io'

export const SocketEvent = {
  subscribe: 'board:subscribe',
  unsubscribe: 'board:unsubscribe',
  boardUpdated: 'board:updated',
  boardClaimed: 'board:claimed',
  boardExpiring: 'board:expiring',
  boardDeleted: 'board:deleted',
  participantJoined: 'participant:joined',
  participantLeft: 'participant:left',
  participantUpdated: 'participant:updated',
  commentCreated: 'comment:created',
  commentUpdated: 'comment:updated',
  /** Not in the v1 contract: a thread was deleted by its author or the owner. */
  commentDeleted: 'comment:deleted',
  notification: 'notification',
  /** The socket lost access to a board it was subscribed to (removed, revoked, guests refused). */
  unsubscribed: 'board:unsubscribed',
  /** A restore or a revert put back the board's content (shared/history.ts). */
  boardRestored: 'board:restored',
  /** The shared timer was started, paused, resumed or stopped (shared/session.ts). */
  timerUpdated: 'timer:updated',
  /** A host brought everyone to their view (`summon` null: released). */
  summoned: 'board:summoned',
  /** To hosts: a guest waits in the lobby. */
  lobbyKnock: 'lobby:knock',
  /** To hosts and to the waiting guest: it was let in, or not. */
  lobbyAnswered: 'lobby:answered',
  /** A dot vote started, or got a ballot (counts only), or ended (with its results). */
  voteUpdated: 'vote:updated',
  /** Private notes went onto the board. */
  notesRevealed: 'private-notes:revealed',
} as const

export type NotificationType = 'mention' | 'reply' | 'board.claimed' | 'board.expiring' | 'board.deleted'

export interface Notification {
  id: string
  type: NotificationType
  boardId: string | null
  /** Type-specific details: board title, thread id, who mentioned or replied, excerpt. */
  data: Record<string, unknown>
  read: boolean
  createdAt: string
}

export type Ack = { ok: true } | { error: { code: string; message: string } }

export interface ServerToClientEvents {
  'board:updated': (payload: { board: Board }) => void
  'board:claimed': (payload: { board: Board }) => void
  'board:expiring': (payload: { boardId: string; expiresAt: string }) => void
  'board:deleted': (payload: { boardId: string; reason: 'deleted' | 'expired' }) => void
  'board:unsubscribed': (payload: { boardId: string; reason: string }) => void
  'board:restored': (payload: BoardRestoredPayload) => void
  'timer:updated': (payload: { boardId: string; timer: BoardTimer }) => void
  'board:summoned': (payload: { boardId: string; summon: Summon | null }) => void
  'lobby:knock': (payload: { boardId: string; guest: LobbyGuest }) => void
  'lobby:answered': (payload: { boardId: string; guestId: string; admitted: boolean }) => void
  'vote:updated': (payload: { boardId: string; vote: Vote; results: VoteResult[] | null }) => void
  'private-notes:revealed': (payload: { boardId: string; notes: number; by: HistoryPerson }) => void
  'participant:joined': (payload: { boardId: string; participant: Participant }) => void
  'participant:left': (payload: { boardId: string; participant: Pick<Participant, 'kind' | 'id' | 'name'> }) => void
  'participant:updated': (payload: { boardId: string; participant: Participant }) => void
  'comment:created': (payload: { boardId: string; thread: Thread }) => void
  'comment:updated': (payload: { boardId: string; thread: Thread }) => void
  'comment:deleted': (payload: { boardId: string; threadId: string }) => void
  notification: (notification: Notification) => void
}

export interface ClientToServerEvents {
  'board:subscribe': (payload: { boardId: string }, ack: (result: Ack) => void) => void
  'board:unsubscribe': (payload: { boardId: string }, ack?: (result: Ack) => void) => void
}
