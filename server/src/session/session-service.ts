// Hosts running a session with strangers: take someone out now (kick), keep
// them out (ban: the guest, its browser and, for a while, its address), end
// every guest's session at once, the shared timer, "bring everyone to me".
// Every rule is asked of the policy; every effect on live connections goes
// out as a change (signals reach every instance through the bus).
import { and, eq, isNull, not, sql } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import type { PrincipalKind } from '../../../shared/types.js'
import { type Ban, type BoardTimer, MAX_TIMER_MS, type Summon, type TimerAction, type Viewport } from '../../../shared/session.js'
import { activeGuestsOf, principalKey, principalSummary, type ResolvedPrincipal } from '../auth/principals.js'
import { ActivityType, recordActivity } from '../boards/activity.js'
import type { BoardService } from '../boards/board-service.js'
import { actorOf, type Deps } from '../boards/deps.js'
import { participantOf } from '../boards/participant-service.js'
import { badRequest, conflict, notFound } from '../errors.js'
import { boardBans, boards, boardSummons, boardTimers, guests, invites, memberships } from '../store/schema.js'

type TimerRow = typeof boardTimers.$inferSelect

export class SessionService {
  constructor(
    private readonly d: Deps,
    private readonly boards: BoardService,
  ) {}

  private notSelf(principal: ResolvedPrincipal, kind: PrincipalKind, id: string, what: string): void {
    if (principalKey(principal) === principalKey({ kind, id })) throw badRequest(`You cannot ${what} yourself`)
  }

  // ---- kick, ban, end guest session ------------------------------------------

  /** Closes the person's connections on every instance now; they may come back. */
  async kick(principal: ResolvedPrincipal, boardId: string, kind: PrincipalKind, id: string): Promise<void> {
    const access = await this.boards.access(principal, boardId, 'participant.manage')
    this.d.policy.authorizeTarget('kick', kind === 'user' && access.board.ownerId === id ? 'owner' : null)
    this.notSelf(principal, kind, id, 'take out')
    const target = await participantOf(this.d.db, this.d.presence, boardId, { kind, id })
    if (!target) throw notFound('Participant')
    await recordActivity(this.d.db, boardId, ActivityType.kicked, actorOf(principal), { target: { kind, id, name: target.name } })
    this.d.changes.record({ type: 'participant.kicked', boardId, who: { kind, id } })
  }

  /**
   * Removes the person and keeps them out: a guest's tokens stop working and
   * its browser (and address, for BAN_ADDRESS_FOR) cannot join again; a
   * user cannot join through a link again.
   */
  async ban(principal: ResolvedPrincipal, boardId: string, kind: PrincipalKind, id: string): Promise<void> {
    const access = await this.boards.access(principal, boardId, 'participant.manage')
    this.d.policy.authorizeTarget('ban', kind === 'user' && access.board.ownerId === id ? 'owner' : null)
    this.notSelf(principal, kind, id, 'ban')
    const addressFor = this.d.config.banAddressMs
    const name = await this.d.db.transaction(async (tx) => {
      const at = new Date()
      let name: string
      const rows: (typeof boardBans.$inferInsert)[] = []
      if (kind === 'guest') {
        const [g] = await tx.select().from(guests).where(and(eq(guests.id, id), eq(guests.boardId, boardId)))
        if (!g) throw notFound('Participant')
        name = g.name
        if (!g.removedAt) await tx.update(guests).set({ removedAt: at }).where(eq(guests.id, id))
        rows.push({ id: nanoid(), boardId, kind: 'guest', value: id, name, createdAt: at })
        if (g.browserId) rows.push({ id: nanoid(), boardId, kind: 'browser', value: g.browserId, name, createdAt: at })
        if (g.addressHash && addressFor > 0) {
          rows.push({ id: nanoid(), boardId, kind: 'address', value: g.addressHash, name, expiresAt: new Date(at.getTime() + addressFor), createdAt: at })
        }
      } else {
        const target = await participantOf(tx, this.d.presence, boardId, { kind, id })
        if (!target) throw notFound('Participant')
        name = target.name
        await tx.delete(memberships).where(and(eq(memberships.boardId, boardId), eq(memberships.userId, id)))
        rows.push({ id: nanoid(), boardId, kind: 'user', value: id, name, createdAt: at })
      }
      await tx.insert(boardBans).values(rows)
      await recordActivity(tx, boardId, ActivityType.banned, actorOf(principal), { target: { kind, id, name } })
      return name
    })
    this.d.changes.record({ type: 'participant.removed', boardId, who: { kind, id }, name })
  }

  /** One entry per ban (a guest's browser and address go with it). */
  async bans(principal: ResolvedPrincipal, boardId: string): Promise<Ban[]> {
    await this.boards.access(principal, boardId, 'participant.manage')
    const rows = await this.d.db
      .select()
      .from(boardBans)
      .where(and(eq(boardBans.boardId, boardId), sql`${boardBans.kind} IN ('guest', 'user')`))
      .orderBy(boardBans.createdAt)
    return rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name, expiresAt: r.expiresAt?.toISOString() ?? null, createdAt: r.createdAt.toISOString() }))
  }

  /** Lifts a ban (and the browser and address marks saved with it); a guest joins again as a new guest. */
  async unban(principal: ResolvedPrincipal, boardId: string, banId: string): Promise<void> {
    await this.boards.access(principal, boardId, 'participant.manage')
    await this.d.db.transaction(async (tx) => {
      const [ban] = await tx.select().from(boardBans).where(and(eq(boardBans.boardId, boardId), eq(boardBans.id, banId)))
      if (!ban) throw notFound('Ban')
      await tx.delete(boardBans).where(and(eq(boardBans.boardId, boardId), eq(boardBans.name, ban.name), eq(boardBans.createdAt, ban.createdAt)))
      await recordActivity(tx, boardId, ActivityType.unbanned, actorOf(principal), { name: ban.name })
    })
  }

  /** Every guest out, every link revoked, at once (the creator guest of a still ownerless board stays: it is its only host). */
  async endGuestSession(principal: ResolvedPrincipal, boardId: string): Promise<{ guests: number; links: number }> {
    const access = await this.boards.access(principal, boardId, 'session.endGuests')
    const ownerless = access.board.ownerId === null
    const result = await this.d.db.transaction(async (tx) => {
      const at = new Date()
      const links = await tx
        .update(invites)
        .set({ revokedAt: at })
        .where(and(eq(invites.boardId, boardId), isNull(invites.revokedAt)))
        .returning({ id: invites.id })
      const out = await tx
        .update(guests)
        .set({ removedAt: at })
        .where(and(activeGuestsOf(boardId), ownerless ? not(eq(guests.isCreator, true)) : undefined))
        .returning({ id: guests.id })
      await recordActivity(tx, boardId, ActivityType.guestSessionEnded, actorOf(principal), { guests: out.length, links: links.length })
      return { guests: out.length, links: links.length }
    })
    this.d.changes.record({ type: 'participants.changed', boardId })
    return result
  }

  // ---- the shared timer ------------------------------------------------------

  async timer(principal: ResolvedPrincipal, boardId: string): Promise<BoardTimer> {
    await this.boards.access(principal, boardId, 'board.view')
    const [row] = await this.d.db.select().from(boardTimers).where(eq(boardTimers.boardId, boardId))
    return presentTimer(row ?? null)
  }

  async setTimer(principal: ResolvedPrincipal, boardId: string, action: TimerAction, durationMs?: number): Promise<BoardTimer> {
    await this.boards.access(principal, boardId, 'session.facilitate')
    const actor = actorOf(principal)
    const at = Date.now()
    const row = await this.d.db.transaction(async (tx) => {
      // The board row orders two hosts pressing at once, on any instance.
      await tx.select({ id: boards.id }).from(boards).where(eq(boards.id, boardId)).for('no key update')
      const [now] = await tx.select().from(boardTimers).where(eq(boardTimers.boardId, boardId))
      const next = nextTimer(now ?? null, action, durationMs, at)
      const values = { ...next, actorKind: actor.kind, actorId: actor.id, actorName: actor.name, updatedAt: new Date() }
      const [saved] = await tx.insert(boardTimers).values({ boardId, ...values }).onConflictDoUpdate({ target: boardTimers.boardId, set: values }).returning()
      await recordActivity(tx, boardId, ActivityType.timer, actor, { action, durationMs: next.durationMs })
      return saved!
    })
    // As of the moment it changed: endsAt − serverTime is then exactly what was left.
    const timer = presentTimer(row, at)
    this.d.changes.record({ type: 'timer.changed', boardId, timer })
    return timer
  }

  // ---- bring everyone to me --------------------------------------------------

  async summon(principal: ResolvedPrincipal, boardId: string, viewport: Viewport, hold: boolean): Promise<Summon> {
    await this.boards.access(principal, boardId, 'session.facilitate')
    const s = principalSummary(principal)
    const summon: Summon = { by: { kind: s.kind, id: s.id, name: s.name, guest: s.kind === 'guest' }, viewport, hold, at: new Date().toISOString() }
    const stored = summon as unknown as Record<string, unknown>
    await this.d.db
      .insert(boardSummons)
      .values({ boardId, summon: stored })
      .onConflictDoUpdate({ target: boardSummons.boardId, set: { summon: stored, updatedAt: new Date() } })
    this.d.changes.record({ type: 'summon', boardId, summon })
    return summon
  }

  /** The summon in force (null: none), for whoever joins or reconnects while it is. */
  async currentSummon(principal: ResolvedPrincipal, boardId: string): Promise<Summon | null> {
    await this.boards.access(principal, boardId, 'board.view')
    const [row] = await this.d.db.select().from(boardSummons).where(eq(boardSummons.boardId, boardId))
    return row ? (row.summon as unknown as Summon) : null
  }

  async release(principal: ResolvedPrincipal, boardId: string): Promise<void> {
    await this.boards.access(principal, boardId, 'session.facilitate')
    await this.d.db.delete(boardSummons).where(eq(boardSummons.boardId, boardId))
    this.d.changes.record({ type: 'summon', boardId, summon: null })
  }
}

type TimerState = Pick<TimerRow, 'state' | 'durationMs' | 'endsAt' | 'remainingMs'>

/** The timer after `action`; refuses what makes no sense now (409). */
export function nextTimer(now: TimerState | null, action: TimerAction, durationMs: number | undefined, at: number): TimerState {
  switch (action) {
    case 'start': {
      if (durationMs === undefined || !Number.isInteger(durationMs) || durationMs < 1000 || durationMs > MAX_TIMER_MS) {
        throw badRequest(`durationMs: a whole number of milliseconds from 1000 to ${MAX_TIMER_MS}`)
      }
      return { state: 'running', durationMs, endsAt: new Date(at + durationMs), remainingMs: null }
    }
    case 'pause':
      if (now?.state !== 'running' || !now.endsAt) throw conflict('The timer is not running')
      return { ...now, state: 'paused', endsAt: null, remainingMs: Math.max(0, now.endsAt.getTime() - at) }
    case 'resume':
      if (now?.state !== 'paused') throw conflict('The timer is not paused')
      return { ...now, state: 'running', endsAt: new Date(at + (now.remainingMs ?? 0)), remainingMs: null }
    case 'stop':
      return { state: 'stopped', durationMs: now?.durationMs ?? 0, endsAt: null, remainingMs: null }
    default: {
      const unreachable: never = action
      throw badRequest(`unknown action ${String(unreachable)}`)
    }
  }
}

export function presentTimer(row: TimerRow | null, at = Date.now()): BoardTimer {
  const serverTime = new Date(at).toISOString()
  if (!row) return { state: 'stopped', durationMs: 0, endsAt: null, remainingMs: 0, by: null, serverTime }
  const remainingMs = row.state === 'running' && row.endsAt ? Math.max(0, row.endsAt.getTime() - at) : row.state === 'paused' ? (row.remainingMs ?? 0) : 0
  const by = row.actorKind && row.actorId ? { kind: row.actorKind, id: row.actorId, name: row.actorName ?? '', guest: row.actorKind === 'guest' } : null
  return { state: row.state, durationMs: row.durationMs, endsAt: row.endsAt?.toISOString() ?? null, remainingMs, by, serverTime }
}
