import type { FastifyRequest } from 'fastify'
import type { App } from './types.js'
import type { PrincipalResolver, ResolvedPrincipal, UserRow } from '../auth/principals.js'
import { ErrorCode } from '../../../shared/constants.js'
import { forbidden, guestForbidden, unauthenticated } from '../errors.js'
import { apiKeyRefusal } from './api-key-routes.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The principal behind the bearer token, or null when there is none. Throws for a bad token. */
    optionalPrincipal(): Promise<ResolvedPrincipal | null>
    /** The principal; 401 without a valid token. */
    principal(): Promise<ResolvedPrincipal>
    /** A registered user; guests get 403 guest_forbidden. */
    user(): Promise<UserRow>
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization
  if (header === undefined) return null
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>"')
  return match[1]!
}

export function installAuth(app: App, resolver: PrincipalResolver): void {
  const cache = new WeakMap<FastifyRequest, Promise<ResolvedPrincipal | null>>()
  async function resolve(request: FastifyRequest): Promise<ResolvedPrincipal | null> {
    const token = bearerToken(request)
    if (token === null) return null
    const check = await resolver.resolve(token)
    if (check.ok) {
      const refused = apiKeyRefusal(check.principal, request)
      if (refused) throw refused
      return check.principal
    }
    if (check.why === 'revoked') throw forbidden('Your access to this board was removed')
    if (check.why === 'guests_off') throw forbidden('Guests are turned off on this server', ErrorCode.guestsNotAllowed)
    throw unauthenticated('The token is invalid or has expired')
  }
  app.decorateRequest('optionalPrincipal', function (this: FastifyRequest) {
    let pending = cache.get(this)
    if (!pending) {
      pending = resolve(this)
      cache.set(this, pending)
    }
    return pending
  })
  app.decorateRequest('principal', async function (this: FastifyRequest) {
    const p = await this.optionalPrincipal()
    if (!p) throw unauthenticated()
    return p
  })
  app.decorateRequest('user', async function (this: FastifyRequest) {
    const p = await this.principal()
    if (p.kind !== 'user') throw guestForbidden('This needs a registered account')
    return p.user
  })
}
