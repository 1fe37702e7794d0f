import type { Bus } from '../bus/bus.js'
import type { Store } from '../store/db.js'
import type { App } from './types.js'

/** /healthz: the process is up. /readyz: its dependencies answer (for load balancers). */
export function healthRoutes(app: App, { store, bus }: { store: Store; bus: Bus }): void {
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
