// Builds the whole Drawbridge server: database, services, HTTP routes and the
// real-time endpoints, all on one HTTP server. It never listens; main.ts (and
// the test helper, with the same options) does.
import { createServer, type Server } from 'node:http'
import rateLimit from '@fastify/rate-limit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify'
import type { Logger } from 'pino'
import { AccountService } from './auth/account-service.js'
import { PrincipalResolver } from './auth/principals.js'
import { TokenService } from './auth/tokens.js'
import { BoardService } from './boards/board-service.js'
import type { Deps, PresenceLookup } from './boards/deps.js'
import type { BoardEvents } from './boards/events.js'
import { LifecycleService } from './boards/lifecycle-service.js'
import { CommentService } from './comments/comment-service.js'
import { SocketEvents } from './events/socket-events.js'
import { lifecycleRoutes } from './http/lifecycle-routes.js'
import { NotificationService } from './notifications/notification-service.js'
import { Sweeper } from './sweeper/sweeper.js'
import { InviteService } from './boards/invite-service.js'
import { ParticipantService } from './boards/participant-service.js'
import { Policy } from './boards/policy.js'
import { LocalSignals } from './bus/signals.js'
import { DocStore } from './collab/doc-store.js'
import { CollabHub } from './collab/hub.js'
import { COLLAB_PATH, CollabEndpoint } from './collab/ws-endpoint.js'
import type { Config } from './config.js'
import { authRoutes } from './http/auth-routes.js'
import { boardRoutes } from './http/board-routes.js'
import { errorBody, installErrorHandling } from './http/error-handler.js'
import { installAuth } from './http/auth.js'
import { PathRouter } from './http/path-router.js'
import { webRoutes } from './http/web.js'
import { webDistDir } from './paths.js'
import type { App } from './http/types.js'
import { Store } from './store/db.js'
import { ErrorCode } from '../../shared/constants.js'

export const BODY_LIMIT = 1024 * 1024
/** A WebSocket client with more than this unsent is not reading; it is dropped (it will resync). */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024

export interface Drawbridge {
  config: Config
  fastify: App
  server: Server
  store: Store
  deps: Deps
  hub: CollabHub
  sweeper: Sweeper
  events: SocketEvents
  /** Releases everything, in reverse order of start. */
  close(): Promise<void>
}

export async function buildApp(config: Config, logger: Logger): Promise<Drawbridge> {
  const store = await Store.open(
    { databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize },
    logger,
  )
  const router = new PathRouter()
  let server: Server | undefined
  const fastify = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Quiet by default: no per-request lines, only errors and lifecycle.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    // Strict types: `"title": 123` is a 400, not the string "123".
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    serverFactory: (handler) => {
      server = createServer(router.request(handler))
      server.on('upgrade', router.upgrade)
      return server
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  // An empty body with a JSON content type (fetch() on DELETE does that)
  // is no body, not a parse error.
  const jsonParser = fastify.getDefaultJsonParser('error', 'error')
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined)
    jsonParser(request, body as string, done)
  })
  fastify.addHook('preValidation', async (request) => {
    if (request.body === undefined && ['POST', 'PATCH', 'PUT'].includes(request.method)) request.body = {}
  })
  let webServed = false
  installErrorHandling(fastify, { shell: () => webServed })
  await fastify.register(rateLimit, {
    global: false,
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      ...errorBody(ErrorCode.rateLimited, `Too many requests; try again in ${Math.ceil(context.ttl / 1000)} s`),
    }),
  })

  const signals = new LocalSignals()
  const tokens = new TokenService(config.tokenSecret, {
    userSeconds: config.userTokenTtlSeconds,
    guestSeconds: config.guestTokenTtlSeconds,
  })
  let guestsEnabled = config.guestsEnabled
  const policy = new Policy({ guestsEnabled: () => guestsEnabled })
  const docStore = new DocStore(store.db, logger, { compactAfterUpdates: config.limits.compactAfterUpdates })
  const hub = new CollabHub({
    db: store.db,
    policy,
    tokens,
    docStore,
    signals,
    logger,
    maxDocBytes: config.limits.maxDocBytes,
  })
  const presence: PresenceLookup = { onlinePrincipals: (boardId) => hub.onlinePrincipals(boardId) }
  const deps: Deps = { db: store.db, policy, tokens, config, signals, logger, presence }
  const resolver = new PrincipalResolver(store.db, tokens)

  // Services call BoardEvents; socket.io needs the participant presenter,
  // which needs the services: the late binding below closes the loop.
  let participants: ParticipantService | undefined
  const socketEvents = new SocketEvents({
    db: store.db,
    policy,
    resolver,
    signals,
    logger,
    corsOrigins: config.corsOrigins,
    participant: (boardId, kind, id) => participants!.one(boardId, kind, id),
  })
  socketEvents.attach(router)
  const events: BoardEvents = socketEvents
  hub.onPresenceChange((boardId, kind, id) => events.participantUpdated(boardId, kind, id))

  const boards = new BoardService(deps, events)
  const accounts = new AccountService(deps, events)
  const invites = new InviteService(deps, boards, events)
  participants = new ParticipantService(deps, boards, events)
  const notifications = new NotificationService(deps, events)
  const lifecycle = new LifecycleService(deps, boards, events, hub, notifications)
  const comments = new CommentService(deps, boards, events, notifications)
  const sweeper = new Sweeper({
    db: store.db,
    logger,
    signals,
    events,
    notifications,
    intervalMs: config.sweepIntervalMs,
  })

  installAuth(fastify, resolver)
  fastify.get('/healthz', async () => ({ ok: true }))
  authRoutes(fastify, { accounts, authRateLimit: config.authRateLimit, adminToken: config.adminToken })
  boardRoutes(fastify, { boards, invites, participants, authRateLimit: config.authRateLimit })
  lifecycleRoutes(fastify, { lifecycle, comments, notifications, commentRateLimit: config.commentRateLimit })
  if (config.serveWeb) {
    webServed = await webRoutes(fastify, webDistDir)
    if (!webServed) logger.warn({ webDistDir }, 'web app not built (npm run build); serving the API only')
  }

  const collab = new CollabEndpoint(
    hub,
    {
      maxMessageBytes: config.limits.maxMessageBytes,
      preAuthMaxMessages: config.limits.preAuthMaxMessages,
      preAuthTimeoutMs: config.limits.preAuthTimeoutMs,
      pingIntervalMs: config.limits.pingIntervalMs,
      rate: config.wsRate,
      burst: config.wsBurst,
      maxBufferedBytes: MAX_BUFFERED_BYTES,
    },
    logger,
  )
  router.onUpgrade(COLLAB_PATH, collab.handleUpgrade)

  await fastify.ready()
  sweeper.start()
  void guestsEnabled

  return {
    config,
    fastify,
    server: server!,
    store,
    deps,
    hub,
    sweeper,
    events: socketEvents,
    async close() {
      // Stop background work, flush every accepted update, close sockets
      // with 1001, then the rest, in reverse order of start.
      await sweeper.stop()
      await hub.close()
      collab.close()
      await socketEvents.close()
      await fastify.close()
      await store.close()
    },
  }
}
