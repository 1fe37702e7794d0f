// Personal API keys: a user's long-lived bearer credential for scripts,
// limited to read or write and to all or some of the user's boards. The key
// is `dbk_<id>_<secret>`: the prefix tells it from a JWT, the id finds the
// row, and only a SHA-256 of the 256-bit random secret is stored (a slow hash
// buys nothing against a secret that cannot be guessed). Keys outlive a
// password change and "sign out everywhere" (they are revoked one by one)
// and go with the account.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { and, asc, count, eq, isNull, lt, or } from 'drizzle-orm'
import type { Role } from '../../../shared/capabilities.js'
import { normalizeTitle } from '../../../shared/names.js'
import type { ApiKey, ApiKeyScope, CreatedApiKey } from '../../../shared/types.js'
import type { Changes } from '../domain/changes.js'
import { badRequest, conflict, forbidden, notFound } from '../errors.js'
import type { Db, DbOrTx } from '../store/db.js'
import { apiKeys, users } from '../store/schema.js'
import type { ResolvedPrincipal, TokenCheck } from './principals.js'
import { accountColumns, type UserRow } from './user-row.js'

export const API_KEY_PREFIX = 'dbk_'
export const API_KEY_NAME_MAX = 100
export const MAX_API_KEYS_PER_USER = 50
export const MAX_API_KEY_BOARDS = 100
/** `last_used_at` is written at most this often per key, so that using a key is not a write per request. */
export const LAST_USED_EVERY_MS = 60_000

const ID_HEX = 16
const SECRET_BYTES = 32
const KEY_FORMAT = /^dbk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

type ApiKeyRow = typeof apiKeys.$inferSelect

/** What a principal that came with an API key may do, carried with it everywhere it acts. */
export interface ApiKeyLimits {
  id: string
  scope: ApiKeyScope
  /** Board ids it reaches; null: all of its user's. */
  boards: string[] | null
}

/** A key parsed from a bearer token (no database yet). */
export interface ApiKeyClaims {
  kind: 'apiKey'
  id: string
  secret: string
}

export function isApiKeyToken(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX)
}

export function parseApiKey(token: string): ApiKeyClaims | null {
  const m = KEY_FORMAT.exec(token)
  return m ? { kind: 'apiKey', id: m[1]!, secret: m[2]! } : null
}

const hashSecret = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest()

const limitsOf = (row: ApiKeyRow): ApiKeyLimits => ({ id: row.id, scope: row.scope, boards: row.boardIds ?? null })

/**
 * The user behind a key, checked against the database: the key must exist
 * (revoked keys are deleted) and its secret match, compared in constant time.
 */
export async function resolveApiKey(db: DbOrTx, claims: ApiKeyClaims): Promise<TokenCheck> {
  const [row] = await db
    .select({ key: apiKeys, user: accountColumns(users) })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.id, claims.id))
    .limit(1)
  if (!row) return { ok: false, why: 'invalid' }
  const stored = Buffer.from(row.key.secretHash, 'hex')
  const given = hashSecret(claims.secret)
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) return { ok: false, why: 'invalid' }
  await touch(db, row.key)
  return { ok: true, principal: { kind: 'user', user: row.user, apiKey: limitsOf(row.key) } }
}

async function touch(db: DbOrTx, key: ApiKeyRow): Promise<void> {
  const now = Date.now()
  if (key.lastUsedAt && now - key.lastUsedAt.getTime() < LAST_USED_EVERY_MS) return
  // Conditional, so that requests racing past the check above write once.
  const stale = new Date(now - LAST_USED_EVERY_MS)
  await db
    .update(apiKeys)
    .set({ lastUsedAt: new Date(now) })
    .where(and(eq(apiKeys.id, key.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, stale))))
}

/** The key's limits now, or null once it was revoked (a live connection's re-check). */
export async function currentApiKey(db: DbOrTx, keyId: string, userId: string): Promise<ApiKeyLimits | null> {
  const [row] = await db.select().from(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.userId, userId))).limit(1)
  return row ? limitsOf(row) : null
}

/** The API key a principal came with, if any. */
export function apiKeyOf(p: ResolvedPrincipal): ApiKeyLimits | null {
  return p.kind === 'user' ? (p.apiKey ?? null) : null
}

/** Whether the key (if any) reaches this board at all. */
export function keyReaches(p: ResolvedPrincipal, boardId: string): boolean {
  const key = apiKeyOf(p)
  return !key || key.boards === null || key.boards.includes(boardId)
}

/**
 * The role a principal has on a board once its API key's limits apply: none
 * on a board the key does not reach, at most Reader for a read key. The
 * policy module applies it to every role it computes, so HTTP, /collab and
 * socket.io all see the capped role.
 */
export function limitRole(p: ResolvedPrincipal, boardId: string, role: Role | null): Role | null {
  const key = apiKeyOf(p)
  if (!key || role === null) return role
  if (!keyReaches(p, boardId)) return null
  return key.scope === 'read' ? 'reader' : role
}

export function presentApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    boards: row.boardIds ?? null,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt ? row.lastUsedAt.toISOString() : null,
  }
}

export interface ApiKeyDeps {
  db: Db
  changes: Changes
  /** Whether the user has a role on the board (the boards layer answers; auth sits below it). */
  reaches: (user: UserRow, boardId: string) => Promise<boolean>
}

export interface NewApiKey {
  name: string
  scope: ApiKeyScope
  /** Omitted or null: all boards. */
  boards?: string[] | null
}

/** Creating, listing and revoking a user's keys. Callers make sure the user signed in with a user token, not a key. */
export class ApiKeyService {
  constructor(private readonly d: ApiKeyDeps) {}

  async create(user: UserRow, input: NewApiKey): Promise<CreatedApiKey> {
    const name = normalizeTitle(input.name, API_KEY_NAME_MAX)
    if (!name.ok) throw badRequest(`name ${name.reason}`)
    const boards = input.boards == null ? null : [...new Set(input.boards)]
    if (boards !== null) {
      if (boards.length === 0) throw badRequest('boards must list at least one board, or be left out for all boards')
      if (boards.length > MAX_API_KEY_BOARDS) throw badRequest(`boards may list at most ${MAX_API_KEY_BOARDS} boards`)
      for (const boardId of boards) {
        // One answer for missing and foreign boards: a key must not probe which ids exist.
        if (!(await this.d.reaches(user, boardId))) throw forbidden(`You do not have access to board ${boardId}`)
      }
    }
    const [held] = await this.d.db.select({ n: count() }).from(apiKeys).where(eq(apiKeys.userId, user.id))
    if ((held?.n ?? 0) >= MAX_API_KEYS_PER_USER) throw conflict(`You may have at most ${MAX_API_KEYS_PER_USER} API keys; revoke one first`)
    const id = randomBytes(ID_HEX / 2).toString('hex')
    const secret = randomBytes(SECRET_BYTES).toString('base64url')
    const [row] = await this.d.db
      .insert(apiKeys)
      .values({ id, userId: user.id, name: name.name, scope: input.scope, boardIds: boards, secretHash: hashSecret(secret).toString('hex') })
      .returning()
    return { key: presentApiKey(row!), secret: `${API_KEY_PREFIX}${id}_${secret}` }
  }

  async list(user: UserRow): Promise<ApiKey[]> {
    const rows = await this.d.db.select().from(apiKeys).where(eq(apiKeys.userId, user.id)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
    return rows.map(presentApiKey)
  }

  /** Deletes the key; requests with it fail at once and live connections opened with it close (4401). */
  async revoke(user: UserRow, keyId: string): Promise<void> {
    const [row] = await this.d.db
      .delete(apiKeys)
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.userId, user.id)))
      .returning({ id: apiKeys.id })
    if (!row) throw notFound('API key')
    this.d.changes.record({ type: 'user.signed_out', userId: user.id, tokenVersion: user.tokenVersion, apiKeyId: row.id })
  }
}
