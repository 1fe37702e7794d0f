// The history and session endpoints of the API (docs/API.md, "History" and
// "Sessions"): versions and reverts; kick, ban, timer, summon; the lobby, dot
// votes and private notes. ApiClient extends this, so they are its methods.
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
import type { Ban, BoardTimer, LobbyGuest, LobbyStatus, PrivateNote, Summon, Viewport, VoteState } from '../../shared/session.js'
import type { PrincipalKind } from '../../shared/types.js'
import { ApiBase, enc } from './api-base.js'

/** What `setTimer` asks of the shared timer. */
export type TimerCommand = { action: 'start'; durationMs: number } | { action: 'pause' } | { action: 'resume' } | { action: 'stop' }

/** What `startVote` asks for: `votesPerPerson` 1-20, `durationMs` 5 s to 24 h; anonymous unless `anonymous: false`. */
export interface VoteOptions {
  title?: string
  votesPerPerson: number
  anonymous?: boolean
  durationMs: number
}

export class SessionApi extends ApiBase {
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

  // ---- the lobby ----------------------------------------------------------

  /** Guests waiting to be let in (hosts). */
  async lobby(boardId: string): Promise<LobbyGuest[]> {
    return (await this.request<{ waiting: LobbyGuest[] }>('GET', `/api/boards/${enc(boardId)}/lobby`)).waiting
  }

  /** The waiting guest's own state: waiting, admitted or denied, and how many hosts are online. */
  lobbyStatus(boardId: string): Promise<LobbyStatus> {
    return this.request('GET', `/api/boards/${enc(boardId)}/lobby/me`)
  }

  /** Knocks again (at most every 20 s: 429 `rate_limited` says the wait), with an optional message (≤ 200 characters). */
  knock(boardId: string, message?: string): Promise<LobbyStatus> {
    return this.request('POST', `/api/boards/${enc(boardId)}/lobby/knock`, message?.trim() ? { message: message.trim() } : {})
  }

  async admit(boardId: string, guestId: string): Promise<void> {
    await this.request('POST', `/api/boards/${enc(boardId)}/lobby/${enc(guestId)}/admit`, {})
  }

  async deny(boardId: string, guestId: string): Promise<void> {
    await this.request('POST', `/api/boards/${enc(boardId)}/lobby/${enc(guestId)}/deny`, {})
  }

  // ---- dot votes ----------------------------------------------------------

  /** Starts a vote (facilitators); 409 while another one runs. */
  startVote(boardId: string, options: VoteOptions): Promise<VoteState> {
    return this.request('POST', `/api/boards/${enc(boardId)}/votes`, options)
  }

  /** The latest vote, our own ballots, what we have left, and the results once it ended. */
  currentVote(boardId: string): Promise<VoteState> {
    return this.request('GET', `/api/boards/${enc(boardId)}/votes/current`)
  }

  /** One ballot on an element; 409 when our votes are used up or the vote ended. */
  castVote(boardId: string, voteId: string, elementId: string): Promise<VoteState> {
    return this.request('POST', `/api/boards/${enc(boardId)}/votes/${enc(voteId)}/ballots`, { elementId })
  }

  /** Takes one of our ballots on an element back. */
  retractVote(boardId: string, voteId: string, elementId: string): Promise<VoteState> {
    return this.request('DELETE', `/api/boards/${enc(boardId)}/votes/${enc(voteId)}/ballots/${enc(elementId)}`)
  }

  /** Ends the vote now (facilitators): the answer carries the results. */
  endVote(boardId: string, voteId: string): Promise<VoteState> {
    return this.request('POST', `/api/boards/${enc(boardId)}/votes/${enc(voteId)}/end`, {})
  }

  // ---- private notes ------------------------------------------------------

  /** Turns private mode on or off (facilitators). */
  async setPrivateNotes(boardId: string, on: boolean): Promise<void> {
    await this.request('POST', `/api/boards/${enc(boardId)}/private-notes/mode`, { on })
  }

  /** Our own unrevealed notes, and how many others wrote. */
  privateNotes(boardId: string): Promise<{ notes: PrivateNote[]; others: number }> {
    return this.request('GET', `/api/boards/${enc(boardId)}/private-notes`)
  }

  /** Keeps an element (stored fields with `id` and `type`) for us alone until a reveal. */
  async addPrivateNote(boardId: string, element: Record<string, unknown>): Promise<PrivateNote> {
    return (await this.request<{ note: PrivateNote }>('POST', `/api/boards/${enc(boardId)}/private-notes`, { element })).note
  }

  async updatePrivateNote(boardId: string, noteId: string, element: Record<string, unknown>): Promise<PrivateNote> {
    return (await this.request<{ note: PrivateNote }>('PATCH', `/api/boards/${enc(boardId)}/private-notes/${enc(noteId)}`, { element })).note
  }

  async deletePrivateNote(boardId: string, noteId: string): Promise<void> {
    await this.request('DELETE', `/api/boards/${enc(boardId)}/private-notes/${enc(noteId)}`)
  }

  /** Puts everyone's notes onto the board (facilitators) and ends private mode. */
  revealPrivateNotes(boardId: string): Promise<{ revealed: number; kept: number }> {
    return this.request('POST', `/api/boards/${enc(boardId)}/private-notes/reveal`, {})
  }

  /** The summon in force, or null (for whoever joins or reconnects meanwhile). */
  async currentSummon(boardId: string): Promise<Summon | null> {
    return (await this.request<{ summon: Summon | null }>('GET', `/api/boards/${enc(boardId)}/summon`)).summon
  }
}
