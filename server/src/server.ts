// Build and listen: shared by main.ts and the test helper, so tests run the
// server exactly as production does.
import type { Logger } from 'pino'
import { buildApp, type Drawbridge } from './app.js'
import type { Config } from './config.js'

export interface Running extends Drawbridge {
  /** http://host:port actually bound (port 0 resolves here). */
  url: string
  port: number
}

export async function startDrawbridge(config: Config, logger: Logger): Promise<Running> {
  const started = Date.now()
  const app = await buildApp(config, logger)
  try {
    await app.fastify.listen({ port: config.port, host: config.host })
  } catch (err) {
    await app.close()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
  logger.info(
    { port, host: config.host, publicUrl: config.publicUrl, database: app.store.kind, bootMs: Date.now() - started },
    'drawbridge ready',
  )
  return Object.assign(app, { url, port })
}
