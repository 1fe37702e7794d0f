// The Fastify instance: strict JSON parsing, contract errors, rate limits.
import { createServer, type Server } from 'node:http'
import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Redis } from 'ioredis'
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify'
import type { Logger } from 'pino'
import { ErrorCode } from '../../../shared/constants.js'
import type { TrustProxy } from '../config.js'
import { redactUrl } from '../logger.js'
import { trustFunction } from '../util/connection-limiter.js'
import { errorBody, installErrorHandling } from './error-handler.js'
import type { PathRouter } from '../util/path-router.js'
import type { App } from './types.js'

export const BODY_LIMIT = 1024 * 1024

export interface FastifyOptions {
  logger: Logger
  router: PathRouter
  trustProxy: TrustProxy
  /** Shared rate-limit counters across instances; in-memory when null. */
  redis: { client: Redis; prefix: string } | null
  /** Whether unmatched page requests get the web app's shell. */
  shell: () => boolean
  headersTimeoutMs: number
  requestTimeoutMs: number
  corsOrigins: string[]
  /** Whether the public URL is https: only then may browsers be told to upgrade requests and pin HTTPS. */
  secure: boolean
  /** Observes every response (metrics). */
  onResponse?: (method: string, route: string, status: number, seconds: number) => void
}

export async function createFastify(options: FastifyOptions): Promise<{ app: App; server: () => Server }> {
  let server: Server | undefined
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Quiet by default: no per-request lines, only errors and lifecycle.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // The connection limiter's own function: request.ip (rate limits) and the
    // connection caps must name the same client. (Fastify turns a bare hop
    // count into "trust nobody", so it gets the function either way.)
    trustProxy: options.trustProxy === false ? false : trustFunction(options.trustProxy),
    // A request id from the load balancer is kept, and echoed back.
    requestIdHeader: 'x-request-id',
    // Slow clients (slowloris): the whole request must arrive in time.
    requestTimeout: options.requestTimeoutMs,
    // Strict types: `"title": 123` is a 400, not the string "123".
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    serverFactory: (handler) => {
      // Headers must arrive in time too (checked every second, not Node's
      // default 30 s); upgraded sockets are not affected.
      server = createServer(
        { headersTimeout: options.headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs) },
        options.router.request(handler),
      )
      server.on('upgrade', options.router.upgrade)
      return server
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  // An empty body with a JSON content type (fetch() on DELETE does that)
  // is no body, not a parse error.
  const jsonParser = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined)
    jsonParser(request, body as string, done)
  })
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && ['POST', 'PATCH', 'PUT'].includes(request.method)) request.body = {}
  })
  installErrorHandling(app, { shell: options.shell })
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        // On a plain-HTTP install (say http://192.168.1.5:3000 on a LAN) this
        // directive would send the app's own scripts to an https:// that does not exist.
        upgradeInsecureRequests: options.secure ? [] : null,
      },
    },
    strictTransportSecurity: options.secure,
    // Exported PNG/SVG downloads and the WebSocket need nothing cross-origin.
    crossOriginEmbedderPolicy: false,
  })
  if (options.corsOrigins.length > 0) {
    await app.register(cors, { origin: options.corsOrigins, exposedHeaders: ['retry-after', 'x-request-id', 'content-disposition'] })
  }
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  app.addHook('preHandler', async (request) => {
    const boardId = (request.params as { id?: unknown } | undefined)?.id
    if (typeof boardId === 'string' && request.url.startsWith('/api/boards/')) request.log = request.log.child({ boardId })
  })
  app.addHook('onResponse', async (request, reply) => {
    const seconds = reply.elapsedTime / 1000
    const route = request.routeOptions.url ?? 'unmatched'
    options.onResponse?.(request.method, route, reply.statusCode, seconds)
    request.log.debug({ method: request.method, url: redactUrl(request.url), status: reply.statusCode, ms: Math.round(seconds * 1000) }, 'request')
  })
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (request) => request.ip,
    ...(options.redis ? { redis: options.redis.client, nameSpace: `${options.redis.prefix}rate:` } : {}),
    // A Redis hiccup must not lock everyone out.
    skipOnError: true,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      ...errorBody(ErrorCode.rateLimited, `Too many requests; try again in ${Math.ceil(context.ttl / 1000)} s`),
    }),
  })
  return { app, server: () => server! }
}
