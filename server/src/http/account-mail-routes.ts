// What the server mails and its links lead to: password reset, e-mail
// verification (and what EMAIL_VERIFICATION=required withholds from
// unverified accounts), and a guest's reminder before its temporary board is
// deleted.
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ErrorCode } from '../../../shared/constants.js'
import type { AccountLinks } from '../auth/account-links.js'
import { normalizeEmail } from '../auth/account-service.js'
import type { BoardService } from '../boards/board-service.js'
import type { EmailVerification } from '../config.js'
import { AppError, conflict, forbidden } from '../errors.js'
import type { ClaimReminders } from '../mail/claim-reminders.js'
import { BoardParams, type App } from './types.js'

export interface AccountMailRouteOptions {
  links: AccountLinks
  reminders: ClaimReminders
  boards: BoardService
  verification: EmailVerification
  authRateLimit: number
}

/** What an unverified account may not do under EMAIL_VERIFICATION=required: start boards and hand out links. */
export const NEEDS_VERIFIED_EMAIL: readonly string[] = [
  'POST /api/boards',
  'POST /api/boards/import',
  'POST /api/boards/:id/duplicate',
  'POST /api/boards/:id/invites',
]

// Long enough for any token we issue (43 characters), short enough to refuse junk early.
const LinkToken = Type.String({ minLength: 1, maxLength: 200 })

export function accountMailRoutes(app: App, o: AccountMailRouteOptions): void {
  const rateLimit = { max: o.authRateLimit, timeWindow: 60_000 }

  // Registered before the routes it guards (board, transfer and invite routes).
  if (o.verification === 'required') {
    const gated = new Set(NEEDS_VERIFIED_EMAIL)
    app.addHook('onRequest', async (request) => {
      if (!gated.has(`${request.method} ${request.routeOptions.url}`)) return
      const p = await request.optionalPrincipal()
      if (p?.kind === 'user' && p.user.emailVerifiedAt === null) {
        throw new AppError(403, ErrorCode.emailUnverified, 'Confirm your e-mail address first: open the link we mailed you, or ask for a new one')
      }
    })
  }

  // Answered at once and the same whether or not the address has an account (auth/account-links.ts).
  app.post(
    '/api/auth/password-reset',
    { config: { rateLimit }, schema: { body: Type.Object({ email: Type.String({ maxLength: 320 }) }) } },
    async (request, reply) => {
      o.links.requestReset(request.body.email)
      return reply.status(202).send()
    },
  )

  app.post(
    '/api/auth/password-reset/complete',
    { config: { rateLimit }, schema: { body: Type.Object({ token: LinkToken, password: Type.String({ maxLength: 4096 }) }) } },
    async (request) => o.links.completeReset(request.body.token, request.body.password),
  )

  app.post(
    '/api/auth/verify-email',
    { config: { rateLimit }, schema: { body: Type.Object({ token: LinkToken }) } },
    async (request) => ({ user: await o.links.verify(request.body.token) }),
  )

  app.post('/api/auth/verify-email/send', { config: { rateLimit } }, async (request, reply) => {
    const user = await request.user()
    if (o.verification === 'off') throw new AppError(404, ErrorCode.notFound, 'E-mail verification is off on this server')
    o.links.sendVerification(user)
    return reply.status(202).send()
  })

  /** The guest behind the request, on this temporary board. */
  const guestOnTemporary = async (request: FastifyRequest, boardId: string) => {
    const principal = await request.principal()
    if (principal.kind !== 'guest') throw forbidden('Only guests leave an address here; with an account, claim the board to keep it')
    const { board } = await o.boards.access(principal, boardId, 'board.view')
    if (board.ownerId !== null || !board.expiresAt) throw conflict('This board is not temporary')
    return principal.guest
  }

  app.get('/api/boards/:id/claim-reminder', { schema: { params: BoardParams } }, async (request) => {
    const guest = await guestOnTemporary(request, request.params.id)
    return { email: await o.reminders.get(guest.id) }
  })

  app.put(
    '/api/boards/:id/claim-reminder',
    { config: { rateLimit }, schema: { params: BoardParams, body: Type.Object({ email: Type.String({ maxLength: 320 }) }) } },
    async (request, reply) => {
      const email = normalizeEmail(request.body.email)
      const guest = await guestOnTemporary(request, request.params.id)
      await o.reminders.set(guest.id, request.params.id, email)
      return reply.status(204).send()
    },
  )

  app.delete('/api/boards/:id/claim-reminder', { schema: { params: BoardParams } }, async (request, reply) => {
    const guest = await guestOnTemporary(request, request.params.id)
    await o.reminders.clear(guest.id)
    return reply.status(204).send()
  })
}
