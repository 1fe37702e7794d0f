// Builds the whole Drawbridge server: database, bus, services, HTTP routes and
// the real-time endpoints, all on one HTTP server. It never listens; main.ts
// (and the test helper, with the same options) does. Each component registers
// its close as it starts (util/lifecycle.ts): close() releases them in reverse
// order, and a start that fails halfway releases what it had started.
import type { Server } from 'node:http'
import type { Logger } from 'pino'
import { AccountService } from './auth/account-service.js'
import { AccountLinks } from './auth/account-links.js'
import { accountMailRoutes } from './http/account-mail-routes.js'
import { ClaimReminders } from './mail/claim-reminders.js'
import { Mailer } from './mail/mailer.js'
import { ApiKeyService } from './auth/api-keys.js'
import { apiKeyRoutes } from './http/api-key-routes.js'
import { AppError } from './errors.js'
import { PrincipalResolver, type UserRow } from './auth/principals.js'
import { TokenService } from './auth/tokens.js'
import { BoardService } from './boards/board-service.js'
import type { Deps } from './boards/deps.js'
import { InviteService } from './boards/invite-service.js'
import { LifecycleService } from './boards/lifecycle-service.js'
import { ParticipantService, participantOf } from './boards/participant-service.js'
import { Policy } from './boards/policy.js'
import { type Bus, LocalBus } from './bus/bus.js'
import type { RedisBus } from './bus/redis-bus.js'
import { DocStore } from './store/doc-store.js'
import { CollabHub } from './collab/hub.js'
import { PresenceRegistry } from './collab/presence.js'
import { DEFAULT_UPDATE_LIMITS } from './collab/update-scan.js'
import { COLLAB_PATH, CollabEndpoint } from './collab/ws-endpoint.js'
import { CommentService } from './comments/comment-service.js'
import type { Config } from './config.js'
import { SocketEvents } from './events/socket-events.js'
import { authRoutes } from './http/auth-routes.js'
import { SSO_PREFIX, ssoRoutes } from './http/sso-routes.js'
import { OidcClient } from './auth/oidc-client.js'
import { SsoAccounts } from './auth/sso-accounts.js'
import { installAuth } from './http/auth.js'
import { boardRoutes } from './http/board-routes.js'
import { createFastify } from './http/fastify.js'
import { healthRoutes } from './http/health-routes.js'
import { lifecycleRoutes } from './http/lifecycle-routes.js'
import { openApi } from './http/openapi.js'
import { PathRouter } from './util/path-router.js'
import type { App } from './http/types.js'
import { webRoutes } from './http/web.js'
import { NotificationService } from './notifications/notification-service.js'
import { webDistDir } from './paths.js'
import { driverClient, isEmbedded, Store } from './store/db.js'
import { EmbeddedVacuum } from './store/embedded-vacuum.js'
import { Sweeper } from './sweeper/sweeper.js'
import { HistoryService } from './history/history-service.js'
import { historyRoutes } from './http/history-routes.js'
import { documentRoutes } from './http/document-routes.js'
import { DocumentService } from './boards/document-service.js'
import { sessionRoutes } from './http/session-routes.js'
import { SessionService } from './session/session-service.js'
import { LobbyService } from './session/lobby-service.js'
import { PrivateNotesService } from './session/private-notes-service.js'
import { VotingService } from './session/voting-service.js'
import { Settings } from './admin/settings.js'
import { TransferService } from './transfer/transfer-service.js'
import { adminRoutes } from './http/admin-routes.js'
import { ConnectionLimiter } from './util/connection-limiter.js'
import { Lifecycle } from './util/lifecycle.js'
import { IdleMemory, fullCollection } from './util/idle-memory.js'
import { LiveAccess } from './boards/live-access.js'
import { describePrincipal, linkGuest } from './boards/guest-link.js'
import { importDocument } from './collab/import-document.js'
import type { RoomLimits } from './collab/room.js'
import { ChangeDispatcher } from './events/change-dispatcher.js'
import type { Changes } from './domain/changes.js'
import { webhookRoutes } from './http/webhook-routes.js'
import { AddressPolicy } from './webhooks/address-policy.js'
import { DeliveryWorker } from './webhooks/delivery-worker.js'
import { WebhookEvents, WebhookTap } from './webhooks/webhook-events.js'
import { WebhookService } from './webhooks/webhook-service.js'
import { transferRoutes } from './http/transfer-routes.js'
import { fileRoutes } from './http/file-routes.js'
import { type FileLimits, FileService } from './boards/file-service.js'
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
  mailer: Mailer
  /** The components, in the order they started (they close in the reverse order). */
  components: string[]
  /** Releases everything, in reverse order of start. */
  close(): Promise<void>
}

export async function buildApp(config: Config, logger: Logger): Promise<Drawbridge> {
  return new Lifecycle(logger).build((life) => start(life, config, logger))
}

/** Starts every component in order; each registers its own close with `life` as it starts. */
async function start(life: Lifecycle, config: Config, logger: Logger): Promise<Drawbridge> {
  const store = await life.start(
    'database',
    () => Store.open({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize }, logger),
    (s) => s.close(),
  )
  // Redis's client (and socket.io's Redis adapter, startSocketEvents) are loaded
  // only in multi-instance mode: a single server would hold megabytes of their
  // modules for nothing.
  const redisBus = config.redisUrl
    ? await life.start(
        'bus',
        async () => (await import('./bus/redis-bus.js')).RedisBus.connect({ url: config.redisUrl!, prefix: config.redisPrefix, logger }),
        (b) => b.close(),
      )
    : null
  const bus: Bus = redisBus ?? life.add('bus', new LocalBus(), (b) => b.close())
  // Before HTTP, so it closes after it: mail a request queued on its way out still goes.
  const mailer = life.add('mail', new Mailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, db: store.db, logger }), (m) => m.close())
  const metrics = new Metrics()
  const router = new PathRouter()
  let webServed = false
  const { app: fastify, server } = await life.start(
    'http',
    () =>
      createFastify({
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
      }),
    ({ app }) => app.close(),
  )
  // Before any route: it documents each route as it is added.
  await openApi(fastify)
  const limiter = new ConnectionLimiter(config.limits.connectionsPerIp, config.trustProxy)
  // Loaded (and subscribed to signals) before anything that re-checks access.
  const settings = await Settings.load(store.db, bus, config.guestsEnabled, logger)
  const tokens = new TokenService(config.tokenSecret, { userSeconds: config.userTokenTtlSeconds, guestSeconds: config.guestTokenTtlSeconds })
  const policy = new Policy({ guestsEnabled: () => settings.guestsEnabled })
  const resolver = new PrincipalResolver(store.db, tokens, () => settings.guestsEnabled)
  // Before the hub and socket.io subscribe to signals: it counts them first.
  const live = life.add('live access', new LiveAccess(store.db, policy, resolver, bus), (l) => l.close())
  const docStore = life.add('document store', newDocStore(store, config, logger, metrics), (d) => d.close())

  const { hub, endpoint } = life.add('collaboration', startCollab(config, logger, { store, bus, policy, resolver, live, docStore, limiter, metrics }), async (c) => {
    // Every accepted update is stored and every socket told 1001 before the rest closes.
    await c.hub.close()
    c.endpoint.close()
  })
  router.onUpgrade(COLLAB_PATH, endpoint.handleUpgrade)
  const presence = life.add('presence', new PresenceRegistry(hub, redisBus && presenceStore(redisBus), logger), (p) => p.stop())
  // A board's capacity counts who is online on every instance.
  hub.countOnlineWith((boardId) => presence.onlinePrincipals(boardId))
  const events = life.add('socket.io', await startSocketEvents(config, logger, { store, bus, redisBus, resolver, live, limiter, presence }), (e) => e.close())
  events.attach(router)
  metrics.readFrom({ connections: () => hub.connectionCount, rooms: () => hub.roomCount, sockets: () => events.io.engine.clientsCount, dbConnections: () => store.connections })

  // Every change also reaches the webhooks, queued on the instance where it happened (so once).
  const webhookTargets = new AddressPolicy(config.webhooks.allowPrivate)
  const delivery = life.add('webhooks', new DeliveryWorker({ db: store.db, logger, policy: webhookTargets, ...config.webhooks }), (w) => w.close())
  const webhookEvents = new WebhookEvents(store.db, logger, () => delivery.kick())
  const changes: Changes = new WebhookTap(new ChangeDispatcher(bus, events), webhookEvents)
  hub.onPresenceChange((boardId, kind, id) => {
    presence.changed(boardId)
    changes.record({ type: 'participant.presence', boardId, who: { kind, id } })
  })
  const deps: Deps = { db: store.db, policy, tokens, config, changes, logger, presence }
  const boards = new BoardService(deps)
  const accounts = new AccountService({ db: store.db, tokens, changes, linkGuest })
  const invites = new InviteService(deps, boards)
  const participants = new ParticipantService(deps, boards)
  const notifications = new NotificationService(deps)
  const lifecycle = new LifecycleService(deps, boards, hub, notifications)
  const comments = new CommentService(deps, boards, notifications)
  const limits = roomLimits(config)
  const transfers = new TransferService(
    deps,
    hub,
    (update, principalKey) => importDocument(update, principalKey, { update: limits.update, maxDocBytes: limits.maxDocBytes }),
    fileLimits(config),
    (p, b) => comments.list(p, b),
  )
  const links = new AccountLinks({ db: store.db, accounts, mail: mailer, publicUrl: config.publicUrl, resetTtlMs: config.passwordResetTtlMs, verification: config.emailVerification })
  accounts.onRegistered = (user) => links.sendVerification(user)
  const reminders = new ClaimReminders(store.db, mailer, config.publicUrl)
  const mail = async () => (await reminders.sendDue()) + (await links.purge())
  const sweeper = life.add('sweeper', newSweeper(config, logger, { store, redisBus, bus, changes, notifications, metrics, retention: () => history.sweep(), mail }), (s) => s.stop())
  const history = life.add('history', new HistoryService(deps, hub, { retentionMs: config.historyRetentionMs, quietMs: config.historyQuietMs }), (h) => h.close())
  hub.onHistoryEvent((boardId, what) => (what === 'updated' ? history.updated(boardId) : history.unloaded(boardId)))

  installAuth(fastify, resolver)
  healthRoutes(fastify, { store, bus, metrics, metricsToken: config.metricsToken })
  authRoutes(fastify, { accounts, describe: (p) => describePrincipal(store.db, p), authRateLimit: config.authRateLimit })
  // Before the board, invite and transfer routes: it holds back what EMAIL_VERIFICATION=required withholds.
  accountMailRoutes(fastify, { links, reminders, boards, verification: config.emailVerification, authRateLimit: config.authRateLimit })
  await ssoRoutes(fastify, { sso: singleSignOn(config, accounts, store), publicUrl: config.publicUrl, tokenSecret: config.tokenSecret, authRateLimit: config.authRateLimit })
  apiKeyRoutes(fastify, { apiKeys: new ApiKeyService({ db: store.db, changes, reaches: (user, boardId) => hasRole(policy, store, user, boardId) }) })
  webhookRoutes(fastify, { webhooks: new WebhookService(store.db, webhookTargets, webhookEvents) })
  adminRoutes(fastify, { adminToken: config.adminToken, accounts, settings, sweeper, store, mailer })
  const lobby = new LobbyService(deps, boards)
  invites.onKnock = (guest) => lobby.announce(guest)
  boardRoutes(fastify, { boards, invites, participants, authRateLimit: config.authRateLimit, hostsOnline: (b) => lobby.hostsOnline(b) })
  lifecycleRoutes(fastify, { lifecycle, comments, notifications, commentRateLimit: config.commentRateLimit })
  transferRoutes(fastify, { transfers, maxImportBytes: config.limits.maxImportBytes })
  historyRoutes(fastify, { history })
  documentRoutes(fastify, { documents: new DocumentService(deps, boards, hub) })
  const votes = life.add('votes', new VotingService(deps, boards), (v) => v.close())
  sessionRoutes(fastify, { sessions: new SessionService(deps, boards), lobby, votes, notes: new PrivateNotesService(deps, boards, hub) })
  fileRoutes(fastify, { files: new FileService(deps, fileLimits(config)), maxFileBytes: config.limits.maxFileBytes })
  if (config.serveWeb) {
    webServed = await webRoutes(fastify, webDistDir)
    if (!webServed) logger.warn({ webDistDir }, 'web app not built (npm run build); serving the API only')
  }
  const gc = fullCollection()
  const idleMemory = gc ? life.add('idle memory', new IdleMemory(gc, logger), (m) => m.close()) : null
  // Through drizzle's own client, whose query and exec take their turn like every other statement (db.ts).
  const driver = driverClient(store.db)
  const vacuum = isEmbedded(driver) ? life.add('embedded vacuum', new EmbeddedVacuum(driver, logger), (v) => v.close()) : null
  await fastify.ready()
  sweeper.start()
  history.start()
  votes.start()
  presence.start()
  delivery.start()
  idleMemory?.start()
  vacuum?.start()
  return { config, fastify, server: server(), store, bus, deps, hub, sweeper, events, settings, metrics, mailer, components: life.names, close: () => life.close() }
}

/** The OpenID Connect sign-in, when OIDC_ISSUER sets one up. */
function singleSignOn(config: Config, accounts: AccountService, store: Store) {
  if (!config.oidc) return null
  const name = config.oidc.name
  const client = new OidcClient(config.oidc, `${config.publicUrl}${SSO_PREFIX}/callback`)
  return { name, client, accounts: new SsoAccounts({ db: store.db, accounts, providerName: name }) }
}

/** Whether the user may be on the board at all (what an API key may be limited to). */
async function hasRole(policy: Policy, store: Store, user: UserRow, boardId: string): Promise<boolean> {
  try {
    const access = await policy.access(store.db, { kind: 'user', user }, boardId)
    return access.role !== null && policy.entryRefusal(access) === null
  } catch (err) {
    if (err instanceof AppError && err.status === 404) return false
    throw err
  }
}

function fileLimits(config: Config): FileLimits {
  return { maxFileBytes: config.limits.maxFileBytes, maxBoardBytes: config.limits.maxBoardFileBytes }
}

/** Per-room limits from the configuration. */
function roomLimits(config: Config): RoomLimits {
  return {
    update: { ...DEFAULT_UPDATE_LIMITS, maxStructs: config.limits.maxUpdateStructs },
    presence: { maxStateBytes: config.limits.presenceMaxBytes, rate: config.limits.presenceRate, burst: config.limits.presenceRate * 2 },
    maxClientIdsPerConnection: MAX_CLIENT_IDS_PER_CONNECTION,
    maxDocBytes: config.limits.maxDocBytes,
    markupPerPrincipal: config.limits.markupQuotaBytes,
    markupPerBoard: config.limits.markupBoardQuotaBytes,
  }
}

function newDocStore(store: Store, config: Config, logger: Logger, metrics: Metrics): DocStore {
  const docStore = new DocStore(store.db, logger, {
    compactAfterUpdates: config.limits.compactAfterUpdates,
    inProcess: store.kind === 'pglite',
    readerUrl: store.kind === 'postgres' ? config.databaseUrl : undefined,
  })
  docStore.metrics = {
    onBatch: (size, ms) => {
      metrics.logBatch.observe(size)
      metrics.logCommit.observe(ms / 1000)
    },
    onLag: (ms) => metrics.logLag.observe(ms / 1000),
    onCompaction: (_boardId, _updates, ms, readBy, mergedBy) => {
      metrics.compactions.inc({ read_by: readBy, merged_by: mergedBy })
      metrics.compactionSeconds.observe(ms / 1000)
    },
  }
  return docStore
}

interface CollabParts {
  store: Store
  bus: Bus
  policy: Policy
  resolver: PrincipalResolver
  live: LiveAccess
  docStore: DocStore
  limiter: ConnectionLimiter
  metrics: Metrics
}

/** The Yjs hub and its WebSocket endpoint: one component. */
function startCollab(config: Config, logger: Logger, p: CollabParts): { hub: CollabHub; endpoint: CollabEndpoint } {
  const hub = new CollabHub({
    db: p.store.db,
    policy: p.policy,
    resolver: p.resolver,
    live: p.live,
    docStore: p.docStore,
    bus: p.bus,
    logger,
    limits: roomLimits(config),
    metrics: p.metrics.roomHooks(),
    capacity: config.boardCapacity,
  })
  const endpoint = new CollabEndpoint(
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
    p.limiter,
  )
  return { hub, endpoint }
}

/** Who is online across instances, in Redis. */
function presenceStore(redisBus: RedisBus) {
  return {
    client: redisBus.client,
    key: (n: string) => redisBus.key(n),
    instanceId: redisBus.instanceId,
    get healthy() {
      return redisBus.healthy
    },
  }
}

interface EventParts {
  store: Store
  bus: Bus
  redisBus: RedisBus | null
  resolver: PrincipalResolver
  live: LiveAccess
  limiter: ConnectionLimiter
  presence: PresenceRegistry
}

async function startSocketEvents(config: Config, logger: Logger, p: EventParts): Promise<SocketEvents> {
  const events = new SocketEvents({
    db: p.store.db,
    resolver: p.resolver,
    live: p.live,
    signals: p.bus,
    limiter: p.limiter,
    logger,
    corsOrigins: config.corsOrigins,
    participant: (boardId, kind, id) => participantOf(p.store.db, p.presence, boardId, { kind, id }),
  })
  if (p.redisBus) {
    // Loaded here, in multi-instance mode only, as Redis's client is (see start()).
    const { createAdapter } = await import('@socket.io/redis-adapter')
    // Board events reach subscribers on every instance. These connections
    // wait out a Redis outage (queueing) rather than fail: the adapter does
    // not handle command errors itself.
    const pub = p.redisBus.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null })
    const sub = p.redisBus.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null })
    pub.on('error', () => {})
    sub.on('error', () => {})
    events.useAdapter(createAdapter(pub, sub, { key: `${config.redisPrefix}socket.io` }))
  }
  return events
}

interface SweeperParts {
  store: Store
  redisBus: RedisBus | null
  bus: Bus
  changes: Changes
  notifications: NotificationService
  metrics: Metrics
  retention: () => Promise<number>
  mail: () => Promise<number>
}

function newSweeper(config: Config, logger: Logger, p: SweeperParts): Sweeper {
  const { redisBus } = p
  return new Sweeper({
    db: p.store.db,
    logger,
    changes: p.changes,
    notifications: p.notifications,
    intervalMs: config.sweepIntervalMs,
    retention: p.retention,
    mail: p.mail,
    metrics: { deleted: (n) => p.metrics.sweeperDeleted.inc(n), warned: (n) => p.metrics.sweeperWarnings.inc(n) },
    // With several instances, one sweeps per interval; the database claim
    // would make a second harmless, the lock only saves it the work.
    skipRound: redisBus
      ? async () => {
          const got = await redisBus.client
            .set(redisBus.key('sweep-lock'), p.bus.instanceId, 'PX', Math.max(100, Math.floor(config.sweepIntervalMs * 0.8)), 'NX')
            .catch(() => 'OK')
          return got !== 'OK'
        }
      : undefined,
  })
}
