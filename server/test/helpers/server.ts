// Starts a real Drawbridge on port 0 exactly as main.ts does, with its own
// data directory (and so its own embedded database).
import { rm } from 'node:fs/promises'
import type { DestinationStream } from 'pino'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { type Running, startDrawbridge } from '../../src/server.js'
import { freshDataDir } from './data-dir.js'

export interface TestServer extends Running {
  dataDir: string
  /** Close the server and delete its data directory. */
  stop(): Promise<void>
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789'

/** `log`: where the server's log lines go (tests that read them set LOG_LEVEL too). */
export async function startServer(env: Record<string, string> = {}, log?: DestinationStream): Promise<TestServer> {
  const dataDir = env.DATA_DIR ?? (await freshDataDir('drawbridge-test-'))
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    AUTH_RATE_LIMIT: '100000',
    COMMENT_RATE_LIMIT: '100000',
    GUEST_BOARDS_PER_IP_PER_HOUR: '100000',
    GUEST_BOARDS_PER_HOUR: '100000',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    SERVE_WEB: 'false',
    ...env,
    DATA_DIR: dataDir,
  })
  const running = await startDrawbridge(config, createLogger(config.logLevel, log))
  let stopped = false
  return Object.assign(running, {
    dataDir,
    async stop() {
      if (stopped) return
      stopped = true
      await running.close()
      if (!env.DATA_DIR) await rm(dataDir, { recursive: true, force: true })
    },
  })
}
