// Running a session with strangers (docs/API.md, "Sessions"): the shared
// timer, "bring everyone to me", bans, capacity. Used by the server's routes
// and socket.io events and by the SDK and web app.
import type { Role } from './capabilities.js'
import type { HistoryPerson } from './history.js'

export const TIMER_ACTIONS = ['start', 'pause', 'resume', 'stop'] as const
export type TimerAction = (typeof TIMER_ACTIONS)[number]

/** The longest countdown a host may start. */
export const MAX_TIMER_MS = 24 * 3_600_000

export interface BoardTimer {
  state: 'running' | 'paused' | 'stopped'
  /** What it was started with. */
  durationMs: number
  /** Running: when it reaches zero. */
  endsAt: string | null
  /** Time left now (running: as of `serverTime`). */
  remainingMs: number
  /** Who last started, paused, resumed or stopped it. */
  by: HistoryPerson | null
  /** The server's clock when this was sent: clients correct their own clock's offset with it. */
  serverTime: string
}

/** The part of the board the presenter sees, in scene coordinates. */
export interface Viewport {
  x: number
  y: number
  width: number
  height: number
}

/** "Bring everyone to me", stamped by the server with who sent it. */
export interface Summon {
  by: HistoryPerson
  viewport: Viewport
  /** Presenter mode: readers stay on the presenter's view until released. */
  hold: boolean
  at: string
}

export interface Ban {
  id: string
  kind: 'guest' | 'user' | 'browser' | 'address'
  name: string
  expiresAt: string | null
  createdAt: string
}

/** Sent in the `welcome` extension message when the board was full: the connection got `reader`. */
export interface CapacityNotice {
  capacity: number
  /** The role the person would have had. */
  role: Role
}

/** A guest waiting in the lobby, as hosts see it. */
export interface LobbyGuest {
  id: string
  name: string
  /** The short message it left with its last knock. */
  message: string | null
  knockedAt: string
}

/** The waiting guest's own view. */
export interface LobbyStatus {
  status: 'waiting' | 'admitted' | 'denied'
  /** Owners and member editors online who could let it in. */
  hostsOnline: number
}

export const MAX_VOTES_PER_PERSON = 20

/** A dot vote. Ballots are stored by the server, outside the board's document. */
export interface Vote {
  id: string
  title: string
  votesPerPerson: number
  /** Named votes reveal who voted for what at the end; anonymous ones only the counts. */
  anonymous: boolean
  endsAt: string
  closed: boolean
  by: HistoryPerson
  createdAt: string
  /** Ballots cast so far, by everyone (what each went to stays hidden until the end). */
  ballots: number
}

export interface VoteResult {
  elementId: string
  votes: number
  /** Named votes only. */
  voters?: HistoryPerson[]
}

/** `GET /api/boards/:id/votes/current` and the answers to casting. */
export interface VoteState {
  vote: Vote | null
  /** Your own ballots by element. */
  mine: Record<string, number>
  remaining: number
  /** Once the vote has ended. */
  results: VoteResult[] | null
}

/** A note kept for its author alone until revealed. */
export interface PrivateNote {
  id: string
  /** The element as drawn (stored fields, docs/WEB.md; `id` and `type` required). */
  element: Record<string, unknown>
  createdAt: string
}
