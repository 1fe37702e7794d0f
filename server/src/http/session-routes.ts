// Running a session (docs/API.md, "Sessions"): kick, ban, end every guest's
// session, the shared timer, "bring everyone to me".
import { Type } from 'typebox'
import { TIMER_ACTIONS } from '../../../shared/session.js'
import type { LobbyService } from '../session/lobby-service.js'
import { KNOCK_MESSAGE_MAX } from '../session/lobby-service.js'
import type { SessionService } from '../session/session-service.js'
import { BoardParams, Kind, type App } from './types.js'

const PersonParams = Type.Object({ id: Type.String({ maxLength: 64 }), kind: Kind, pid: Type.String({ maxLength: 64 }) })
const BanParams = Type.Object({ id: Type.String({ maxLength: 64 }), banId: Type.String({ maxLength: 64 }) })
const Coordinate = Type.Number({ minimum: -1e9, maximum: 1e9 })
const Extent = Type.Number({ exclusiveMinimum: 0, maximum: 1e9 })

const GuestParams = Type.Object({ id: Type.String({ maxLength: 64 }), guestId: Type.String({ maxLength: 64 }) })

export function sessionRoutes(app: App, { sessions, lobby }: { sessions: SessionService; lobby: LobbyService }): void {
  // The lobby.
  app.get('/api/boards/:id/lobby', { schema: { params: BoardParams } }, async (request) => ({
    waiting: await lobby.waiting(await request.principal(), request.params.id),
  }))
  app.get('/api/boards/:id/lobby/me', { schema: { params: BoardParams } }, async (request) => lobby.status(await request.principal(), request.params.id))
  app.post(
    '/api/boards/:id/lobby/knock',
    // Longer than the limit so the service can say what it is.
    { schema: { params: BoardParams, body: Type.Object({ message: Type.Optional(Type.String({ maxLength: KNOCK_MESSAGE_MAX * 4 })) }, { additionalProperties: false }) } },
    async (request) => lobby.knock(await request.principal(), request.params.id, request.body.message),
  )
  for (const verb of ['admit', 'deny'] as const) {
    app.post(`/api/boards/:id/lobby/:guestId/${verb}`, { schema: { params: GuestParams } }, async (request, reply) => {
      await lobby.answer(await request.principal(), request.params.id, request.params.guestId, verb === 'admit')
      return reply.status(204).send()
    })
  }

  app.post('/api/boards/:id/participants/:kind/:pid/kick', { schema: { params: PersonParams } }, async (request, reply) => {
    const { id, kind, pid } = request.params
    await sessions.kick(await request.principal(), id, kind, pid)
    return reply.status(204).send()
  })

  app.post('/api/boards/:id/participants/:kind/:pid/ban', { schema: { params: PersonParams } }, async (request, reply) => {
    const { id, kind, pid } = request.params
    await sessions.ban(await request.principal(), id, kind, pid)
    return reply.status(204).send()
  })

  app.get('/api/boards/:id/bans', { schema: { params: BoardParams } }, async (request) => ({
    bans: await sessions.bans(await request.principal(), request.params.id),
  }))

  app.delete('/api/boards/:id/bans/:banId', { schema: { params: BanParams } }, async (request, reply) => {
    await sessions.unban(await request.principal(), request.params.id, request.params.banId)
    return reply.status(204).send()
  })

  app.post('/api/boards/:id/end-guest-session', { schema: { params: BoardParams } }, async (request) =>
    sessions.endGuestSession(await request.principal(), request.params.id),
  )

  app.get('/api/boards/:id/timer', { schema: { params: BoardParams } }, async (request) => ({
    timer: await sessions.timer(await request.principal(), request.params.id),
  }))

  app.post(
    '/api/boards/:id/timer',
    {
      schema: {
        params: BoardParams,
        body: Type.Object(
          { action: Type.Union(TIMER_ACTIONS.map((a) => Type.Literal(a))), durationMs: Type.Optional(Type.Integer()) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => ({
      timer: await sessions.setTimer(await request.principal(), request.params.id, request.body.action, request.body.durationMs),
    }),
  )

  app.post(
    '/api/boards/:id/summon',
    {
      schema: {
        params: BoardParams,
        body: Type.Object(
          {
            viewport: Type.Object({ x: Coordinate, y: Coordinate, width: Extent, height: Extent }, { additionalProperties: false }),
            hold: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => ({
      summon: await sessions.summon(await request.principal(), request.params.id, request.body.viewport, request.body.hold ?? false),
    }),
  )

  app.delete('/api/boards/:id/summon', { schema: { params: BoardParams } }, async (request, reply) => {
    await sessions.release(await request.principal(), request.params.id)
    return reply.status(204).send()
  })
}
