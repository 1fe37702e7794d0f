// Signed webhooks (docs/API.md, Webhooks): the same five operations for a
// board's webhooks (/api/boards/:id/webhooks) and for the account's
// (/api/webhooks). Only a signed-in user reaches them: guests get
// guest_forbidden, API keys api_key_forbidden (api-key-routes.ts).
import { Type } from 'typebox'
import { WEBHOOK_EVENTS } from '../../../shared/webhooks.js'
import { WEBHOOK_DESCRIPTION_MAX, WEBHOOK_URL_MAX, type WebhookScope, type WebhookService } from '../webhooks/webhook-service.js'
import type { App } from './types.js'

export interface WebhookRouteOptions {
  webhooks: WebhookService
}

const Events = Type.Array(Type.Union(WEBHOOK_EVENTS.map((e) => Type.Literal(e))), { minItems: 1, maxItems: WEBHOOK_EVENTS.length * 2 })
const Url = Type.String({ minLength: 1, maxLength: WEBHOOK_URL_MAX })
const Description = Type.String({ maxLength: WEBHOOK_DESCRIPTION_MAX })

const CreateBody = Type.Object(
  {
    url: Url,
    /** Omitted: every event. */
    events: Type.Optional(Events),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
const PatchBody = Type.Object(
  { url: Type.Optional(Url), events: Type.Optional(Events), description: Type.Optional(Description), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)
const Id = Type.String({ minLength: 1, maxLength: 64 })
const BoardParams = Type.Object({ id: Id })
const BoardHookParams = Type.Object({ id: Id, webhookId: Id })
const HookParams = Type.Object({ webhookId: Id })

export function webhookRoutes(app: App, { webhooks }: WebhookRouteOptions): void {
  // Each operation once, for both places; `scope` picks the board (or the account).
  const routes = [
    { base: '/api/webhooks', params: undefined, scope: (): WebhookScope => null },
    { base: '/api/boards/:id/webhooks', params: BoardParams, scope: (p: unknown): WebhookScope => (p as { id: string }).id },
  ] as const
  for (const { base, params, scope } of routes) {
    const one = `${base}/:webhookId`
    const oneParams = params ? BoardHookParams : HookParams
    app.post(base, { schema: { ...(params ? { params } : {}), body: CreateBody } }, async (request, reply) => {
      const body = request.body
      const created = await webhooks.create(await request.user(), scope(request.params), { ...body, events: body.events ?? [...WEBHOOK_EVENTS] })
      return reply.status(201).send(created)
    })
    app.get(base, { schema: params ? { params } : {} }, async (request) => ({ webhooks: await webhooks.list(await request.user(), scope(request.params)) }))
    app.patch(one, { schema: { params: oneParams, body: PatchBody } }, async (request) => ({
      webhook: await webhooks.update(await request.user(), scope(request.params), request.params.webhookId, request.body),
    }))
    app.delete(one, { schema: { params: oneParams } }, async (request, reply) => {
      await webhooks.remove(await request.user(), scope(request.params), request.params.webhookId)
      return reply.status(204).send()
    })
    app.get(`${one}/deliveries`, { schema: { params: oneParams } }, async (request) => ({
      deliveries: await webhooks.deliveries(await request.user(), scope(request.params), request.params.webhookId),
    }))
    app.post(`${one}/test`, { schema: { params: oneParams } }, async (request, reply) => {
      const id = await webhooks.test(await request.user(), scope(request.params), request.params.webhookId)
      return reply.status(202).send({ deliveryId: id })
    })
  }
}
