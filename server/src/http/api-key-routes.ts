// Personal API keys: the routes that manage them (only a user signed in with
// a user token may), and the limits an API key carries on every HTTP route.
// The policy module caps a key's role per board (so /collab and socket.io
// obey it too); the HTTP limits below are the routes' own side of it.
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ErrorCode } from '../../../shared/constants.js'
import { apiKeyOf, type ApiKeyService, MAX_API_KEY_BOARDS } from '../auth/api-keys.js'
import type { ResolvedPrincipal } from '../auth/principals.js'
import { type AppError, forbidden } from '../errors.js'
import type { App } from './types.js'

export interface ApiKeyRouteOptions {
  apiKeys: ApiKeyService
}

/** Routes a key never reaches: a leaked key must not mint keys, change the password or sign the user out. */
const ACCOUNT_ROUTES = ['/api/auth/', '/api/api-keys']
/** A key could otherwise point a board's events (comments, names) at a URL of its choosing. */
const WEBHOOK_ROUTE = /^\/api\/(boards\/:id\/)?webhooks(\/|$)/
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const BOARD_ROUTE = /^\/api\/boards\/:id(\/|$)/
/** The user's notifications are about all of its boards. */
const NOTIFICATIONS = /^\/api\/notifications(\/|$)/
/** Makes a new board, which a key limited to some boards could never reach. */
const DUPLICATE = '/api/boards/:id/duplicate'

/**
 * Why this request may not go on with this principal's API key, or null
 * (always null without a key). Asked once per request, when the route first
 * asks for the principal.
 */
export function apiKeyRefusal(principal: ResolvedPrincipal, request: FastifyRequest): AppError | null {
  const key = apiKeyOf(principal)
  if (!key) return null
  const route = request.routeOptions.url ?? request.url
  if (ACCOUNT_ROUTES.some((prefix) => route.startsWith(prefix)) || WEBHOOK_ROUTE.test(route)) {
    return forbidden('API keys cannot manage keys, webhooks or the account; sign in', ErrorCode.apiKeyForbidden)
  }
  if (key.scope === 'read' && !SAFE_METHODS.has(request.method)) return forbidden('This API key is read-only')
  if (key.boards !== null) {
    if (NOTIFICATIONS.test(route)) return forbidden('This API key is limited to some boards; notifications are about all of them')
    const onBoard = BOARD_ROUTE.test(route)
    // Changes outside its boards (creating or importing a board, joining one by invite link) are outside its reach too.
    if (!SAFE_METHODS.has(request.method) && (!onBoard || route === DUPLICATE)) return forbidden('This API key is limited to some boards; it cannot change anything outside them')
    const boardId = onBoard ? (request.params as { id?: unknown }).id : undefined
    if (typeof boardId === 'string' && !key.boards.includes(boardId)) return forbidden('This API key does not reach this board')
  }
  return null
}

const KeyParams = Type.Object({ keyId: Type.String({ minLength: 1, maxLength: 64 }) })

export function apiKeyRoutes(app: App, { apiKeys }: ApiKeyRouteOptions): void {
  app.post(
    '/api/api-keys',
    {
      schema: {
        body: Type.Object({
          name: Type.String({ maxLength: 1000 }),
          scope: Type.Union([Type.Literal('read'), Type.Literal('write')]),
          boards: Type.Optional(Type.Union([Type.Null(), Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: MAX_API_KEY_BOARDS * 2 })])),
        }),
      },
    },
    async (request, reply) => reply.status(201).send(await apiKeys.create(await request.user(), request.body)),
  )

  app.get('/api/api-keys', async (request) => ({ keys: await apiKeys.list(await request.user()) }))

  app.delete('/api/api-keys/:keyId', { schema: { params: KeyParams } }, async (request, reply) => {
    await apiKeys.revoke(await request.user(), request.params.keyId)
    return reply.status(204).send()
  })
}
