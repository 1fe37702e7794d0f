// Single sign-on with an OpenID Connect provider (OIDC_ISSUER): the browser
// goes to /api/auth/sso/start, on to the provider, back to
// /api/auth/sso/callback, and lands on the web app's /sso page with a
// one-time code after `#` (never sent to any server, so it is in no access
// log), which the page spends for a token. Every failure lands there too,
// with an error code and a message, so people read a page, not JSON.
//
// The sign-in's state, nonce and PKCE verifier ride in a signed, HttpOnly
// cookie scoped to these routes: only the browser that started a sign-in can
// finish it, so nobody can slip their own provider account into someone
// else's browser (login CSRF), whichever instance the callback reaches.
import { createHmac } from 'node:crypto'
import fastifyCookie from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ErrorCode } from '../../../shared/constants.js'
import { type OidcClient, SignInError, type SignInChecks } from '../auth/oidc-client.js'
import { type SsoAccounts, SsoRefusal } from '../auth/sso-accounts.js'
import { AppError } from '../errors.js'
import type { App } from './types.js'

export const SSO_PREFIX = '/api/auth/sso'
const COOKIE = 'drawbridge_sso'
/** How long a sign-in may stay at the provider (typing a password, a second factor). */
const SIGN_IN_WINDOW_MS = 10 * 60_000

export interface SsoRouteOptions {
  /** Null: single sign-on is off; the routes answer 404. */
  sso: { name: string; client: OidcClient; accounts: SsoAccounts } | null
  publicUrl: string
  tokenSecret: Uint8Array
  authRateLimit: number
}

interface Pending extends SignInChecks {
  at: number
}

const off = () => new AppError(404, ErrorCode.notFound, 'Single sign-on is not set up on this server')

/** The provider's errors carry no secrets we sent, but only their kind is logged: bodies and URLs may hold codes. */
function reasonOf(err: unknown): Record<string, unknown> {
  const e = err as { name?: unknown; code?: unknown; error?: unknown; status?: unknown }
  return { name: e?.name, code: e?.code, error: e?.error, status: e?.status }
}

export async function ssoRoutes(app: App, o: SsoRouteOptions): Promise<void> {
  const rateLimit = { max: o.authRateLimit, timeWindow: 60_000 }
  // Its own key, not the token secret itself.
  const secret = createHmac('sha256', o.tokenSecret).update('drawbridge sso cookie').digest('base64url')
  await app.register(fastifyCookie, { secret, hook: false })
  const secure = o.publicUrl.startsWith('https:')
  const cookieOptions = { path: SSO_PREFIX, httpOnly: true, sameSite: 'lax' as const, secure, signed: true }

  const landing = (reply: FastifyReply, fields: Record<string, string>) =>
    reply.header('cache-control', 'no-store').redirect(`${o.publicUrl}/sso#${new URLSearchParams(fields)}`, 302)

  /** The pending sign-in this browser started, if it is intact and recent; the cookie is spent either way. */
  const takePending = (request: FastifyRequest, reply: FastifyReply): Pending | null => {
    reply.clearCookie(COOKIE, cookieOptions)
    const raw = app.parseCookie(request.headers.cookie ?? '')[COOKIE]
    if (!raw) return null
    const unsigned = app.unsignCookie(raw)
    if (!unsigned.valid || unsigned.value === null) return null
    try {
      const p = JSON.parse(unsigned.value) as Partial<Pending>
      const fresh = typeof p.at === 'number' && Date.now() - p.at < SIGN_IN_WINDOW_MS
      if (!fresh || typeof p.state !== 'string' || typeof p.nonce !== 'string' || typeof p.verifier !== 'string') return null
      return { state: p.state, nonce: p.nonce, verifier: p.verifier, at: p.at! }
    } catch {
      return null
    }
  }

  app.get(SSO_PREFIX, async () => ({ sso: o.sso ? { name: o.sso.name } : null }))

  app.get(`${SSO_PREFIX}/start`, { config: { rateLimit } }, async (request, reply) => {
    const sso = o.sso
    if (!sso) throw off()
    let begun: Awaited<ReturnType<OidcClient['begin']>>
    try {
      begun = await sso.client.begin()
    } catch (err) {
      request.log.warn({ reason: reasonOf(err) }, 'single sign-on: the provider could not be reached')
      return landing(reply, { error: ErrorCode.ssoFailed, message: `${sso.name} cannot be reached just now; try again in a moment` })
    }
    const pending: Pending = { ...begun.checks, at: Date.now() }
    reply.setCookie(COOKIE, JSON.stringify(pending), { ...cookieOptions, maxAge: SIGN_IN_WINDOW_MS / 1000 })
    return reply.header('cache-control', 'no-store').redirect(begun.url, 302)
  })

  app.get(`${SSO_PREFIX}/callback`, { config: { rateLimit } }, async (request, reply) => {
    const sso = o.sso
    if (!sso) throw off()
    const pending = takePending(request, reply)
    if (!pending) {
      return landing(reply, { error: ErrorCode.ssoFailed, message: 'This sign-in was started in another browser, or took too long; please start again' })
    }
    try {
      const who = await sso.client.finish(new URL(`${o.publicUrl}${request.url}`), pending)
      const user = await sso.accounts.resolve(who)
      return landing(reply, { code: await sso.accounts.codeFor(user) })
    } catch (err) {
      if (err instanceof SsoRefusal) return landing(reply, { error: err.code, message: err.message })
      if (err instanceof SignInError) return landing(reply, { error: ErrorCode.ssoFailed, message: err.message })
      request.log.warn({ reason: reasonOf(err) }, 'single sign-on failed')
      return landing(reply, { error: ErrorCode.ssoFailed, message: `The sign-in with ${sso.name} could not be completed; please try again` })
    }
  })

  // A guest token presented here brings that guest's work into the account, as at login.
  app.post(
    `${SSO_PREFIX}/complete`,
    { config: { rateLimit }, schema: { body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 200 }) }) } },
    async (request) => {
      if (!o.sso) throw off()
      return o.sso.accounts.complete(request.body.code, await request.optionalPrincipal())
    },
  )
}
