// Dot voting. A facilitator starts a vote (votes per person, anonymous or
// named, an end time); everyone who may mark up the board votes on elements.
// Ballots live in the database, not in the Yjs document, so no client can
// forge or inflate them: each person's count is checked under a row lock,
// and what each ballot went to stays hidden until the vote ends.
import { and, count, desc, eq, isNull, lte, sql } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import type { HistoryPerson } from '../../../shared/history.js'
import { MAX_TIMER_MS, MAX_VOTES_PER_PERSON, type Vote, type VoteResult, type VoteState } from '../../../shared/session.js'
import { principalRef, type ResolvedPrincipal } from '../auth/principals.js'
import type { BoardService } from '../boards/board-service.js'
import { actorOf, type Deps } from '../boards/deps.js'
import { badRequest, conflict, notFound } from '../errors.js'
import type { DbOrTx } from '../store/db.js'
import { boards, boardVotes, voteBallots } from '../store/schema.js'

type VoteRow = typeof boardVotes.$inferSelect

/** The board's vote, locked for this transaction; refused unless it still runs. */
async function runningVote(tx: DbOrTx, boardId: string, voteId: string): Promise<VoteRow> {
  const [vote] = await tx.select().from(boardVotes).where(and(eq(boardVotes.id, voteId), eq(boardVotes.boardId, boardId))).for('update')
  if (!vote) throw notFound('Vote')
  if (vote.closedAt || vote.endsAt.getTime() <= Date.now()) throw conflict('This vote has ended')
  return vote
}

export interface NewVote {
  title?: string
  votesPerPerson: number
  anonymous: boolean
  durationMs: number
}

export class VotingService {
  private timer: NodeJS.Timeout | null = null
  private closing: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly d: Deps,
    private readonly boards: BoardService,
  ) {}

  /** Ends votes whose time is up (on whichever instance gets there first). */
  start(intervalMs = 1000): void {
    this.timer = setInterval(() => {
      this.closing = this.closeDue().catch((err: unknown) => this.d.logger.warn({ err }, 'closing due votes failed'))
    }, intervalMs)
    this.timer.unref()
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.closing
  }

  async open(principal: ResolvedPrincipal, boardId: string, v: NewVote): Promise<VoteState> {
    await this.boards.access(principal, boardId, 'session.facilitate')
    if (!Number.isInteger(v.votesPerPerson) || v.votesPerPerson < 1 || v.votesPerPerson > MAX_VOTES_PER_PERSON) {
      throw badRequest(`votesPerPerson: 1 to ${MAX_VOTES_PER_PERSON}`)
    }
    if (!Number.isInteger(v.durationMs) || v.durationMs < 5_000 || v.durationMs > MAX_TIMER_MS) throw badRequest(`durationMs: 5000 to ${MAX_TIMER_MS}`)
    const actor = actorOf(principal)
    await this.d.db.transaction(async (tx) => {
      await tx.select({ id: boards.id }).from(boards).where(eq(boards.id, boardId)).for('no key update')
      const [running] = await tx.select({ id: boardVotes.id }).from(boardVotes).where(and(eq(boardVotes.boardId, boardId), isNull(boardVotes.closedAt))).limit(1)
      if (running) throw conflict('A vote is already running on this board')
      await tx.insert(boardVotes).values({
        id: nanoid(),
        boardId,
        title: v.title?.trim() || 'Vote',
        votesPerPerson: v.votesPerPerson,
        anonymous: v.anonymous,
        endsAt: new Date(Date.now() + v.durationMs),
        actorKind: actor.kind,
        actorId: actor.id,
        actorName: actor.name,
      })
    })
    const state = await this.state(principal, boardId)
    this.announce(boardId, state.vote!, null)
    return state
  }

  /** The latest vote on the board, your own ballots, and the results once it ended. */
  async current(principal: ResolvedPrincipal, boardId: string): Promise<VoteState> {
    await this.boards.access(principal, boardId, 'board.view')
    return this.state(principal, boardId)
  }

  async cast(principal: ResolvedPrincipal, boardId: string, voteId: string, elementId: string): Promise<VoteState> {
    await this.boards.access(principal, boardId, 'vote.cast')
    const me = principalRef(principal)
    await this.d.db.transaction(async (tx) => {
      // One person's ballots are counted under the vote's lock: two at once cannot both be the last one.
      const vote = await runningVote(tx, boardId, voteId)
      const [mine] = await tx
        .select({ n: count() })
        .from(voteBallots)
        .where(and(eq(voteBallots.voteId, voteId), eq(voteBallots.voterKind, me.kind), eq(voteBallots.voterId, me.id)))
      if ((mine?.n ?? 0) >= vote.votesPerPerson) throw conflict(`You have used all ${vote.votesPerPerson} of your votes`)
      await tx.insert(voteBallots).values({ voteId, voterKind: me.kind, voterId: me.id, voterName: actorOf(principal).name, elementId })
    })
    const state = await this.state(principal, boardId)
    this.announce(boardId, state.vote!, null)
    return state
  }

  /** Takes back one of your ballots on the element. */
  async retract(principal: ResolvedPrincipal, boardId: string, voteId: string, elementId: string): Promise<VoteState> {
    await this.boards.access(principal, boardId, 'vote.cast')
    const me = principalRef(principal)
    await this.d.db.transaction(async (tx) => {
      await runningVote(tx, boardId, voteId)
      const [ballot] = await tx
        .select({ id: voteBallots.id })
        .from(voteBallots)
        .where(and(eq(voteBallots.voteId, voteId), eq(voteBallots.voterKind, me.kind), eq(voteBallots.voterId, me.id), eq(voteBallots.elementId, elementId)))
        .limit(1)
      if (!ballot) throw notFound('Ballot')
      await tx.delete(voteBallots).where(eq(voteBallots.id, ballot.id))
    })
    const state = await this.state(principal, boardId)
    this.announce(boardId, state.vote!, null)
    return state
  }

  /** Ends the vote now and reveals the results. */
  async end(principal: ResolvedPrincipal, boardId: string, voteId: string): Promise<VoteState> {
    await this.boards.access(principal, boardId, 'session.facilitate')
    const [row] = await this.d.db
      .update(boardVotes)
      .set({ closedAt: new Date() })
      .where(and(eq(boardVotes.id, voteId), eq(boardVotes.boardId, boardId), isNull(boardVotes.closedAt)))
      .returning()
    if (!row) {
      if (!(await this.d.db.select({ id: boardVotes.id }).from(boardVotes).where(and(eq(boardVotes.id, voteId), eq(boardVotes.boardId, boardId))))[0]) throw notFound('Vote')
      throw conflict('This vote has ended')
    }
    await this.announceEnd(row)
    return this.state(principal, boardId)
  }

  private async closeDue(): Promise<void> {
    const due = await this.d.db
      .update(boardVotes)
      .set({ closedAt: sql`${boardVotes.endsAt}` })
      .where(and(isNull(boardVotes.closedAt), lte(boardVotes.endsAt, sql`now()`)))
      .returning()
    for (const row of due) await this.announceEnd(row)
  }

  private async announceEnd(row: VoteRow): Promise<void> {
    this.announce(row.boardId, await this.present(row), await this.results(row))
  }

  private announce(boardId: string, vote: Vote, results: VoteResult[] | null): void {
    this.d.changes.record({ type: 'vote.updated', boardId, vote, results })
  }

  private async state(principal: ResolvedPrincipal, boardId: string): Promise<VoteState> {
    const [row] = await this.d.db.select().from(boardVotes).where(eq(boardVotes.boardId, boardId)).orderBy(desc(boardVotes.createdAt)).limit(1)
    if (!row) return { vote: null, mine: {}, remaining: 0, results: null }
    const me = principalRef(principal)
    const mine: Record<string, number> = {}
    const own = await this.d.db
      .select({ elementId: voteBallots.elementId })
      .from(voteBallots)
      .where(and(eq(voteBallots.voteId, row.id), eq(voteBallots.voterKind, me.kind), eq(voteBallots.voterId, me.id)))
    for (const b of own) mine[b.elementId] = (mine[b.elementId] ?? 0) + 1
    const vote = await this.present(row)
    return { vote, mine, remaining: vote.closed ? 0 : row.votesPerPerson - own.length, results: vote.closed ? await this.results(row) : null }
  }

  private async present(row: VoteRow): Promise<Vote> {
    const [total] = await this.d.db.select({ n: count() }).from(voteBallots).where(eq(voteBallots.voteId, row.id))
    return {
      id: row.id,
      title: row.title,
      votesPerPerson: row.votesPerPerson,
      anonymous: row.anonymous,
      endsAt: row.endsAt.toISOString(),
      closed: row.closedAt !== null || row.endsAt.getTime() <= Date.now(),
      by: { kind: row.actorKind, id: row.actorId, name: row.actorName, guest: row.actorKind === 'guest' },
      createdAt: row.createdAt.toISOString(),
      ballots: total?.n ?? 0,
    }
  }

  /** Most votes first; voters' names only for named votes. */
  private async results(row: VoteRow): Promise<VoteResult[]> {
    const ballots = await this.d.db.select().from(voteBallots).where(eq(voteBallots.voteId, row.id))
    const by = new Map<string, { votes: number; voters: Map<string, HistoryPerson> }>()
    for (const b of ballots) {
      const r = by.get(b.elementId) ?? { votes: 0, voters: new Map() }
      r.votes++
      r.voters.set(`${b.voterKind}:${b.voterId}`, { kind: b.voterKind, id: b.voterId, name: b.voterName, guest: b.voterKind === 'guest' })
      by.set(b.elementId, r)
    }
    return [...by]
      .map(([elementId, r]) => (row.anonymous ? { elementId, votes: r.votes } : { elementId, votes: r.votes, voters: [...r.voters.values()] }))
      .sort((a, b) => b.votes - a.votes || a.elementId.localeCompare(b.elementId))
  }
}
