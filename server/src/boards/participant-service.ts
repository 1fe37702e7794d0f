import { and, eq, isNull } from 'drizzle-orm'
import { can, type GrantableRole, roleRank } from '../../../shared/capabilities.js'
import { removalAction } from '../../../shared/rules.js'
import type { Participant, PrincipalKind } from '../../../shared/types.js'
import { activeGuestsOf, type ResolvedPrincipal } from '../auth/principals.js'
import { notFound } from '../errors.js'
import type { DbOrTx } from '../store/db.js'
import { guests, invites, memberships, users } from '../store/schema.js'
import { ActivityType, recordActivity } from './activity.js'
import type { BoardService } from './board-service.js'
import { principalKey, type PrincipalRef } from '../auth/principals.js'
import { actorOf, type Deps, type PresenceLookup } from './deps.js'
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
      .where(and(activeGuestsOf(board.id), eq(guests.admission, 'admitted'), isNull(invites.revokedAt), only ? eq(guests.id, only.id) : undefined))
    for (const { guest: g } of guestRows) {
      out.push({ kind: 'guest', id: g.id, name: g.name, role: effectiveGuestRole(g.role, g.isCreator, tier), guest: true })
    }
  }
  return out.sort((a, b) => roleRank(b.role) - roleRank(a.role) || a.name.localeCompare(b.name))
}

/** The board's hosts (principal keys): those the rulebook lets manage participants, who let people in from the lobby. */
export async function boardHosts(db: DbOrTx, loaded: BoardWithTier): Promise<Set<string>> {
  const people = await boardParticipants(db, loaded)
  return new Set(people.filter((p) => can({ role: p.role, guest: p.guest, creatorGuest: false }, 'participant.manage')).map((p) => principalKey(p)))
}

/** One participant as the list shows it, `online` included (for socket.io's participant events). */
export async function participantOf(db: DbOrTx, presence: PresenceLookup, boardId: string, who: PrincipalRef): Promise<Participant | undefined> {
  const loaded = await loadBoard(db, boardId)
  if (!loaded) return undefined
  const [row] = await boardParticipants(db, loaded, who)
  if (!row) return undefined
  const online = await presence.onlinePrincipals(boardId)
  return { ...row, online: online.has(principalKey(row)) }
}

export class ParticipantService {
  constructor(
    private readonly d: Deps,
    private readonly boards: BoardService,
  ) {}

  private async withOnline(boardId: string, rows: Row[]): Promise<Participant[]> {
    const online = await this.d.presence.onlinePrincipals(boardId)
    return rows.map((r) => ({ ...r, online: online.has(principalKey(r)) }))
  }

  async list(principal: ResolvedPrincipal, boardId: string): Promise<Participant[]> {
    const access = await this.boards.access(principal, boardId, 'participant.view')
    return this.withOnline(boardId, await boardParticipants(this.d.db, access))
  }

  one(boardId: string, kind: PrincipalKind, id: string): Promise<Participant | undefined> {
    return participantOf(this.d.db, this.d.presence, boardId, { kind, id })
  }

  async changeRole(
    principal: ResolvedPrincipal,
    boardId: string,
    kind: PrincipalKind,
    id: string,
    requested: GrantableRole,
  ): Promise<Participant> {
    const access = await this.boards.access(principal, boardId, 'participant.manage')
    this.d.policy.authorizeTarget('role', kind === 'user' && access.board.ownerId === id ? 'owner' : null)
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
      this.d.changes.record({ type: 'participant.changed', boardId, who: { kind, id } })
    }
    const participant = await this.one(boardId, kind, id)
    if (!participant) throw notFound('Participant')
    return participant
  }

  async remove(principal: ResolvedPrincipal, boardId: string, kind: PrincipalKind, id: string): Promise<void> {
    const leaving = principal.kind === 'user' && kind === 'user' && principal.user.id === id
    const access = await this.boards.access(principal, boardId, removalAction(leaving))
    this.d.policy.authorizeTarget('remove', kind === 'user' && access.board.ownerId === id ? 'owner' : null)
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
    this.d.changes.record({ type: 'participant.removed', boardId, who: { kind, id }, name })
  }
}
