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
