import { eq } from 'drizzle-orm'
import { nanoid } from 'nanoid'
import { ErrorCode } from '../../../shared/constants.js'
import { normalizeDisplayName } from '../../../shared/names.js'
import type { Plan, Principal, User } from '../../../shared/types.js'
import { AppError, badRequest, conflict, notFound } from '../errors.js'
import type { Deps } from '../boards/deps.js'
import { loadBoard, effectiveGuestRole } from '../boards/policy.js'
import { presentUser } from '../boards/present.js'
import { boards, users } from '../store/schema.js'
import { hashPassword, verifyPassword } from './passwords.js'
import type { ResolvedPrincipal } from './principals.js'

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 256
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u

/** Emails compare case-insensitively and in one Unicode form. */
export function normalizeEmail(raw: string): string {
  const email = raw.normalize('NFC').trim().toLowerCase()
  if (email.length > 254 || !EMAIL.test(email)) throw badRequest('email is not a valid email address')
  return email
}

export class AccountService {
  constructor(private readonly d: Deps) {}

  async register(
    input: { email: string; password: string; name: string },
    _presenting: ResolvedPrincipal | null = null,
  ): Promise<{ user: User; token: string }> {
    const email = normalizeEmail(input.email)
    if (input.password.length < PASSWORD_MIN) throw badRequest(`password must be at least ${PASSWORD_MIN} characters`)
    if (input.password.length > PASSWORD_MAX) throw badRequest(`password must be at most ${PASSWORD_MAX} characters`)
    const name = normalizeDisplayName(input.name)
    if (!name.ok) throw badRequest(`name ${name.reason}`)
    const passwordHash = await hashPassword(input.password)
    const [row] = await this.d.db
      .insert(users)
      .values({ id: nanoid(), email, name: name.name, passwordHash })
      .onConflictDoNothing({ target: users.email })
      .returning()
    if (!row) throw conflict('An account with this email already exists', ErrorCode.emailTaken)
    return { user: presentUser(row), token: await this.d.tokens.issue({ kind: 'user', id: row.id }) }
  }

  async login(input: { email: string; password: string }): Promise<{ user: User; token: string }> {
    const email = input.email.normalize('NFC').trim().toLowerCase()
    const [row] = await this.d.db.select().from(users).where(eq(users.email, email)).limit(1)
    const ok = await verifyPassword(input.password, row?.passwordHash)
    if (!row || !ok) throw new AppError(401, ErrorCode.invalidCredentials, 'Wrong email or password')
    return { user: presentUser(row), token: await this.d.tokens.issue({ kind: 'user', id: row.id }) }
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
