import { Type } from 'typebox'
import type { Principal } from '../../../shared/types.js'
import type { AccountService } from '../auth/account-service.js'
import type { ResolvedPrincipal } from '../auth/principals.js'
import type { App } from './types.js'

export interface AuthRouteOptions {
  accounts: AccountService
  /** How a principal describes itself (a guest with its board and role). */
  describe: (p: ResolvedPrincipal) => Promise<Principal>
  authRateLimit: number
}

const Credentials = {
  email: Type.String({ maxLength: 320 }),
  password: Type.String({ maxLength: 4096 }),
}

export function authRoutes(app: App, { accounts, describe, authRateLimit }: AuthRouteOptions): void {
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

  app.get('/api/me', async (request) => ({ principal: await describe(await request.principal()) }))

  // Rate-limited like login: a stolen token must not buy unlimited guesses at the password.
  app.post(
    '/api/auth/password',
    {
      config: { rateLimit },
      schema: { body: Type.Object({ currentPassword: Type.String({ maxLength: 4096 }), newPassword: Type.String({ maxLength: 4096 }) }) },
    },
    async (request) => accounts.changePassword(await request.user(), request.body),
  )

  app.post('/api/auth/logout-all', { config: { rateLimit } }, async (request, reply) => {
    await accounts.logoutAll(await request.user())
    return reply.status(204).send()
  })
}
