import { eq, sql } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import { ErrorCode } from '../../../shared/constants.js'
import { normalizeDisplayName } from '../../../shared/names.js'
import type { Plan, Principal, User } from '../../../shared/types.js'
import { AppError, badRequest, conflict, notFound } from '../errors.js'
import type { Deps } from '../boards/deps.js'
import { loadBoard, effectiveGuestRole } from '../boards/policy.js'
import { presentUser } from '../boards/present.js'
import { boards, clientIds, comments, guests, memberships, users } from '../store/schema.js'
import type { DbOrTx } from '../store/db.js'
import { and } from 'drizzle-orm'
import { type GrantableRole, strongerRole } from '../../../shared/capabilities.js'
import { ActivityType, recordActivity } from '../boards/activity.js'
import type { BoardEvents } from '../boards/events.js'
import { hashPassword, verifyPassword } from './passwords.js'
import type { GuestRow, ResolvedPrincipal, UserRow } from './principals.js'

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 256
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u

function checkPassword(password: string, field = 'password'): void {
  if (password.length < PASSWORD_MIN) throw badRequest(`${field} must be at least ${PASSWORD_MIN} characters`)
  if (password.length > PASSWORD_MAX) throw badRequest(`${field} must be at most ${PASSWORD_MAX} characters`)
}

/** Emails compare case-insensitively and in one Unicode form. */
export function normalizeEmail(raw: string): string {
  const email = raw.normalize('NFC').trim().toLowerCase()
  if (email.length > 254 || !EMAIL.test(email)) throw badRequest('email is not a valid email address')
  return email
}

/**
 * Carries a guest's work into an account: the board becomes one of the
 * user's (membership with the guest's role; editor for the guest that created
 * an ownerless board, so the user may claim it), its comments and its Yjs
 * client ids (so its markup stays its own) are re-attributed, and the guest
 * token stops working.
 */
export async function linkGuest(tx: DbOrTx, guest: GuestRow, user: UserRow): Promise<void> {
  const [board] = await tx.select({ ownerId: boards.ownerId }).from(boards).where(eq(boards.id, guest.boardId))
  if (!board) return
  await tx.update(guests).set({ linkedUserId: user.id }).where(eq(guests.id, guest.id))
  if (board.ownerId !== user.id) {
    const [existing] = await tx
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.boardId, guest.boardId), eq(memberships.userId, user.id)))
    const role: GrantableRole = existing ? strongerRole(existing.role, guest.role) : guest.role
    await tx
      .insert(memberships)
      .values({ boardId: guest.boardId, userId: user.id, role })
      .onConflictDoUpdate({ target: [memberships.boardId, memberships.userId], set: { role } })
  }
  await tx
    .update(comments)
    .set({ authorKind: 'user', authorId: user.id, authorName: user.name })
    .where(and(eq(comments.authorKind, 'guest'), eq(comments.authorId, guest.id)))
  await tx
    .update(clientIds)
    .set({ principalKind: 'user', principalId: user.id })
    .where(and(eq(clientIds.boardId, guest.boardId), eq(clientIds.principalKind, 'guest'), eq(clientIds.principalId, guest.id)))
  await recordActivity(tx, guest.boardId, ActivityType.guestLinked, { kind: 'user', id: user.id, name: user.name }, {
    guest: { id: guest.id, name: guest.name },
  })
}

export class AccountService {
  constructor(
    private readonly d: Deps,
    private readonly events: BoardEvents,
  ) {}

  /**
   * A new account. Presenting a guest token carries that guest's work into
   * it (see linkGuest).
   */
  async register(
    input: { email: string; password: string; name: string },
    presenting: ResolvedPrincipal | null = null,
  ): Promise<{ user: User; token: string }> {
    const email = normalizeEmail(input.email)
    checkPassword(input.password)
    const name = normalizeDisplayName(input.name)
    if (!name.ok) throw badRequest(`name ${name.reason}`)
    const passwordHash = await hashPassword(input.password)
    const guest = presenting?.kind === 'guest' ? presenting.guest : null
    const row = await this.d.db.transaction(async (tx) => {
      const [created] = await tx
        .insert(users)
        .values({ id: nanoid(), email, name: name.name, passwordHash })
        .onConflictDoNothing({ target: users.email })
        .returning()
      if (!created) throw conflict('An account with this email already exists', ErrorCode.emailTaken)
      if (guest) await linkGuest(tx, guest, created)
      return created
    })
    if (guest) this.announceLink(guest, row)
    return { user: presentUser(row), token: await this.userToken(row) }
  }

  /** Presenting a guest token at login carries its work into the existing account too. */
  async login(input: { email: string; password: string }, presenting: ResolvedPrincipal | null = null): Promise<{ user: User; token: string }> {
    const email = input.email.normalize('NFC').trim().toLowerCase()
    const [row] = await this.d.db.select().from(users).where(eq(users.email, email)).limit(1)
    const ok = await verifyPassword(input.password, row?.passwordHash)
    if (!row || !ok) throw new AppError(401, ErrorCode.invalidCredentials, 'Wrong email or password')
    if (presenting?.kind === 'guest') {
      const guest = presenting.guest
      await this.d.db.transaction((tx) => linkGuest(tx, guest, row))
      this.announceLink(guest, row)
    }
    return { user: presentUser(row), token: await this.userToken(row) }
  }

  private userToken(row: UserRow): Promise<string> {
    return this.d.tokens.issue({ kind: 'user', id: row.id, tokenVersion: row.tokenVersion })
  }

  /**
   * A new password; every token issued before stops working, on every
   * instance, and live connections opened with them close. The caller stays
   * signed in with the fresh token returned.
   */
  async changePassword(user: UserRow, input: { currentPassword: string; newPassword: string }): Promise<{ user: User; token: string }> {
    // The stored hash, not the one read when the token was checked: a
    // concurrent change must be proven with the password it set.
    const [current] = await this.d.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, user.id)).limit(1)
    const ok = await verifyPassword(input.currentPassword, current?.passwordHash)
    if (!current || !ok) throw new AppError(401, ErrorCode.invalidCredentials, 'The current password is wrong')
    checkPassword(input.newPassword, 'newPassword')
    const passwordHash = await hashPassword(input.newPassword)
    const row = await this.bumpTokenVersion(user.id, { passwordHash })
    return { user: presentUser(row), token: await this.userToken(row) }
  }

  /** Signs the user out everywhere: every token issued so far, this one included, stops working. */
  async logoutAll(user: UserRow): Promise<void> {
    await this.bumpTokenVersion(user.id, {})
  }

  private async bumpTokenVersion(userId: string, set: { passwordHash?: string }): Promise<UserRow> {
    const [row] = await this.d.db
      .update(users)
      .set({ ...set, tokenVersion: sql`${users.tokenVersion} + 1` })
      .where(eq(users.id, userId))
      .returning()
    if (!row) throw new AppError(401, ErrorCode.unauthenticated, 'The token is invalid or has expired')
    // After the commit: instances that hear it close what older tokens opened;
    // those that miss it (Redis down) re-check from the database when it is back.
    this.d.signals.publish({ type: 'user.signed_out', userId, tokenVersion: row.tokenVersion })
    return row
  }

  private announceLink(guest: GuestRow, user: UserRow): void {
    // Its client ids follow it into the account, and its live connections end
    // (the guest token is superseded); the user reconnects.
    this.d.signals.publish({ type: 'guest.linked', boardId: guest.boardId, guestId: guest.id, userId: user.id })
    this.events.participantLeft(guest.boardId, 'guest', guest.id, guest.name)
    this.events.participantJoined(guest.boardId, 'user', user.id)
  }

  async describe(p: ResolvedPrincipal): Promise<Principal> {
    if (p.kind === 'user') return { kind: 'user', ...presentUser(p.user) }
    const g = p.guest
    const loaded = await loadBoard(this.d.db, g.boardId)
    const role = loaded ? effectiveGuestRole(g.role, g.isCreator, loaded.tier) : g.role
    return { kind: 'guest', id: g.id, name: g.name, boardId: g.boardId, role }
  }

  async setPlan(userId: string, plan: Plan): Promise<User> {
    const [row] = await this.d.db.update(users).set({ plan }).where(eq(users.id, userId)).returning()
    if (!row) throw notFound('User')
    // Tier follows the owner's plan: guest caps on their boards change with it.
    const owned = await this.d.db.select({ id: boards.id }).from(boards).where(eq(boards.ownerId, userId))
    for (const { id } of owned) this.d.signals.publish({ type: 'board.changed', boardId: id })
    return presentUser(row)
  }
}
