import { createHash, timingSafeEqual } from 'node:crypto'
import type { Bus } from '../bus/bus.js'
import { unauthenticated } from '../errors.js'
import type { Metrics } from '../metrics.js'
import type { Store } from '../store/db.js'
import type { App } from './types.js'

const digest = (s: string) => createHash('sha256').update(s).digest()

/** /healthz: the process is up. /readyz: its dependencies answer (for load balancers). /metrics: Prometheus. */
export function healthRoutes(
  app: App,
  { store, bus, metrics, metricsToken }: { store: Store; bus: Bus; metrics: Metrics; metricsToken: string | undefined },
): void {
  app.get('/metrics', async (request, reply) => {
    if (metricsToken !== undefined) {
      const given = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? ''
      if (!timingSafeEqual(digest(given), digest(metricsToken))) throw unauthenticated('A valid metrics token is required')
    }
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics())
  })
  app.get('/healthz', async () => ({ ok: true }))
  app.get('/readyz', async (_request, reply) => {
    const database = await store
      .ping()
      .then(() => 'up' as const)
      .catch(() => 'down' as const)
    const redis = bus.kind === 'redis' ? (bus.healthy ? 'up' : 'down') : 'not configured'
    const ready = database === 'up' && redis !== 'down'
    return reply.status(ready ? 200 : 503).send({ ok: ready, database, redis })
  })
}
