// A typed client for every Drawbridge HTTP endpoint (docs/API.md). It holds
// one bearer token; `withToken` makes a sibling for another principal, so a
// page can talk as a guest on one board and as a user elsewhere.
import type { GrantableRole } from '../../shared/capabilities.js'
import type { Notification } from '../../shared/events.js'
import type {
  Attribution,
  RestoreResult,
  RevertRequest,
  RevertResult,
  Version,
  VersionDiff,
  VersionDocument,
  VersionList,
} from '../../shared/history.js'
import type { Ban, BoardTimer, Summon, Viewport } from '../../shared/session.js'
import type {
  AccessMode,
  Anchor,
  Board,
  Guest,
  Invite,
  InviteInfo,
  Participant,
  Plan,
  Principal,
  PrincipalKind,
  Reply,
  Thread,
  User,
} from '../../shared/types.js'
import { ApiError, NETWORK_ERROR } from './errors.js'

export interface ApiClientOptions {
  /** Origin of the server, e.g. `https://draw.example.com` (no trailing `/api`). */
  baseUrl: string
  token?: string | null
  fetch?: typeof fetch
}

export interface BoardPatch {
  title?: string
  accessMode?: AccessMode
  locked?: boolean
  archived?: boolean
  /** Owner only: member editors may restore versions and revert people too. */
  editorsMayRestore?: boolean
  /** Owner only: people at once with their own role (1-10000; null: the server's default); newcomers past it join as readers. */
  capacity?: number | null
}

/** What `setTimer` asks of the shared timer. */
export type TimerCommand = { action: 'start'; durationMs: number } | { action: 'pause' } | { action: 'resume' } | { action: 'stop' }

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

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

const enc = encodeURIComponent

export class ApiClient {
  readonly baseUrl: string
  token: string | null
  private readonly fetchImpl: typeof fetch

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.token = options.token ?? null
    // Bound, because browsers throw "Illegal invocation" for an unbound fetch.
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis)
  }

  /** The same server, another principal. */
  withToken(token: string | null): ApiClient {
    return new ApiClient({ baseUrl: this.baseUrl, token, fetch: this.fetchImpl })
  }

  async request<T>(method: Method, path: string, body?: unknown, token: string | null = this.token): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (token) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Response
    try {
      res = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (err) {
      throw new ApiError(0, NETWORK_ERROR, `Could not reach the server (${(err as Error).message})`)
    }
    const text = await res.text()
    let parsed: unknown = null
    if (text) {
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = null
      }
    }
    if (!res.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error
      const retry = res.headers.get('retry-after')
      throw new ApiError(
        res.status,
        typeof error?.code === 'string' ? error.code : `http_${res.status}`,
        typeof error?.message === 'string' ? error.message : `Request failed with status ${res.status}`,
        retry !== null && Number.isFinite(Number(retry)) ? Number(retry) : null,
      )
    }
    return parsed as T
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

  // ---- history ------------------------------------------------------------

  /** The board's versions, newest first, with how far back history reaches. */
  listVersions(boardId: string): Promise<VersionList> {
    return this.request('GET', `/api/boards/${enc(boardId)}/versions`)
  }

  /** Saves the board as it is now under a name (1-80 characters). */
  async saveVersion(boardId: string, name: string): Promise<Version> {
    // The answer is `{version}` like the other created things; a bare Version is taken too.
    const answer = await this.request<Version | { version: Version }>('POST', `/api/boards/${enc(boardId)}/versions`, { name })
    return 'version' in answer ? answer.version : answer
  }

  /** The board's content at a version, as JSON (each root's entries by key, elements' stored fields). */
  versionDocument(boardId: string, versionId: string): Promise<VersionDocument> {
    return this.request('GET', `/api/boards/${enc(boardId)}/versions/${enc(versionId)}`)
  }

  /** The elements that differ between a version and now (`to` omitted or `live`) or another version. */
  versionDiff(boardId: string, versionId: string, to = 'live'): Promise<VersionDiff> {
    return this.request('GET', `/api/boards/${enc(boardId)}/versions/${enc(versionId)}/diff?to=${enc(to)}`)
  }

  /** Puts the live board back to a version; connected canvases follow through the document. */
  restoreVersion(boardId: string, versionId: string): Promise<RestoreResult> {
    return this.request('POST', `/api/boards/${enc(boardId)}/versions/${enc(versionId)}/restore`, {})
  }

  /** Undoes what one person did (since a time); `dryRun` answers the plan and changes nothing. */
  revertPerson(boardId: string, request: RevertRequest): Promise<RevertResult> {
    return this.request('POST', `/api/boards/${enc(boardId)}/history/revert`, request)
  }

  /** Who created and last changed each element. */
  attribution(boardId: string): Promise<Attribution> {
    return this.request('GET', `/api/boards/${enc(boardId)}/history/attribution`)
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

  /** Joins without a token: a new guest on the link's board. A banned browser or address is refused (403 `banned`). */
  joinAsGuest(inviteToken: string, name: string, options: GuestJoinOptions = {}): Promise<{ token: string; guest: Guest }> {
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

  // ---- sessions: kick, ban, end guest session, timer, summon -------------

  /** Takes someone out now (their connections close with 4410); they may come back. */
  async kick(boardId: string, kind: PrincipalKind, id: string): Promise<void> {
    await this.request('POST', `/api/boards/${enc(boardId)}/participants/${kind}/${enc(id)}/kick`, {})
  }

  /** Removes someone and keeps them out (a guest's browser and, for a while, its address too). */
  async ban(boardId: string, kind: PrincipalKind, id: string): Promise<void> {
    await this.request('POST', `/api/boards/${enc(boardId)}/participants/${kind}/${enc(id)}/ban`, {})
  }

  async listBans(boardId: string): Promise<Ban[]> {
    return (await this.request<{ bans: Ban[] }>('GET', `/api/boards/${enc(boardId)}/bans`)).bans
  }

  /** Lifts a ban; a guest comes back as a new guest. */
  async unban(boardId: string, banId: string): Promise<void> {
    await this.request('DELETE', `/api/boards/${enc(boardId)}/bans/${enc(banId)}`)
  }

  /** Every guest out and every invite link revoked at once; how many of each. */
  endGuestSession(boardId: string): Promise<{ guests: number; links: number }> {
    return this.request('POST', `/api/boards/${enc(boardId)}/end-guest-session`, {})
  }

  /** The shared timer as the server has it now (`serverTime` lets clients correct their clock). */
  async timer(boardId: string): Promise<BoardTimer> {
    return (await this.request<{ timer: BoardTimer }>('GET', `/api/boards/${enc(boardId)}/timer`)).timer
  }

  /** Starts (with a duration), pauses, resumes or stops the shared timer. */
  async setTimer(boardId: string, command: TimerCommand): Promise<BoardTimer> {
    return (await this.request<{ timer: BoardTimer }>('POST', `/api/boards/${enc(boardId)}/timer`, command)).timer
  }

  /** "Bring everyone to me": `viewport` is what we see, in scene coordinates; `hold` keeps readers there until released. */
  async summon(boardId: string, viewport: Viewport, hold = false): Promise<Summon> {
    return (await this.request<{ summon: Summon }>('POST', `/api/boards/${enc(boardId)}/summon`, { viewport, hold })).summon
  }

  /** Lets everyone go again (a `board:summoned` with `summon: null`). */
  async releaseSummon(boardId: string): Promise<void> {
    await this.request('DELETE', `/api/boards/${enc(boardId)}/summon`)
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
}

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
