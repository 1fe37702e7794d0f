import { timingSafeEqual, createHash } from 'node:crypto'
import { Type } from 'typebox'
import type { AccountService } from '../auth/account-service.js'
import { unauthenticated, notFound } from '../errors.js'
import type { App } from './types.js'

export interface AuthRouteOptions {
  accounts: AccountService
  authRateLimit: number
  adminToken: string | undefined
}

const Credentials = {
  email: Type.String({ maxLength: 320 }),
  password: Type.String({ maxLength: 4096 }),
}

export function authRoutes(app: App, { accounts, authRateLimit, adminToken }: AuthRouteOptions): void {
  const rateLimit = { max: authRateLimit, timeWindow: 60_000 }

  app.post(
    '/api/auth/register',
    {
      config: { rateLimit },
      schema: { body: Type.Object({ ...Credentials, name: Type.String({ maxLength: 1000 }) }) },
    },
    async (request, reply) => {
      const result = await accounts.register(request.body, await request.optionalPrincipal())
      return reply.status(201).send(result)
    },
  )

  app.post(
    '/api/auth/login',
    { config: { rateLimit }, schema: { body: Type.Object(Credentials) } },
    async (request) => accounts.login(request.body, await request.optionalPrincipal()),
  )

  app.get('/api/me', async (request) => ({ principal: await accounts.describe(await request.principal()) }))

  const digest = (s: string) => createHash('sha256').update(s).digest()
  app.patch(
    '/api/admin/users/:id',
    {
      schema: {
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        body: Type.Object({ plan: Type.Union([Type.Literal('free'), Type.Literal('pro')]) }),
      },
    },
    async (request) => {
      // Off entirely (as if the route did not exist) when no ADMIN_TOKEN is configured.
      if (adminToken === undefined) throw notFound('Route')
      const header = request.headers.authorization ?? ''
      const given = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? ''
      if (!timingSafeEqual(digest(given), digest(adminToken))) throw unauthenticated('A valid admin token is required')
      return { user: await accounts.setPlan(request.params.id, request.body.plan) }
    },
  )
}
