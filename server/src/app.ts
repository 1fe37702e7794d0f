// Builds the whole Drawbridge server: database, bus, services, HTTP routes and
// the real-time endpoints, all on one HTTP server. It never listens; main.ts
// (and the test helper, with the same options) does. Every infrastructure
// piece is created here and released in close(), in reverse order.
import type { Server } from 'node:http'
import { createAdapter } from '@socket.io/redis-adapter'
import type { Logger } from 'pino'
import { AccountService } from './auth/account-service.js'
import { PrincipalResolver } from './auth/principals.js'
import { TokenService } from './auth/tokens.js'
import { BoardService } from './boards/board-service.js'
import type { Deps } from './boards/deps.js'
import { InviteService } from './boards/invite-service.js'
import { LifecycleService } from './boards/lifecycle-service.js'
import { ParticipantService } from './boards/participant-service.js'
import { Policy } from './boards/policy.js'
import { type Bus, LocalBus } from './bus/bus.js'
import { RedisBus } from './bus/redis-bus.js'
import { DocStore } from './collab/doc-store.js'
import { CollabHub } from './collab/hub.js'
import { PresenceRegistry } from './collab/presence.js'
import { DEFAULT_UPDATE_LIMITS } from './collab/update-scan.js'
import { COLLAB_PATH, CollabEndpoint } from './collab/ws-endpoint.js'
import { CommentService } from './comments/comment-service.js'
import type { Config } from './config.js'
import { SocketEvents } from './events/socket-events.js'
import { authRoutes } from './http/auth-routes.js'
import { installAuth } from './http/auth.js'
import { boardRoutes } from './http/board-routes.js'
import { createFastify } from './http/fastify.js'
import { healthRoutes } from './http/health-routes.js'
import { lifecycleRoutes } from './http/lifecycle-routes.js'
import { PathRouter } from './http/path-router.js'
import type { App } from './http/types.js'
import { webRoutes } from './http/web.js'
import { NotificationService } from './notifications/notification-service.js'
import { webDistDir } from './paths.js'
import { Store } from './store/db.js'
import { Sweeper } from './sweeper/sweeper.js'
import { Settings } from './admin/settings.js'
import { TransferService } from './boards/transfer-service.js'
import { adminRoutes } from './http/admin-routes.js'
import { ConnectionLimiter } from './http/connection-limiter.js'
import { transferRoutes } from './http/transfer-routes.js'
import { Metrics } from './metrics.js'

export { BODY_LIMIT } from './http/fastify.js'

/**
 * Yjs client ids one connection may claim. A page load is one id; a client
 * that keeps its document offline brings one per earlier session.
 */
const MAX_CLIENT_IDS_PER_CONNECTION = 256

/** A WebSocket client with more than this unsent is not reading; it is dropped (it will resync). */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024

export interface Drawbridge {
  config: Config
  fastify: App
  server: Server
  store: Store
  bus: Bus
  deps: Deps
  hub: CollabHub
  sweeper: Sweeper
  events: SocketEvents
  settings: Settings
  metrics: Metrics
  /** Releases everything, in reverse order of start. */
  close(): Promise<void>
}

export async function buildApp(config: Config, logger: Logger): Promise<Drawbridge> {
  const store = await Store.open({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize }, logger)
  const redisBus = config.redisUrl ? await RedisBus.connect({ url: config.redisUrl, prefix: config.redisPrefix, logger }) : null
  const bus: Bus = redisBus ?? new LocalBus()
  const router = new PathRouter()
  let webServed = false
  let hub: CollabHub | undefined
  let events: SocketEvents | undefined
  const metrics = new Metrics({
    connections: () => hub?.connectionCount ?? 0,
    rooms: () => hub?.roomCount ?? 0,
    sockets: () => events?.io.engine.clientsCount ?? 0,
  })
  const { app: fastify, server } = await createFastify({
    logger,
    router,
    trustProxy: config.trustProxy,
    redis: redisBus ? { client: redisBus.client, prefix: config.redisPrefix } : null,
    shell: () => webServed,
    headersTimeoutMs: config.limits.headersTimeoutMs,
    requestTimeoutMs: config.limits.requestTimeoutMs,
    corsOrigins: config.corsOrigins,
    secure: config.publicUrl.startsWith('https:'),
    onResponse: (method, route, status, seconds) => metrics.http.observe({ method, route, status: String(status) }, seconds),
  })
  const limiter = new ConnectionLimiter(config.limits.connectionsPerIp, config.trustProxy)
  // Loaded (and subscribed to signals) before anything that re-checks access.
  const settings = await Settings.load(store.db, bus, config.guestsEnabled, logger)

  const tokens = new TokenService(config.tokenSecret, {
    userSeconds: config.userTokenTtlSeconds,
    guestSeconds: config.guestTokenTtlSeconds,
  })
  const policy = new Policy({ guestsEnabled: () => settings.guestsEnabled })
  const docStore = new DocStore(store.db, logger, { compactAfterUpdates: config.limits.compactAfterUpdates, inProcess: store.kind === 'pglite' })
  docStore.metrics = {
    onBatch: (size, ms) => {
      metrics.logBatch.observe(size)
      metrics.logCommit.observe(ms / 1000)
    },
    onLag: (ms) => metrics.logLag.observe(ms / 1000),
    onCompaction: (_boardId, _updates, ms) => {
      metrics.compactions.inc()
      metrics.compactionSeconds.observe(ms / 1000)
    },
  }
  hub = new CollabHub({
    db: store.db,
    policy,
    tokens,
    docStore,
    bus,
    logger,
    limits: {
      update: { ...DEFAULT_UPDATE_LIMITS, maxStructs: config.limits.maxUpdateStructs },
      presence: { maxStateBytes: config.limits.presenceMaxBytes, rate: config.limits.presenceRate, burst: config.limits.presenceRate * 2 },
      maxClientIdsPerConnection: MAX_CLIENT_IDS_PER_CONNECTION,
      maxDocBytes: config.limits.maxDocBytes,
      markupPerPrincipal: config.limits.markupQuotaBytes,
      markupPerBoard: config.limits.markupBoardQuotaBytes,
    },
    metrics: metrics.roomHooks(),
    guestsEnabled: () => settings.guestsEnabled,
  })
  const presence = new PresenceRegistry(
    { localPrincipals: (b) => hub.localPrincipals(b), localBoards: () => hub.localBoards() },
    redisBus ? { client: redisBus.client, key: (n) => redisBus.key(n), instanceId: bus.instanceId, get healthy() { return redisBus.healthy } } : null,
    logger,
  )
  const deps: Deps = { db: store.db, policy, tokens, config, signals: bus, logger, presence }
  const resolver = new PrincipalResolver(store.db, tokens, () => settings.guestsEnabled)

  // Services call BoardEvents; socket.io needs the participant presenter,
  // which needs the services: the late binding below closes the loop.
  let participants: ParticipantService | undefined
  events = new SocketEvents({
    db: store.db,
    policy,
    resolver,
    signals: bus,
    limiter,
    logger,
    corsOrigins: config.corsOrigins,
    participant: (boardId, kind, id) => participants!.one(boardId, kind, id),
  })
  if (redisBus) {
    // Board events reach subscribers on every instance.
    // These wait out a Redis outage (queueing) rather than fail: the adapter
    // does not handle command errors itself.
    const pub = redisBus.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null })
    const sub = redisBus.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null })
    pub.on('error', () => {})
    sub.on('error', () => {})
    events.useAdapter(createAdapter(pub, sub, { key: `${config.redisPrefix}socket.io` }))
  }
  events.attach(router)
  hub.onPresenceChange((boardId, kind, id) => {
    presence.changed(boardId)
    events.participantUpdated(boardId, kind, id)
  })

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
    signals: bus,
    events,
    notifications,
    intervalMs: config.sweepIntervalMs,
    metrics: { deleted: (n) => metrics.sweeperDeleted.inc(n), warned: (n) => metrics.sweeperWarnings.inc(n) },
    // With several instances, one sweeps per interval; the database claim
    // would make a second harmless, the lock only saves it the work.
    skipRound: redisBus
      ? async () => {
          const got = await redisBus.client
            .set(redisBus.key('sweep-lock'), bus.instanceId, 'PX', Math.max(100, Math.floor(config.sweepIntervalMs * 0.8)), 'NX')
            .catch(() => 'OK')
          return got !== 'OK'
        }
      : undefined,
  })

  installAuth(fastify, resolver)
  healthRoutes(fastify, { store, bus, metrics, metricsToken: config.metricsToken })
  authRoutes(fastify, { accounts, authRateLimit: config.authRateLimit })
  adminRoutes(fastify, { adminToken: config.adminToken, accounts, settings, sweeper, store })
  boardRoutes(fastify, { boards, invites, participants, authRateLimit: config.authRateLimit })
  lifecycleRoutes(fastify, { lifecycle, comments, notifications, commentRateLimit: config.commentRateLimit })
  const transfers = new TransferService(deps, hub, (p, b) => comments.list(p, b))
  transferRoutes(fastify, { transfers, maxImportBytes: config.limits.maxImportBytes })
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
      work: { rate: config.limits.updateWorkRate, burst: config.limits.updateWorkBurst },
    },
    logger,
    limiter,
  )
  router.onUpgrade(COLLAB_PATH, collab.handleUpgrade)

  await fastify.ready()
  sweeper.start()
  presence.start()

  return {
    config,
    fastify,
    server: server(),
    store,
    bus,
    deps,
    hub,
    sweeper,
    events,
    settings,
    metrics,
    async close() {
      // Stop background work, flush every accepted update, close sockets
      // with 1001, then the rest.
      presence.stop()
      await sweeper.stop()
      await hub.close()
      collab.close()
      await events.close()
      await fastify.close()
      await bus.close()
      await store.close()
    },
  }
}
