import { Type } from 'typebox'
import { principalKey } from '../auth/principals.js'
import type { LifecycleService } from '../boards/lifecycle-service.js'
import type { CommentService } from '../comments/comment-service.js'
import type { NotificationService } from '../notifications/notification-service.js'
import { BoardParams, type App } from './types.js'

export interface LifecycleRouteOptions {
  lifecycle: LifecycleService
  comments: CommentService
  notifications: NotificationService
  commentRateLimit: number
}

const Page = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
})
const pageLimit = (raw: string | undefined) => Math.min(100, Math.max(1, raw === undefined ? 50 : Number(raw)))

const Anchor = Type.Union([
  Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: false }),
  Type.Object({ shapeId: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
])
// Longer than the 10,000-character limit so the service can answer with the
// contract's message; the 1 MiB body limit bounds it anyway.
const Body = Type.String({ maxLength: 50_000 })
const ThreadParams = Type.Object({ id: Type.String({ maxLength: 64 }), threadId: Type.String({ maxLength: 64 }) })
const ReplyParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  threadId: Type.String({ maxLength: 64 }),
  replyId: Type.String({ maxLength: 64 }),
})

export function lifecycleRoutes(app: App, { lifecycle, comments, notifications, commentRateLimit }: LifecycleRouteOptions): void {
  app.post('/api/boards/:id/claim', { schema: { params: BoardParams } }, async (request) => ({
    board: await lifecycle.claim(await request.principal(), request.params.id),
  }))

  app.post('/api/boards/:id/duplicate', { schema: { params: BoardParams } }, async (request, reply) =>
    reply.status(201).send({ board: await lifecycle.duplicate(await request.principal(), request.params.id) }),
  )

  app.get('/api/boards/:id/activity', { schema: { params: BoardParams, querystring: Page } }, async (request) =>
    lifecycle.activity(await request.principal(), request.params.id, pageLimit(request.query.limit), request.query.cursor),
  )

  // Comments. Creation (threads and replies) is limited per principal.
  const perPrincipal = {
    max: commentRateLimit,
    timeWindow: 60_000,
    keyGenerator: async (request: import('fastify').FastifyRequest) => {
      const p = await request.optionalPrincipal().catch(() => null)
      return p ? principalKey(p) : `ip:${request.ip}`
    },
  }
  app.get('/api/boards/:id/comments', { schema: { params: BoardParams } }, async (request) => ({
    threads: await comments.list(await request.principal(), request.params.id),
  }))
  app.post(
    '/api/boards/:id/comments',
    { config: { rateLimit: perPrincipal }, schema: { params: BoardParams, body: Type.Object({ anchor: Anchor, body: Body }) } },
    async (request, reply) => reply.status(201).send({ thread: await comments.create(await request.principal(), request.params.id, request.body) }),
  )
  app.post(
    '/api/boards/:id/comments/:threadId/replies',
    { config: { rateLimit: perPrincipal }, schema: { params: ThreadParams, body: Type.Object({ body: Body }) } },
    async (request, reply) =>
      reply.status(201).send({ reply: await comments.reply(await request.principal(), request.params.id, request.params.threadId, request.body) }),
  )
  app.patch(
    '/api/boards/:id/comments/:threadId',
    { schema: { params: ThreadParams, body: Type.Object({ resolved: Type.Optional(Type.Boolean()), body: Type.Optional(Body) }) } },
    async (request) => ({ thread: await comments.updateThread(await request.principal(), request.params.id, request.params.threadId, request.body) }),
  )
  app.patch(
    '/api/boards/:id/comments/:threadId/replies/:replyId',
    { schema: { params: ReplyParams, body: Type.Object({ body: Body }) } },
    async (request) => {
      const { id, threadId, replyId } = request.params
      return { reply: await comments.updateReply(await request.principal(), id, threadId, replyId, request.body) }
    },
  )
  app.delete('/api/boards/:id/comments/:threadId', { schema: { params: ThreadParams } }, async (request, reply) => {
    await comments.remove(await request.principal(), request.params.id, request.params.threadId)
    return reply.status(204).send()
  })
  app.delete('/api/boards/:id/comments/:threadId/replies/:replyId', { schema: { params: ReplyParams } }, async (request, reply) => {
    const { id, threadId, replyId } = request.params
    await comments.remove(await request.principal(), id, threadId, replyId)
    return reply.status(204).send()
  })

  // Notifications (members only: guests get 403 guest_forbidden from user()).
  app.get('/api/notifications', { schema: { querystring: Page } }, async (request) =>
    notifications.list(await request.user(), pageLimit(request.query.limit), request.query.cursor),
  )
  app.post(
    '/api/notifications/read',
    {
      schema: {
        body: Type.Union([
          Type.Object({ ids: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 }) }),
          Type.Object({ all: Type.Literal(true) }),
        ]),
      },
    },
    async (request) => {
      const body = request.body as { ids?: string[]; all?: true }
      return { updated: await notifications.markRead(await request.user(), body) }
    },
  )
}
