// Running a session (docs/API.md, "Sessions"): kick, ban, end every guest's
// session, the shared timer, "bring everyone to me".
import { Type } from 'typebox'
import { TIMER_ACTIONS } from '../../../shared/session.js'
import type { LobbyService } from '../session/lobby-service.js'
import { KNOCK_MESSAGE_MAX } from '../session/lobby-service.js'
import type { PrivateNotesService } from '../session/private-notes-service.js'
import type { SessionService } from '../session/session-service.js'
import type { VotingService } from '../session/voting-service.js'
import { BoardParams, Kind, type App } from './types.js'

const PersonParams = Type.Object({ id: Type.String({ maxLength: 64 }), kind: Kind, pid: Type.String({ maxLength: 64 }) })
const BanParams = Type.Object({ id: Type.String({ maxLength: 64 }), banId: Type.String({ maxLength: 64 }) })
const Coordinate = Type.Number({ minimum: -1e9, maximum: 1e9 })
const Extent = Type.Number({ exclusiveMinimum: 0, maximum: 1e9 })

const GuestParams = Type.Object({ id: Type.String({ maxLength: 64 }), guestId: Type.String({ maxLength: 64 }) })

const VoteParams = Type.Object({ id: Type.String({ maxLength: 64 }), voteId: Type.String({ maxLength: 64 }) })
const BallotParams = Type.Object({ id: Type.String({ maxLength: 64 }), voteId: Type.String({ maxLength: 64 }), elementId: Type.String({ minLength: 1, maxLength: 128 }) })
const NoteParams = Type.Object({ id: Type.String({ maxLength: 64 }), noteId: Type.String({ maxLength: 64 }) })
/** An element as stored (docs/WEB.md); the service checks id, type and size. */
const Element = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 64 })

export interface SessionRouteOptions {
  sessions: SessionService
  lobby: LobbyService
  votes: VotingService
  notes: PrivateNotesService
}

export function sessionRoutes(app: App, { sessions, lobby, votes, notes }: SessionRouteOptions): void {
  // Dot votes.
  app.post(
    '/api/boards/:id/votes',
    {
      schema: {
        params: BoardParams,
        body: Type.Object(
          {
            title: Type.Optional(Type.String({ maxLength: 120 })),
            votesPerPerson: Type.Integer(),
            anonymous: Type.Optional(Type.Boolean()),
            durationMs: Type.Integer(),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const { title, votesPerPerson, anonymous, durationMs } = request.body
      return reply.status(201).send(await votes.open(await request.principal(), request.params.id, { title, votesPerPerson, anonymous: anonymous ?? true, durationMs }))
    },
  )
  app.get('/api/boards/:id/votes/current', { schema: { params: BoardParams } }, async (request) => votes.current(await request.principal(), request.params.id))
  app.post(
    '/api/boards/:id/votes/:voteId/ballots',
    { schema: { params: VoteParams, body: Type.Object({ elementId: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }) } },
    async (request) => votes.cast(await request.principal(), request.params.id, request.params.voteId, request.body.elementId),
  )
  app.delete('/api/boards/:id/votes/:voteId/ballots/:elementId', { schema: { params: BallotParams } }, async (request) =>
    votes.retract(await request.principal(), request.params.id, request.params.voteId, request.params.elementId),
  )
  app.post('/api/boards/:id/votes/:voteId/end', { schema: { params: VoteParams } }, async (request) =>
    votes.end(await request.principal(), request.params.id, request.params.voteId),
  )

  // Private notes.
  app.post(
    '/api/boards/:id/private-notes/mode',
    { schema: { params: BoardParams, body: Type.Object({ on: Type.Boolean() }, { additionalProperties: false }) } },
    async (request, reply) => {
      await notes.setMode(await request.principal(), request.params.id, request.body.on)
      return reply.status(204).send()
    },
  )
  app.get('/api/boards/:id/private-notes', { schema: { params: BoardParams } }, async (request) => notes.mine(await request.principal(), request.params.id))
  app.post(
    '/api/boards/:id/private-notes',
    { schema: { params: BoardParams, body: Type.Object({ element: Element }, { additionalProperties: false }) } },
    async (request, reply) => reply.status(201).send({ note: await notes.add(await request.principal(), request.params.id, request.body.element) }),
  )
  app.patch(
    '/api/boards/:id/private-notes/:noteId',
    { schema: { params: NoteParams, body: Type.Object({ element: Element }, { additionalProperties: false }) } },
    async (request) => ({ note: await notes.change(await request.principal(), request.params.id, request.params.noteId, request.body.element) }),
  )
  app.delete('/api/boards/:id/private-notes/:noteId', { schema: { params: NoteParams } }, async (request, reply) => {
    await notes.change(await request.principal(), request.params.id, request.params.noteId, null)
    return reply.status(204).send()
  })
  app.post('/api/boards/:id/private-notes/reveal', { schema: { params: BoardParams } }, async (request) => notes.reveal(await request.principal(), request.params.id))

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

  app.get('/api/boards/:id/summon', { schema: { params: BoardParams } }, async (request) => ({
    summon: await sessions.currentSummon(await request.principal(), request.params.id),
  }))

  app.delete('/api/boards/:id/summon', { schema: { params: BoardParams } }, async (request, reply) => {
    await sessions.release(await request.principal(), request.params.id)
    return reply.status(204).send()
  })
}
