import { addressHash, type Arrival, bannedError, isBanned } from './bans.js'
import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import { type GrantableRole, guestRoleFor } from '../../../shared/capabilities.js'
import { ErrorCode } from '../../../shared/constants.js'
import { roleFromLink } from '../../../shared/rules.js'
import { normalizeDisplayName } from '../../../shared/names.js'
import type { Board, Guest, Invite, InviteInfo } from '../../../shared/types.js'
import { principalId, type ResolvedPrincipal, type UserRow } from '../auth/principals.js'
import { badRequest, gone, notFound } from '../errors.js'
import type { DbOrTx } from '../store/db.js'
import { guests, invites, memberships } from '../store/schema.js'
import { ActivityType, recordActivity } from './activity.js'
import type { BoardService } from './board-service.js'
import { actorOf, type Deps } from './deps.js'
import { type BoardWithTier, effectiveGuestRole, loadBoard } from './policy.js'
import { presentBoard, presentGuest, presentInvite } from './present.js'

type InviteRow = typeof invites.$inferSelect

export interface NewInvite {
  role: GrantableRole
  expiresInSeconds?: number
  maxUses?: number
}

/** Why a link no longer admits anyone, in the order a person would want to hear it. */
function inviteUnusable(invite: InviteRow, now = new Date()) {
  if (invite.revokedAt !== null) return gone(ErrorCode.inviteRevoked, 'This invite link was revoked')
  if (invite.expiresAt !== null && invite.expiresAt <= now) return gone(ErrorCode.inviteExpired, 'This invite link has expired')
  if (invite.maxUses !== null && invite.uses >= invite.maxUses) {
    return gone(ErrorCode.inviteExhausted, 'This invite link has been used up')
  }
  return null
}

export class InviteService {
  constructor(
    private readonly d: Deps,
    private readonly boards: BoardService,
  ) {}

  async create(principal: ResolvedPrincipal, boardId: string, input: NewInvite): Promise<Invite> {
    const access = await this.boards.access(principal, boardId, 'invite.manage')
    // Nobody hands out more than they have; the creating guest of an ownerless board is an editor.
    this.d.policy.authorizeGrant(access, input.role)
    const [row] = await this.d.db.transaction(async (tx) => {
      const inserted = await tx
        .insert(invites)
        .values({
          id: nanoid(),
          boardId,
          token: nanoid(32),
          role: input.role,
          expiresAt: input.expiresInSeconds ? new Date(Date.now() + input.expiresInSeconds * 1000) : null,
          maxUses: input.maxUses ?? null,
          createdByKind: principal.kind,
          createdById: principalId(principal),
        })
        .returning()
      await recordActivity(tx, boardId, ActivityType.inviteCreated, actorOf(principal), {
        inviteId: inserted[0]!.id,
        role: input.role,
      })
      return inserted
    })
    return presentInvite(row!, access.tier, this.d.config.publicUrl)
  }

  async list(principal: ResolvedPrincipal, boardId: string): Promise<Invite[]> {
    const access = await this.boards.access(principal, boardId, 'invite.manage')
    const rows = await this.d.db
      .select()
      .from(invites)
      .where(eq(invites.boardId, boardId))
      .orderBy(desc(invites.createdAt), desc(invites.id))
    return rows.map((r) => presentInvite(r, access.tier, this.d.config.publicUrl))
  }

  async revoke(principal: ResolvedPrincipal, boardId: string, inviteId: string): Promise<void> {
    await this.boards.access(principal, boardId, 'invite.manage')
    const revoked = await this.d.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(invites)
        .where(and(eq(invites.id, inviteId), eq(invites.boardId, boardId)))
      if (!row) throw notFound('Invite')
      if (row.revokedAt !== null) return false
      await tx.update(invites).set({ revokedAt: new Date() }).where(eq(invites.id, inviteId))
      await recordActivity(tx, boardId, ActivityType.inviteRevoked, actorOf(principal), { inviteId })
      return true
    })
    if (revoked) {
      // Guests who came through this link lose access at once, everywhere.
      this.d.changes.record({ type: 'participants.changed', boardId })
    }
  }

  private async byToken(db: DbOrTx, token: string): Promise<{ invite: InviteRow; loaded: BoardWithTier }> {
    if (token.length > 64) throw notFound('Invite')
    const [invite] = await db.select().from(invites).where(eq(invites.token, token)).limit(1)
    const loaded = invite && (await loadBoard(db, invite.boardId))
    if (!invite || !loaded) throw notFound('Invite')
    return { invite, loaded }
  }

  async info(token: string): Promise<InviteInfo> {
    const { invite, loaded } = await this.byToken(this.d.db, token)
    const unusable = inviteUnusable(invite)
    if (unusable) throw unusable
    return {
      board: { id: loaded.board.id, title: loaded.board.title },
      role: invite.role,
      guestRole: guestRoleFor(invite.role, loaded.tier),
      guestsAllowed: this.d.policy.guestEntryRefusal(loaded.board) === null,
    }
  }

  /**
   * Counts one use, atomically: the conditional UPDATE is the only place a
   * use is taken, so two concurrent joins on a `maxUses: 1` link cannot both
   * succeed. Throws the 410 that applies when the link is no longer usable.
   */
  private async consumeUse(tx: DbOrTx, invite: InviteRow): Promise<void> {
    const [taken] = await tx
      .update(invites)
      .set({ uses: sql`${invites.uses} + 1` })
      .where(
        and(
          eq(invites.id, invite.id),
          isNull(invites.revokedAt),
          or(isNull(invites.expiresAt), gt(invites.expiresAt, new Date())),
          or(isNull(invites.maxUses), lt(invites.uses, invites.maxUses)),
        ),
      )
      .returning({ id: invites.id })
    if (taken) return
    const [now] = await tx.select().from(invites).where(eq(invites.id, invite.id))
    throw (now && inviteUnusable(now)) || gone(ErrorCode.inviteRevoked, 'This invite link is no longer valid')
  }

  /** `from`: the browser's own id and the client address, for bans (the address is kept only hashed). */
  /** Told of a guest that joined into the lobby (the lobby service announces it to the hosts). */
  onKnock: ((guest: typeof guests.$inferSelect) => void) | null = null

  async joinAsGuest(token: string, rawName: unknown, from: { browserId?: string | null; address?: string } = {}): Promise<{ token: string; guest: Guest }> {
    const arrival: Arrival = { browserId: from.browserId ?? null, addressHash: from.address ? addressHash(this.d.config.tokenSecret, from.address) : null }
    const name = normalizeDisplayName(rawName)
    if (!name.ok) throw badRequest(`name ${name.reason}`)
    const { invite, loaded } = await this.byToken(this.d.db, token)
    const unusable = inviteUnusable(invite)
    if (unusable) throw unusable
    const guestsRefused = this.d.policy.guestEntryRefusal(loaded.board)
    if (guestsRefused) throw guestsRefused
    if (await isBanned(this.d.db, invite.boardId, arrival)) throw bannedError()
    const role = guestRoleFor(invite.role, loaded.tier)
    const guest = await this.d.db.transaction(async (tx) => {
      await this.consumeUse(tx, invite)
      const [row] = await tx
        .insert(guests)
        .values({
          id: nanoid(),
          boardId: invite.boardId,
          name: name.name,
          role,
          inviteId: invite.id,
          browserId: arrival.browserId ?? null,
          addressHash: arrival.addressHash ?? null,
          // A board with a lobby: the guest waits until a host lets it in.
          ...(loaded.board.lobby ? { admission: 'waiting' as const, knockedAt: new Date() } : {}),
        })
        .returning()
      await recordActivity(tx, invite.boardId, loaded.board.lobby ? ActivityType.knocked : ActivityType.joined, { kind: 'guest', id: row!.id, name: name.name }, {
        guest: true,
        role,
        inviteId: invite.id,
      })
      return row!
    })
    const guestToken = await this.d.tokens.issue({ kind: 'guest', id: guest.id, boardId: guest.boardId })
    if (guest.admission === 'admitted') this.d.changes.record({ type: 'participant.joined', boardId: guest.boardId, who: { kind: 'guest', id: guest.id } })
    else this.onKnock?.(guest)
    return { token: guestToken, guest: presentGuest(guest, effectiveGuestRole(role, false, loaded.tier)) }
  }

  /** Membership with the link's role; never lowers a role, and costs no use when nothing changes. */
  async joinAsUser(token: string, user: UserRow): Promise<Board> {
    const { invite, loaded } = await this.byToken(this.d.db, token)
    const unusable = inviteUnusable(invite)
    if (unusable) throw unusable
    const boardId = invite.boardId
    if (await isBanned(this.d.db, boardId, { userId: user.id })) throw bannedError()
    const result = await this.d.db.transaction(async (tx) => {
      if (loaded.board.ownerId === user.id) return { role: 'owner' as const, changed: false }
      const [existing] = await tx
        .select()
        .from(memberships)
        .where(and(eq(memberships.boardId, boardId), eq(memberships.userId, user.id)))
      const role = roleFromLink(existing?.role ?? null, invite.role)
      if (!role) return { role: existing!.role, changed: false }
      await this.consumeUse(tx, invite)
      await tx
        .insert(memberships)
        .values({ boardId, userId: user.id, role })
        .onConflictDoUpdate({ target: [memberships.boardId, memberships.userId], set: { role } })
      await recordActivity(tx, boardId, ActivityType.joined, actorOf({ kind: 'user', user }), {
        guest: false,
        role,
        inviteId: invite.id,
        previousRole: existing?.role ?? null,
      })
      return { role, changed: true, existed: Boolean(existing) }
    })
    if (result.changed) {
      if ('existed' in result && result.existed) {
        this.d.changes.record({ type: 'participant.changed', boardId, who: { kind: 'user', id: user.id } })
      } else {
        this.d.changes.record({ type: 'participant.joined', boardId, who: { kind: 'user', id: user.id } })
      }
    }
    return presentBoard(loaded, result.role)
  }
}
