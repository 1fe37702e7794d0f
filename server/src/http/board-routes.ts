import { normalizeIP } from '@fastify/rate-limit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ErrorCode } from '../../../shared/constants.js'
import { keyReaches } from '../auth/api-keys.js'
import type { BoardService } from '../boards/board-service.js'
import type { InviteService } from '../boards/invite-service.js'
import type { ParticipantService } from '../boards/participant-service.js'
import { AppError, guestForbidden, unauthenticated } from '../errors.js'
import { BoardParams, Kind, Role, type App } from './types.js'

export interface BoardRouteOptions {
  boards: BoardService
  invites: InviteService
  participants: ParticipantService
  authRateLimit: number
  /** Owners and member editors online on a board (the lobby's answer to a guest that joined into it). */
  hostsOnline: (boardId: string) => Promise<number>
}

const Title = Type.String({ maxLength: 1000 })
/** An element type (docs/API.md, element entries). */
const ElementType = Type.String({ pattern: '^[a-z]{1,32}$' })
const HOUR_MS = 3_600_000

/**
 * Hourly caps on temporary boards: per client address (an IPv6 address
 * counts with its /64, which one client usually holds whole) and for the
 * whole server. The counters live in the rate-limit store, so with Redis all
 * instances share them. Only account-less creations count.
 */
function guestBoardLimiter(app: App, limits: { perAddress: number; total: number }) {
  const checks = [
    {
      what: 'from your address',
      limit: app.createRateLimit({ max: limits.perAddress, timeWindow: HOUR_MS, keyGenerator: (r) => `guest-boards:ip:${normalizeIP(r.ip)}` }),
    },
    {
      what: 'on this server',
      limit: app.createRateLimit({ max: limits.total, timeWindow: HOUR_MS, keyGenerator: () => 'guest-boards:all' }),
    },
  ]
  return async (request: FastifyRequest, reply: FastifyReply) => {
    // In order: a client over its own cap does not use up everyone's.
    for (const { what, limit } of checks) {
      const verdict = await limit(request)
      if (verdict.isAllowed || !verdict.isExceeded) continue
      const seconds = Math.max(1, verdict.ttlInSeconds)
      reply.header('retry-after', String(seconds))
      throw new AppError(429, ErrorCode.rateLimited, `Too many temporary boards created ${what}; try again in ${seconds} s, or sign in to create boards`)
    }
  }
}

export function boardRoutes(app: App, { boards, invites, participants, authRateLimit, hostsOnline }: BoardRouteOptions): void {
  const guestBoardAllowed = guestBoardLimiter(app, boards.guestBoardLimits)
  app.post(
    '/api/boards',
    { schema: { body: Type.Object({ title: Type.Optional(Title), guestName: Type.Optional(Type.String({ maxLength: 1000 })) }) } },
    async (request, reply) => {
      const principal = await request.optionalPrincipal()
      const { title, guestName } = request.body
      if (principal?.kind === 'user') return reply.status(201).send({ board: await boards.createForUser(principal.user, title) })
      if (principal?.kind === 'guest') throw guestForbidden('Guests cannot create boards; create one without a token instead')
      if (guestName === undefined) {
        throw unauthenticated('Sign in to create a board, or pass guestName to create a temporary board as a guest')
      }
      await guestBoardAllowed(request, reply)
      return reply.status(201).send(await boards.createForGuest(guestName, title))
    },
  )

  app.get('/api/boards', async (request) => {
    const listed = await boards.listForUser(await request.user())
    // An API key limited to some boards lists only those.
    const principal = await request.principal()
    return { boards: listed.filter((b) => keyReaches(principal, b.id)) }
  })

  app.get('/api/boards/:id', { schema: { params: BoardParams } }, async (request) => ({
    board: await boards.get(await request.principal(), request.params.id),
  }))

  app.patch(
    '/api/boards/:id',
    {
      schema: {
        params: BoardParams,
        body: Type.Object({
          title: Type.Optional(Title),
          accessMode: Type.Optional(Type.Union([Type.Literal('link'), Type.Literal('specific_users')])),
          locked: Type.Optional(Type.Boolean()),
          archived: Type.Optional(Type.Boolean()),
          editorsMayRestore: Type.Optional(Type.Boolean()),
          capacity: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 10_000 }), Type.Null()])),
          lobby: Type.Optional(Type.Boolean()),
          guestTools: Type.Optional(Type.Union([Type.Array(ElementType, { maxItems: 32 }), Type.Null()])),
          guestComments: Type.Optional(Type.Boolean()),
          lockedFrames: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 200 })),
        }),
      },
    },
    async (request) => ({ board: await boards.patch(await request.principal(), request.params.id, request.body) }),
  )

  app.delete('/api/boards/:id', { schema: { params: BoardParams } }, async (request, reply) => {
    await boards.remove(await request.principal(), request.params.id)
    return reply.status(204).send()
  })

  // Invite links
  app.post(
    '/api/boards/:id/invites',
    {
      schema: {
        params: BoardParams,
        body: Type.Object({
          role: Role,
          expiresInSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 * 86_400 })),
          maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
        }),
      },
    },
    async (request, reply) =>
      reply.status(201).send({ invite: await invites.create(await request.principal(), request.params.id, request.body) }),
  )

  app.get('/api/boards/:id/invites', { schema: { params: BoardParams } }, async (request) => ({
    invites: await invites.list(await request.principal(), request.params.id),
  }))

  app.delete(
    '/api/boards/:id/invites/:inviteId',
    { schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }), inviteId: Type.String({ maxLength: 64 }) }) } },
    async (request, reply) => {
      await invites.revoke(await request.principal(), request.params.id, request.params.inviteId)
      return reply.status(204).send()
    },
  )

  const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 128 }) })
  app.get('/api/invites/:token', { schema: { params: TokenParams } }, async (request) =>
    invites.info(request.params.token),
  )

  app.post(
    '/api/invites/:token/join',
    {
      config: { rateLimit: { max: authRateLimit, timeWindow: 60_000 } },
      schema: {
        params: TokenParams,
        body: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 1000 })),
          /** The browser's own random id (kept in its storage): a ban refuses it again. */
          browserId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' })),
        }),
      },
    },
    async (request, reply) => {
      const principal = await request.optionalPrincipal()
      if (principal?.kind === 'user') {
        return reply.status(200).send({ board: await invites.joinAsUser(request.params.token, principal.user) })
      }
      // No token, or a guest token of some board: this link makes a new guest.
      const from = { browserId: request.body.browserId ?? null, address: request.ip }
      const joined = await invites.joinAsGuest(request.params.token, request.body.name, from)
      // Into the lobby: say whether anyone who can let it in is here.
      if (joined.guest.admission === 'waiting') return reply.status(201).send({ ...joined, lobby: { status: 'waiting', hostsOnline: await hostsOnline(joined.guest.boardId) } })
      return reply.status(201).send(joined)
    },
  )

  // Participants
  const ParticipantParams = Type.Object({
    id: Type.String({ maxLength: 64 }),
    kind: Kind,
    pid: Type.String({ maxLength: 64 }),
  })
  app.get('/api/boards/:id/participants', { schema: { params: BoardParams } }, async (request) => ({
    participants: await participants.list(await request.principal(), request.params.id),
  }))

  app.patch(
    '/api/boards/:id/participants/:kind/:pid',
    { schema: { params: ParticipantParams, body: Type.Object({ role: Role }) } },
    async (request) => {
      const { id, kind, pid } = request.params
      return { participant: await participants.changeRole(await request.principal(), id, kind, pid, request.body.role) }
    },
  )

  app.delete('/api/boards/:id/participants/:kind/:pid', { schema: { params: ParticipantParams } }, async (request, reply) => {
    const { id, kind, pid } = request.params
    await participants.remove(await request.principal(), id, kind, pid)
    return reply.status(204).send()
  })
}
