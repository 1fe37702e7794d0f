// The OpenAPI description of the HTTP API, generated from the routes' own
// TypeBox schemas (@fastify/swagger), at /api/openapi.json, and a page to read
// it at /api/docs (@fastify/swagger-ui) whose scripts and styles the server
// serves itself: the Content-Security-Policy allows nothing else.
//
// Routes say what they take; what they can answer besides success is the
// same few rules everywhere (a token, an id, a body, a rate limit), so an
// onRoute hook adds those error responses, in the contract's format, to every
// API route. They are real response schemas: Fastify serialises an error with
// them, so the schema is exactly what error-handler.ts sends.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { RouteOptions } from 'fastify'
import { Type } from 'typebox'
import { ErrorCode } from '../../../shared/constants.js'
import { projectRoot } from '../paths.js'
import type { App } from './types.js'

export const OPENAPI_PATH = '/api/openapi.json'
export const DOCS_PATH = '/api/docs'

/** The contract's error body: `{"error": {"code", "message"}}`, nothing more. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ enum: Object.values(ErrorCode), description: 'A stable code from the contract (docs/API.md, Conventions)' }),
        message: Type.String({ description: 'For people; may change' }),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'ErrorResponse', title: 'ErrorResponse', additionalProperties: false },
)

const ERROR_REF = 'ErrorResponse#'

/**
 * ErrorResponse as a serializer: only `error.code` and `error.message`, as
 * fast-json-stringify would compile it, but written once instead of compiled
 * for every route and status (a quarter of a second at every start).
 */
export function serializeErrorBody(body: unknown): string {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') throw new TypeError('not a contract error body')
  return JSON.stringify({ error: { code: error.code, message: error.message } })
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request: malformed JSON, or a parameter or field that breaks the schema (the message names it)',
  401: 'No valid token, or wrong credentials',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflicts with the current state',
  410: 'The invite link is no longer usable',
  413: 'Too large',
  415: 'Unsupported media type',
  429: 'Too many requests; the Retry-After header says when to try again',
  500: 'Something went wrong on the server',
  503: 'Unavailable for the moment; try again',
}

/** Who may call a route: what its Authorization header must hold. */
type Auth = 'token' | 'optional' | 'none' | 'admin' | 'metrics'

/** Every /api route wants a user's or guest's token, except these (and /api/admin/*, the admin token). */
const AUTH: Record<string, Auth> = {
  // A guest token is carried into the new account.
  'POST /api/auth/register': 'optional',
  'POST /api/auth/login': 'optional',
  // Without a token: a temporary board, as a guest.
  'POST /api/boards': 'optional',
  'GET /api/invites/:token': 'none',
  'POST /api/invites/:token/join': 'optional',
  // The mailed links: the link's token is in the body.
  'POST /api/auth/password-reset': 'none',
  'POST /api/auth/password-reset/complete': 'none',
  'POST /api/auth/verify-email': 'none',
  // Single sign-on: browser navigations, and the one-time code in the body (a guest token is carried into the account).
  'GET /api/auth/sso': 'none',
  'GET /api/auth/sso/start': 'none',
  'GET /api/auth/sso/callback': 'none',
  'POST /api/auth/sso/complete': 'optional',
  'GET /healthz': 'none',
  'GET /readyz': 'none',
  'GET /metrics': 'metrics',
}

/** What routes answer beyond the common rules (the services' own conflicts and limits). */
const EXTRA: Record<string, number[]> = {
  'POST /api/auth/register': [409],
  // 404 while EMAIL_VERIFICATION is off.
  'POST /api/auth/verify-email/send': [404],
  // 404 while single sign-on is not set up (OIDC_ISSUER).
  'GET /api/auth/sso/start': [404],
  'GET /api/auth/sso/callback': [404],
  'POST /api/auth/sso/complete': [404],
  'POST /api/api-keys': [409],
  'POST /api/webhooks': [409],
  'POST /api/boards/:id/webhooks': [409],
  'POST /api/webhooks/:webhookId/test': [409],
  'POST /api/boards/:id/webhooks/:webhookId/test': [409],
  'GET /api/boards/:id/claim-reminder': [409],
  'PUT /api/boards/:id/claim-reminder': [409],
  'DELETE /api/boards/:id/claim-reminder': [409],
  'POST /api/boards': [429],
  'POST /api/boards/:id/claim': [409],
  'GET /api/invites/:token': [410],
  'POST /api/invites/:token/join': [410],
  'POST /api/boards/:id/lobby/knock': [409, 429],
  'POST /api/boards/:id/timer': [409],
  'POST /api/boards/:id/votes': [409],
  'POST /api/boards/:id/votes/:voteId/ballots': [409],
  'DELETE /api/boards/:id/votes/:voteId/ballots/:elementId': [409],
  'POST /api/boards/:id/votes/:voteId/end': [409],
  'POST /api/boards/:id/private-notes': [409],
  'POST /api/boards/:id/versions/:versionId/restore': [409, 413, 503],
  'POST /api/boards/:id/history/revert': [409, 413, 503],
  // The document API: an id in both roots or taken (409), the guard's limits (413), the board's room unloading (503).
  'GET /api/boards/:id/elements/:elementId': [409],
  'POST /api/boards/:id/elements': [409, 503],
  'PATCH /api/boards/:id/elements/:elementId': [409, 503],
  'DELETE /api/boards/:id/elements/:elementId': [409, 503],
}

/** The routes the AUTH and EXTRA tables name (a test checks each still exists). */
export const DOCUMENTED_EXCEPTIONS = [...new Set([...Object.keys(AUTH), ...Object.keys(EXTRA)])]

const HEALTH = /^\/(healthz|readyz|metrics)$/
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])

/** The API's routes; the web app's files, the docs page and the spec itself are not part of it. */
function isApiRoute(url: string): boolean {
  return (url.startsWith('/api/') || HEALTH.test(url)) && url !== OPENAPI_PATH && !url.startsWith(DOCS_PATH)
}

function authOf(method: string, url: string): Auth {
  return AUTH[`${method} ${url}`] ?? (url.startsWith('/api/admin/') ? 'admin' : 'token')
}

/** The error statuses a route can answer. */
function errorStatuses(method: string, url: string, schema: RouteOptions['schema'], rateLimited: boolean): number[] {
  const statuses = new Set([500, ...(EXTRA[`${method} ${url}`] ?? [])])
  const hasBody = BODY_METHODS.has(method)
  if (hasBody || schema?.body || schema?.params || schema?.querystring) statuses.add(400)
  // Any body may be too big or of a type the route does not parse.
  if (hasBody) for (const s of [413, 415]) statuses.add(s)
  const auth = authOf(method, url)
  // A bad token is a 401 even where none is needed; a removed guest's is a 403.
  if (auth === 'token' || auth === 'optional') for (const s of [401, 403]) statuses.add(s)
  // The admin API answers 404 while ADMIN_TOKEN is unset.
  if (auth === 'admin') for (const s of [401, 404]) statuses.add(s)
  if (auth === 'metrics') statuses.add(401)
  if (url.includes('/:')) statuses.add(404)
  if (rateLimited) statuses.add(429)
  return [...statuses].sort((a, b) => a - b)
}

const methodsOf = (route: RouteOptions): string[] => (Array.isArray(route.method) ? route.method : [route.method])

/** Adds the error responses to an API route, and hides everything else from the spec. */
function documentRoute(route: RouteOptions): void {
  const schema = route.schema
  if (schema?.hide) return
  if (!isApiRoute(route.url)) {
    route.schema = { ...schema, hide: true }
    return
  }
  const methods = methodsOf(route).filter((m) => m !== 'HEAD')
  if (methods.length !== 1) return
  const rateLimited = Boolean((route.config as { rateLimit?: unknown } | undefined)?.rateLimit)
  const errors = Object.fromEntries(
    errorStatuses(methods[0]!, route.url, schema, rateLimited).map((s) => [s, { $ref: ERROR_REF, description: STATUS_TEXT[s] }]),
  )
  // What the route declares itself wins.
  route.schema = { ...schema, response: { ...errors, ...(schema?.response as object | undefined) } }
  if (!schema?.response && !route.serializerCompiler) route.serializerCompiler = () => serializeErrorBody
}

const SECURITY: Record<Auth, Record<string, string[]>[]> = {
  token: [{ bearerAuth: [] }],
  optional: [{}, { bearerAuth: [] }],
  none: [],
  admin: [{ adminToken: [] }],
  metrics: [{}, { metricsToken: [] }],
}

/** /api/boards/:id/comments → "comments"; groups the operations on the docs page. */
function tagOf(url: string): string {
  if (HEALTH.test(url)) return 'health'
  const [, area, , sub] = url.split('/').slice(1)
  if (area === 'auth' || area === 'me') return 'accounts'
  if (area === 'boards' && sub && !sub.startsWith(':')) return sub
  return area!
}

/** Spec-only additions: who may call, a group, and the success answer (docs/API.md describes its body). */
function forSpec({ schema, url, route }: { schema: RouteOptions['schema']; url: string; route: RouteOptions }) {
  if (!schema || schema.hide) return { schema: schema ?? {}, url }
  const method = methodsOf(route).find((m) => m !== 'HEAD') ?? 'GET'
  const success: Record<string, object> = { '2XX': { description: 'Success; docs/API.md describes the answer', type: 'null' } }
  if (url === '/readyz') success['503'] = { description: 'Not ready: {ok: false, database, redis}', type: 'null' }
  return {
    url,
    schema: {
      ...schema,
      tags: schema.tags ?? [tagOf(url)],
      security: SECURITY[authOf(method, url)],
      response: { ...success, ...(schema.response as object) },
    },
  }
}

function packageInfo(): { name: string; version: string; description: string } {
  return JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'))
}

/** Must run before any route is added: the spec and the error schemas come from an onRoute hook. */
export async function openApi(app: App): Promise<void> {
  const pkg = packageInfo()
  app.addSchema(ErrorResponse)
  app.addHook('onRoute', documentRoute)
  await app.register(swagger, {
    openapi: {
      // 3.1: the routes' schemas are JSON Schema (numeric exclusiveMinimum, type null).
      openapi: '3.1.0',
      info: { title: pkg.name, version: pkg.version, description: `${pkg.description}. The full description, with every body: docs/API.md.` },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: "A user's or a guest's token (register, login, or join an invite link), or a user's API key" },
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when it is set' },
        },
      },
    },
    // Shared schemas keep their own name in components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: forSpec,
  })
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    theme: { title: `${pkg.name} API` },
    uiConfig: { deepLinking: true },
  })
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger())
}
