// JSON shapes of the HTTP API (see docs/API.md). Used by the server's
// serializers and by the SDK.
import type { GrantableRole, Role, Tier } from './capabilities.js'

export type Plan = 'free' | 'pro'
export type AccessMode = 'link' | 'specific_users'
export type PrincipalKind = 'user' | 'guest'

export interface User {
  id: string
  email: string
  name: string
  plan: Plan
  /** The user proved the address is theirs (a verification or password reset link). */
  emailVerified: boolean
}

export type Principal =
  | { kind: 'user'; id: string; email: string; name: string; plan: Plan; emailVerified: boolean }
  | { kind: 'guest'; id: string; name: string; boardId: string; role: GrantableRole }

export interface Board {
  id: string
  title: string
  ownerId: string | null
  ownerless: boolean
  expiresAt: string | null
  accessMode: AccessMode
  locked: boolean
  archived: boolean
  /** The owner lets editors restore versions and revert people. */
  editorsMayRestore: boolean
  /** People at once with their own role; newcomers past it join as readers. Null: the server's default (`BOARD_CAPACITY`). */
  capacity: number | null
  /** Guests wait in a lobby until an owner or editor lets them in. */
  lobby: boolean
  /** Element types guests may create (null: every type a guest may). */
  guestTools: string[] | null
  /** Guests may comment. */
  guestComments: boolean
  /** Frames (element ids) whose contents guests may not change. */
  lockedFrames: string[]
  /** Private mode: new notes go to the server for their author alone until a facilitator reveals them. */
  privateNotes: boolean
  tier: Tier
  createdAt: string
  myRole: Role | null
}

/** `PATCH /api/boards/:id`: the settings to change (the route's schema validates it). */
export interface BoardPatch {
  title?: string
  accessMode?: AccessMode
  locked?: boolean
  archived?: boolean
  /** Owner only: member editors may restore versions and revert people too. */
  editorsMayRestore?: boolean
  /** Owner only: people at once with their own role (1-10000; null: the server's default); newcomers past it join as readers. */
  capacity?: number | null
  /** Owner only: guests wait in a lobby until a host lets them in. */
  lobby?: boolean
  /** Owner only: the element types guests may create (null: every type a guest may). */
  guestTools?: string[] | null
  /** Owner only: guests may comment. */
  guestComments?: boolean
  /** Owner only: frames (element ids) guests may not change. */
  lockedFrames?: string[]
}

export interface Guest {
  id: string
  name: string
  role: GrantableRole
  boardId: string
  /** Only on a guest in a lobby: `waiting` until a host lets it in (absent: admitted). */
  admission?: 'waiting' | 'denied'
}

export interface Invite {
  id: string
  token: string
  url: string
  role: GrantableRole
  guestRole: GrantableRole
  expiresAt: string | null
  maxUses: number | null
  uses: number
  revoked: boolean
  createdAt: string
}

export interface InviteInfo {
  board: { id: string; title: string }
  role: GrantableRole
  guestRole: GrantableRole
  guestsAllowed: boolean
}

export interface Participant {
  kind: PrincipalKind
  id: string
  name: string
  role: Role
  guest: boolean
  online: boolean
}

export interface Author {
  kind: PrincipalKind
  id: string
  name: string
  guest: boolean
}

export type Anchor = { x: number; y: number } | { shapeId: string }

export interface Reply {
  id: string
  author: Author
  body: string
  mentions: string[]
  createdAt: string
  /**
   * Only on comments that came with an imported board: the name the export
   * file gave as author, display text only. `author` is whoever imported it.
   */
  importedAuthor?: string
}

export interface Thread extends Reply {
  anchor: Anchor
  resolved: boolean
  replies: Reply[]
}

export interface ApiErrorBody {
  error: { code: string; message: string }
}

/** The presence `user` field the server stamps on every awareness state. */
export interface PresenceUser {
  id: string
  name: string
  kind: PrincipalKind
  role: Role
  guest: boolean
  color: string
}

/** What a personal API key may do: `read` acts at most as a Reader. */
export type ApiKeyScope = 'read' | 'write'

/** A personal API key as listed (never its secret). */
export interface ApiKey {
  id: string
  name: string
  scope: ApiKeyScope
  /** Board ids it reaches; null: every board its user can reach. */
  boards: string[] | null
  createdAt: string
  /** Updated at most once a minute. */
  lastUsedAt: string | null
}

/** The answer to creating a key: `secret` is the bearer token, shown this once. */
export interface CreatedApiKey {
  key: ApiKey
  secret: string
}
