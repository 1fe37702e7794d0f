import { and, eq, isNull } from 'drizzle-orm'
import { type GrantableRole, roleRank } from '../../../shared/capabilities.js'
import type { Participant, PrincipalKind } from '../../../shared/types.js'
import { activeGuestsOf, type ResolvedPrincipal } from '../auth/principals.js'
import { forbidden, notFound } from '../errors.js'
import type { DbOrTx } from '../store/db.js'
import { guests, invites, memberships, users } from '../store/schema.js'
import { ActivityType, recordActivity } from './activity.js'
import type { BoardService } from './board-service.js'
import { actorOf, type Deps, principalKey } from './deps.js'
import type { BoardEvents } from './events.js'
import { type BoardWithTier, effectiveGuestRole, loadBoard } from './policy.js'

type Row = Omit<Participant, 'online'>

/**
 * Everyone with access to the board, with their effective roles; or, with
 * `only`, just that one principal (presence changes ask for one at a time).
 */
export async function boardParticipants(db: DbOrTx, loaded: BoardWithTier, only?: { kind: PrincipalKind; id: string }): Promise<Row[]> {
  const { board, tier } = loaded
  const wantUser = (id: string) => !only || (only.kind === 'user' && only.id === id)
  const out: Row[] = []
  if (board.ownerId && wantUser(board.ownerId)) {
    const [owner] = await db.select({ id: users.id, name: users.name }).from(users).where(eq(users.id, board.ownerId))
    if (owner) out.push({ kind: 'user', id: owner.id, name: owner.name, role: 'owner', guest: false })
  }
  if (!only || (only.kind === 'user' && only.id !== board.ownerId)) {
    const members = await db
      .select({ id: users.id, name: users.name, role: memberships.role })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.boardId, board.id), only ? eq(memberships.userId, only.id) : undefined))
    for (const m of members) out.push({ kind: 'user', id: m.id, name: m.name, role: m.role, guest: false })
  }
  if (board.accessMode === 'link' && (!only || only.kind === 'guest')) {
    const guestRows = await db
      .select({ guest: guests })
      .from(guests)
      .leftJoin(invites, eq(invites.id, guests.inviteId))
      .where(and(activeGuestsOf(board.id), isNull(invites.revokedAt), only ? eq(guests.id, only.id) : undefined))
    for (const { guest: g } of guestRows) {
      out.push({ kind: 'guest', id: g.id, name: g.name, role: effectiveGuestRole(g.role, g.isCreator, tier), guest: true })
    }
  }
  return out.sort((a, b) => roleRank(b.role) - roleRank(a.role) || a.name.localeCompare(b.name))
}

export class ParticipantService {
  constructor(
    private readonly d: Deps,
    private readonly boards: BoardService,
    private readonly events: BoardEvents,
  ) {}

  private async withOnline(boardId: string, rows: Row[]): Promise<Participant[]> {
    const online = await this.d.presence.onlinePrincipals(boardId)
    return rows.map((r) => ({ ...r, online: online.has(principalKey(r.kind, r.id)) }))
  }

  async list(principal: ResolvedPrincipal, boardId: string): Promise<Participant[]> {
    const access = await this.boards.access(principal, boardId, 'participant.view')
    return this.withOnline(boardId, await boardParticipants(this.d.db, access))
  }

  async one(boardId: string, kind: PrincipalKind, id: string): Promise<Participant | undefined> {
    const loaded = await loadBoard(this.d.db, boardId)
    if (!loaded) return undefined
    const rows = await boardParticipants(this.d.db, loaded, { kind, id })
    return (await this.withOnline(boardId, rows))[0]
  }

  async changeRole(
    principal: ResolvedPrincipal,
    boardId: string,
    kind: PrincipalKind,
    id: string,
    requested: GrantableRole,
  ): Promise<Participant> {
    const access = await this.boards.access(principal, boardId, 'participant.manage')
    if (kind === 'user' && access.board.ownerId === id) throw forbidden("The owner's role cannot be changed")
    const changed = await this.d.db.transaction(async (tx) => {
      let from: GrantableRole
      let to: GrantableRole
      let name: string
      if (kind === 'user') {
        const [m] = await tx
          .select({ role: memberships.role, name: users.name })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .where(and(eq(memberships.boardId, boardId), eq(memberships.userId, id)))
        if (!m) throw notFound('Participant')
        from = m.role
        to = requested
        name = m.name
        await tx
          .update(memberships)
          .set({ role: to })
          .where(and(eq(memberships.boardId, boardId), eq(memberships.userId, id)))
      } else {
        const [g] = await tx.select().from(guests).where(and(eq(guests.id, id), activeGuestsOf(boardId)))
        if (!g) throw notFound('Participant')
        // Stored as what the tier allows, so the answer and the live role agree.
        from = effectiveGuestRole(g.role, g.isCreator, access.tier)
        to = effectiveGuestRole(requested, g.isCreator, access.tier)
        name = g.name
        await tx.update(guests).set({ role: to }).where(eq(guests.id, id))
      }
      if (from !== to) {
        await recordActivity(tx, boardId, ActivityType.roleChanged, actorOf(principal), {
          target: { kind, id, name },
          from,
          to,
        })
      }
      return from !== to
    })
    if (changed) {
      this.d.signals.publish({ type: 'access.changed', boardId, target: { kind, id } })
      this.events.participantUpdated(boardId, kind, id)
    }
    const participant = await this.one(boardId, kind, id)
    if (!participant) throw notFound('Participant')
    return participant
  }

  async remove(principal: ResolvedPrincipal, boardId: string, kind: PrincipalKind, id: string): Promise<void> {
    const leaving = principal.kind === 'user' && kind === 'user' && principal.user.id === id
    const access = leaving
      ? await this.boards.access(principal, boardId, 'board.view')
      : await this.boards.access(principal, boardId, 'participant.manage')
    if (kind === 'user' && access.board.ownerId === id) throw forbidden('The owner cannot be removed')
    const name = await this.d.db.transaction(async (tx) => {
      let name: string
      if (kind === 'user') {
        const [m] = await tx
          .delete(memberships)
          .where(and(eq(memberships.boardId, boardId), eq(memberships.userId, id)))
          .returning()
        if (!m) throw notFound('Participant')
        const [u] = await tx.select({ name: users.name }).from(users).where(eq(users.id, id))
        name = u?.name ?? ''
      } else {
        const [g] = await tx
          .update(guests)
          .set({ removedAt: new Date() })
          .where(and(eq(guests.id, id), activeGuestsOf(boardId)))
          .returning()
        if (!g) throw notFound('Participant')
        name = g.name
      }
      await recordActivity(tx, boardId, leaving ? ActivityType.left : ActivityType.removed, actorOf(principal), {
        target: { kind, id, name },
      })
      return name
    })
    this.d.signals.publish({ type: 'access.changed', boardId, target: { kind, id } })
    this.events.participantLeft(boardId, kind, id, name)
  }
}
