// The admin API (Authorization: Bearer $ADMIN_TOKEN). Off, as if it did not
// exist, when ADMIN_TOKEN is unset. Used by `npm run admin`.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { PGlite } from '@electric-sql/pglite'
import { and, asc, gt, isNull } from 'drizzle-orm'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Settings } from '../admin/settings.js'
import type { AccountService } from '../auth/account-service.js'
import { normalizeEmail } from '../auth/account-service.js'
import { loadUserByEmail } from '../auth/principals.js'
import { badRequest, notFound, unauthenticated } from '../errors.js'
import type { Mailer } from '../mail/mailer.js'
import type { Store } from '../store/db.js'
import { boards } from '../store/schema.js'
import type { Sweeper } from '../sweeper/sweeper.js'
import type { App } from './types.js'

export interface AdminRouteOptions {
  adminToken: string | undefined
  accounts: AccountService
  settings: Settings
  sweeper: Sweeper
  store: Store
  /** The mail outbox (`npm run admin -- mail`). */
  mailer: Mailer
}

const digest = (s: string) => createHash('sha256').update(s).digest()

export function adminRoutes(app: App, { adminToken, accounts, settings, sweeper, store, mailer }: AdminRouteOptions): void {
  app.register(async (scope) => {
    const admin = scope.withTypeProvider<TypeBoxTypeProvider>()
    admin.addHook('onRequest', async (request) => {
      if (adminToken === undefined) throw notFound('Route')
      const given = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? ''
      if (!timingSafeEqual(digest(given), digest(adminToken))) throw unauthenticated('A valid admin token is required')
    })

    admin.get(
      '/api/admin/users',
      { schema: { querystring: Type.Object({ email: Type.String({ maxLength: 320 }) }) } },
      async (request) => {
        const row = await loadUserByEmail(store.db, normalizeEmail(request.query.email))
        if (!row) throw notFound('User')
        return { user: { id: row.id, email: row.email, name: row.name, plan: row.plan } }
      },
    )

    admin.patch(
      '/api/admin/users/:id',
      {
        schema: {
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          body: Type.Object({ plan: Type.Union([Type.Literal('free'), Type.Literal('pro')]) }),
        },
      },
      async (request) => ({ user: await accounts.setPlan(request.params.id, request.body.plan) }),
    )

    admin.get(
      '/api/admin/boards',
      {
        schema: {
          querystring: Type.Object({
            ownerless: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
            cursor: Type.Optional(Type.String({ maxLength: 64 })),
          }),
        },
      },
      async (request) => {
        const limit = Math.min(1000, Math.max(1, Number(request.query.limit ?? 200)))
        const where = [request.query.ownerless === 'true' ? isNull(boards.ownerId) : undefined, request.query.cursor ? gt(boards.id, request.query.cursor) : undefined]
        const rows = await store.db
          .select()
          .from(boards)
          .where(and(...where.filter((w) => w !== undefined)))
          .orderBy(asc(boards.id))
          .limit(limit + 1)
        const page = rows.slice(0, limit)
        const now = Date.now()
        return {
          boards: page.map((b) => ({
            id: b.id,
            title: b.title,
            ownerId: b.ownerId,
            ownerless: b.ownerId === null,
            expiresAt: b.expiresAt?.toISOString() ?? null,
            secondsLeft: b.ownerId === null && b.expiresAt ? Math.max(0, Math.floor((b.expiresAt.getTime() - now) / 1000)) : null,
            createdAt: b.createdAt.toISOString(),
          })),
          nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
        }
      },
    )

    admin.post('/api/admin/sweep', async () => sweeper.sweep())

    // What the server would have mailed without SMTP_URL, newest first; with SMTP nothing is kept.
    admin.get(
      '/api/admin/mail',
      { schema: { querystring: Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })) }) } },
      async (request) => ({ smtp: mailer.smtp, messages: await mailer.outbox(Math.max(1, Number(request.query.limit ?? 100))) }),
    )

    admin.put(
      '/api/admin/guests',
      { schema: { body: Type.Object({ enabled: Type.Boolean() }) } },
      async (request) => ({ enabled: await settings.setGuestsEnabled(request.body.enabled) }),
    )

    // A consistent copy of the embedded database, as a gzipped tarball.
    admin.get('/api/admin/backup', async (_request, reply) => {
      if (store.kind !== 'pglite') throw badRequest('The server runs on PostgreSQL: back it up with pg_dump')
      const dump = await store.exclusive(() => (store.client as PGlite).dumpDataDir('gzip'))
      const bytes = Buffer.from(await dump.arrayBuffer())
      return reply
        .header('content-type', 'application/gzip')
        .header('content-disposition', `attachment; filename="drawbridge-${new Date().toISOString().slice(0, 10)}.tar.gz"`)
        .send(bytes)
    })
  })
}
