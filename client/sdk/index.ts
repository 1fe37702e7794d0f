// The Drawbridge client SDK: HTTP API, live board documents, board events.
export { ApiClient, mentionText, parseCommentBody } from './api-client.js'
export type { ActivityEntry, ApiClientOptions, BodyPart, BoardPatch, GuestJoinOptions, InviteOptions, NotificationPage, TimerCommand, VoteOptions } from './api-client.js'
export { ApiBase } from './api-base.js'
export { SessionApi } from './session-api.js'
export { ApiError, NETWORK_ERROR } from './errors.js'
export { BoardConnection, collabUrl, connectBoard } from './board-connection.js'
export type {
  BoardConnectionEvents,
  BoardConnectionOptions,
  BoardFlags,
  ConnectionStatus,
  Ended,
  EndReason,
  PresenceState,
  SaveState,
  WelcomeMessage,
} from './board-connection.js'
export { BoardEvents, connectBoardEvents } from './board-events.js'
export type { BoardEventsOptions, EventName, EventSocket } from './board-events.js'
