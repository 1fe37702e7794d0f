// The one path from "what changed" to what follows: board signals to every
// instance (which re-check live connections and subscriptions) and socket.io
// events to subscribers. Services call `record` once per change.
import type { BoardEvents } from './board-events.js'
import type { SignalTransport } from '../bus/signals.js'
import type { Change, Changes } from '../domain/changes.js'

export class ChangeDispatcher implements Changes {
  constructor(
    private readonly signals: SignalTransport,
    private readonly events: BoardEvents,
  ) {}

  record(change: Change): void {
    const { signals, events } = this
    switch (change.type) {
      case 'board.updated':
        signals.publish({ type: 'board.changed', boardId: change.boardId })
        return events.boardUpdated(change.boardId)
      case 'board.claimed':
        signals.publish({ type: 'board.changed', boardId: change.boardId })
        return events.boardClaimed(change.boardId)
      case 'board.deleted':
        events.boardDeleted(change.boardId, change.reason)
        return signals.publish({ type: 'board.deleted', boardId: change.boardId, reason: change.reason })
      case 'board.expiring':
        return events.boardExpiring(change.boardId, change.expiresAt)
      case 'plan.changed':
        for (const boardId of change.boardIds) signals.publish({ type: 'board.changed', boardId })
        return
      case 'participant.joined':
        return events.participantJoined(change.boardId, change.who.kind, change.who.id)
      case 'participant.changed':
        signals.publish({ type: 'access.changed', boardId: change.boardId, target: change.who })
        return events.participantUpdated(change.boardId, change.who.kind, change.who.id)
      case 'participant.presence':
        return events.participantUpdated(change.boardId, change.who.kind, change.who.id)
      case 'participant.removed':
        signals.publish({ type: 'access.changed', boardId: change.boardId, target: change.who })
        return events.participantLeft(change.boardId, change.who.kind, change.who.id, change.name)
      case 'participants.changed':
        signals.publish({ type: 'access.changed', boardId: change.boardId })
        return events.participantsChanged(change.boardId)
      case 'guest.linked':
        // Its client ids follow it into the account and its live connections
        // end (the guest token is superseded); the user reconnects.
        signals.publish({ type: 'guest.linked', boardId: change.boardId, guestId: change.guestId, userId: change.userId })
        events.participantLeft(change.boardId, 'guest', change.guestId, change.guestName)
        return events.participantJoined(change.boardId, 'user', change.userId)
      case 'user.signed_out':
        return signals.publish({ type: 'user.signed_out', userId: change.userId, tokenVersion: change.tokenVersion, ...(change.apiKeyId ? { apiKeyId: change.apiKeyId } : {}) })
      case 'guests.switched':
        return signals.publish({ type: change.enabled ? 'guests.enabled' : 'guests.disabled' })
      case 'comment.created':
        return events.commentCreated(change.boardId, change.thread)
      case 'comment.updated':
        return events.commentUpdated(change.boardId, change.thread)
      case 'comment.deleted':
        return events.commentDeleted(change.boardId, change.threadId)
      case 'notification':
        return events.notify(change.userId, change.notification)
      case 'participant.kicked':
        return signals.publish({ type: 'principal.kicked', boardId: change.boardId, target: change.who })
      case 'timer.changed':
        return events.timerUpdated(change.boardId, change.timer)
      case 'lobby.knock':
        return events.lobbyKnock(change.boardId, change.guest)
      case 'lobby.answered':
        return events.lobbyAnswered(change.boardId, change.guestId, change.admitted)
      case 'vote.updated':
        return events.voteUpdated(change.boardId, change.vote, change.results)
      case 'notes.revealed':
        return events.notesRevealed(change.boardId, change.notes, change.by)
      case 'summon':
        return events.summoned(change.boardId, change.summon)
      case 'board.restored': {
        const { type: _type, ...payload } = change
        return events.boardRestored(payload)
      }
      default: {
        const unreachable: never = change
        throw new Error(`unknown change ${JSON.stringify(unreachable)}`)
      }
    }
  }
}
