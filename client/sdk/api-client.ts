// A typed client for every Drawbridge HTTP endpoint (docs/API.md). It holds
// one bearer token; `withToken` makes a sibling for another principal, so a
// page can talk as a guest on one board and as a user elsewhere. The HTTP
// core is api-base.ts; history and session endpoints (lobby, votes, private
// notes…) are in session-api.ts, which this class extends.
import type { GrantableRole } from '../../shared/capabilities.js'
import type { Notification } from '../../shared/events.js'
import type { LobbyStatus } from '../../shared/session.js'
import type {
  Anchor,
  ApiKey,
  ApiKeyScope,
  Board,
  BoardPatch,
  Guest,
  Invite,
  InviteInfo,
  Participant,
  Plan,
  Principal,
  PrincipalKind,
  Reply,
  CreatedApiKey,
  Thread,
  User,
} from '../../shared/types.js'
import { enc } from './api-base.js'
import { SessionApi } from './session-api.js'

export type { ApiClientOptions } from './api-base.js'
export type { TimerCommand, VoteOptions } from './session-api.js'

export type { BoardPatch } from '../../shared/types.js'

export interface GuestJoinOptions {
  /** This browser's own random id (`^[A-Za-z0-9_-]{8,64}$`): a ban refuses the browser again. */
  browserId?: string
}

export interface InviteOptions {
  role: GrantableRole
  expiresInSeconds?: number
  maxUses?: number
}

export interface ActivityEntry {
  id?: string
  type: string
  actor: { kind: PrincipalKind; id: string; name: string } | null
  data: Record<string, unknown>
  createdAt: string
}

export interface NotificationPage {
  notifications: Notification[]
  nextCursor: string | null
}

export class ApiClient extends SessionApi {
  /** The same server, another principal. */
  withToken(token: string | null): ApiClient {
    return new ApiClient({ baseUrl: this.baseUrl, token, fetch: this.fetchImpl })
  }

  // ---- accounts -----------------------------------------------------------

  /**
   * Creates an account. Called while holding a guest token, the server links
   * that guest's boards, roles and comments to the new account.
   */
  register(input: { email: string; password: string; name: string }): Promise<{ user: User; token: string }> {
    return this.request('POST', '/api/auth/register', input)
  }

  login(input: { email: string; password: string }): Promise<{ user: User; token: string }> {
    return this.request('POST', '/api/auth/login', input, null)
  }

  async me(): Promise<Principal> {
    return (await this.request<{ principal: Principal }>('GET', '/api/me')).principal
  }

  async setPlan(adminToken: string, userId: string, plan: Plan): Promise<User> {
    return (await this.request<{ user: User }>('PATCH', `/api/admin/users/${enc(userId)}`, { plan }, adminToken)).user
  }

  // ---- API keys (only with a user token, never with a key) ------------------

  /** A new personal API key; `secret` is shown this once. `boards` left out: every board. */
  createApiKey(input: { name: string; scope: ApiKeyScope; boards?: string[] | null }): Promise<CreatedApiKey> {
    return this.request('POST', '/api/api-keys', input)
  }

  async listApiKeys(): Promise<ApiKey[]> {
    return (await this.request<{ keys: ApiKey[] }>('GET', '/api/api-keys')).keys
  }

  async revokeApiKey(keyId: string): Promise<void> {
    await this.request('DELETE', `/api/api-keys/${enc(keyId)}`)
  }

  // ---- boards -------------------------------------------------------------

  async createBoard(title?: string): Promise<Board> {
    return (await this.request<{ board: Board }>('POST', '/api/boards', title === undefined ? {} : { title })).board
  }

  /** A temporary board without an account; the answer's token is the new guest's. */
  createTemporaryBoard(guestName: string, title?: string): Promise<{ board: Board; guest: Guest; token: string }> {
    return this.request('POST', '/api/boards', title === undefined ? { guestName } : { guestName, title }, null)
  }

  async listBoards(): Promise<Board[]> {
    return (await this.request<{ boards: Board[] }>('GET', '/api/boards')).boards
  }

  async getBoard(boardId: string): Promise<Board> {
    return (await this.request<{ board: Board }>('GET', `/api/boards/${enc(boardId)}`)).board
  }

  async updateBoard(boardId: string, patch: BoardPatch): Promise<Board> {
    return (await this.request<{ board: Board }>('PATCH', `/api/boards/${enc(boardId)}`, patch)).board
  }

  async deleteBoard(boardId: string): Promise<void> {
    await this.request('DELETE', `/api/boards/${enc(boardId)}`)
  }

  async claimBoard(boardId: string): Promise<Board> {
    return (await this.request<{ board: Board }>('POST', `/api/boards/${enc(boardId)}/claim`, {})).board
  }

  /** A copy of the board: JSON (shapes, markup, meta, comments) for keeping or re-importing. */
  async exportBoard(boardId: string): Promise<Record<string, unknown>> {
    return this.request<Record<string, unknown>>('GET', `/api/boards/${enc(boardId)}/export?format=json`)
  }

  /** A new board from an export made by exportBoard. */
  async importBoard(exported: Record<string, unknown>): Promise<Board> {
    return (await this.request<{ board: Board }>('POST', '/api/boards/import', exported)).board
  }

  async duplicateBoard(boardId: string, title?: string): Promise<Board> {
    const body = title === undefined ? {} : { title }
    return (await this.request<{ board: Board }>('POST', `/api/boards/${enc(boardId)}/duplicate`, body)).board
  }

  /** The board's activity log, newest first; pass `nextCursor` back as `cursor` for older entries. */
  activity(boardId: string, options: { limit?: number; cursor?: string } = {}): Promise<{ activity: ActivityEntry[]; nextCursor?: string | null }> {
    const q = new URLSearchParams()
    if (options.limit !== undefined) q.set('limit', String(options.limit))
    if (options.cursor !== undefined) q.set('cursor', options.cursor)
    const query = q.toString()
    return this.request('GET', `/api/boards/${enc(boardId)}/activity${query ? `?${query}` : ''}`)
  }

  // ---- invite links -------------------------------------------------------

  async createInvite(boardId: string, options: InviteOptions): Promise<Invite> {
    return (await this.request<{ invite: Invite }>('POST', `/api/boards/${enc(boardId)}/invites`, options)).invite
  }

  async listInvites(boardId: string): Promise<Invite[]> {
    return (await this.request<{ invites: Invite[] }>('GET', `/api/boards/${enc(boardId)}/invites`)).invites
  }

  async revokeInvite(boardId: string, inviteId: string): Promise<void> {
    await this.request('DELETE', `/api/boards/${enc(boardId)}/invites/${enc(inviteId)}`)
  }

  inviteInfo(inviteToken: string): Promise<InviteInfo> {
    return this.request('GET', `/api/invites/${enc(inviteToken)}`, undefined, null)
  }

  /**
   * Joins without a token: a new guest on the link's board. A banned browser or address is refused (403 `banned`).
   * On a board with a lobby the guest is `admission: 'waiting'` and `lobby` says whether a host is online.
   */
  joinAsGuest(inviteToken: string, name: string, options: GuestJoinOptions = {}): Promise<{ token: string; guest: Guest; lobby?: LobbyStatus }> {
    const body = options.browserId ? { name, browserId: options.browserId } : { name }
    return this.request('POST', `/api/invites/${enc(inviteToken)}/join`, body, null)
  }

  /** Joins with this client's user token: a membership with the link's role. */
  async joinAsUser(inviteToken: string): Promise<Board> {
    return (await this.request<{ board: Board }>('POST', `/api/invites/${enc(inviteToken)}/join`, {})).board
  }

  // ---- participants -------------------------------------------------------

  async listParticipants(boardId: string): Promise<Participant[]> {
    return (await this.request<{ participants: Participant[] }>('GET', `/api/boards/${enc(boardId)}/participants`)).participants
  }

  async changeRole(boardId: string, kind: PrincipalKind, id: string, role: GrantableRole): Promise<Participant> {
    const path = `/api/boards/${enc(boardId)}/participants/${kind}/${enc(id)}`
    return (await this.request<{ participant: Participant }>('PATCH', path, { role })).participant
  }

  async removeParticipant(boardId: string, kind: PrincipalKind, id: string): Promise<void> {
    await this.request('DELETE', `/api/boards/${enc(boardId)}/participants/${kind}/${enc(id)}`)
  }

  // ---- comments -----------------------------------------------------------

  async listComments(boardId: string): Promise<Thread[]> {
    return (await this.request<{ threads: Thread[] }>('GET', `/api/boards/${enc(boardId)}/comments`)).threads
  }

  async createComment(boardId: string, anchor: Anchor, body: string): Promise<Thread> {
    return (await this.request<{ thread: Thread }>('POST', `/api/boards/${enc(boardId)}/comments`, { anchor, body })).thread
  }

  async reply(boardId: string, threadId: string, body: string): Promise<Reply> {
    const path = `/api/boards/${enc(boardId)}/comments/${enc(threadId)}/replies`
    return (await this.request<{ reply: Reply }>('POST', path, { body })).reply
  }

  async updateThread(boardId: string, threadId: string, patch: { resolved?: boolean; body?: string }): Promise<Thread> {
    const path = `/api/boards/${enc(boardId)}/comments/${enc(threadId)}`
    return (await this.request<{ thread: Thread }>('PATCH', path, patch)).thread
  }

  async updateReply(boardId: string, threadId: string, replyId: string, body: string): Promise<Reply> {
    const path = `/api/boards/${enc(boardId)}/comments/${enc(threadId)}/replies/${enc(replyId)}`
    return (await this.request<{ reply: Reply }>('PATCH', path, { body })).reply
  }

  async deleteThread(boardId: string, threadId: string): Promise<void> {
    await this.request('DELETE', `/api/boards/${enc(boardId)}/comments/${enc(threadId)}`)
  }

  async deleteReply(boardId: string, threadId: string, replyId: string): Promise<void> {
    await this.request('DELETE', `/api/boards/${enc(boardId)}/comments/${enc(threadId)}/replies/${enc(replyId)}`)
  }

  // ---- notifications ------------------------------------------------------

  listNotifications(options: { limit?: number; cursor?: string } = {}): Promise<NotificationPage> {
    const q = new URLSearchParams()
    if (options.limit !== undefined) q.set('limit', String(options.limit))
    if (options.cursor !== undefined) q.set('cursor', options.cursor)
    const query = q.toString()
    return this.request('GET', `/api/notifications${query ? `?${query}` : ''}`)
  }

  /** Marks the given notifications read, or every one with `'all'`. */
  async markNotificationsRead(which: string[] | 'all'): Promise<number> {
    const body = which === 'all' ? { all: true } : { ids: which }
    return (await this.request<{ updated: number }>('POST', '/api/notifications/read', body)).updated
  }

  // ---- document (elements) ------------------------------------------------

  async listElements(boardId: string, root?: ElementRoot): Promise<BoardElement[]> {
    return (await this.request<{ elements: BoardElement[] }>('GET', `/api/boards/${enc(boardId)}/elements${rootQuery(root)}`)).elements
  }

  async getElement(boardId: string, elementId: string, root?: ElementRoot): Promise<BoardElement> {
    return (await this.request<{ element: BoardElement }>('GET', `/api/boards/${enc(boardId)}/elements/${enc(elementId)}${rootQuery(root)}`)).element
  }

  /** Adds elements (all or none) through the same guard as a live update; answers them as stored. */
  async addElements(boardId: string, elements: { id?: string; root?: ElementRoot; fields: Record<string, unknown> }[]): Promise<BoardElement[]> {
    return (await this.request<{ elements: BoardElement[] }>('POST', `/api/boards/${enc(boardId)}/elements`, { elements })).elements
  }

  async changeElement(boardId: string, elementId: string, change: { set?: Record<string, unknown>; unset?: string[] }, root?: ElementRoot): Promise<BoardElement> {
    const path = `/api/boards/${enc(boardId)}/elements/${enc(elementId)}${rootQuery(root)}`
    return (await this.request<{ element: BoardElement }>('PATCH', path, change)).element
  }

  async deleteElement(boardId: string, elementId: string, root?: ElementRoot): Promise<void> {
    await this.request('DELETE', `/api/boards/${enc(boardId)}/elements/${enc(elementId)}${rootQuery(root)}`)
  }
}

/** The document roots that hold elements (docs/API.md, "Document API"). */
export type ElementRoot = 'shapes' | 'markup'

/** An element as the document API answers it. */
export interface BoardElement {
  id: string
  root: ElementRoot
  fields: Record<string, unknown>
}

const rootQuery = (root: ElementRoot | undefined) => (root ? `?root=${root}` : '')

/** Builds the text of a mention as the server expects it inside a comment body. */
export function mentionText(name: string, userId: string): string {
  return `@[${name.replace(/[[\]]/g, '')}](user:${userId})`
}

export type BodyPart = { type: 'text'; text: string } | { type: 'mention'; name: string; userId: string }

/** Splits a comment body into text and mentions, for rendering as text nodes (never HTML). */
export function parseCommentBody(body: string): BodyPart[] {
  const parts: BodyPart[] = []
  const re = /@\[([^\]\n]{1,200})\]\(user:([A-Za-z0-9_-]{1,64})\)/g
  let last = 0
  for (let m = re.exec(body); m; m = re.exec(body)) {
    if (m.index > last) parts.push({ type: 'text', text: body.slice(last, m.index) })
    parts.push({ type: 'mention', name: m[1]!, userId: m[2]! })
    last = m.index + m[0].length
  }
  if (last < body.length) parts.push({ type: 'text', text: body.slice(last) })
  return parts
}
