// One real server for a test file (or describe block), started before its
// tests and stopped after them. Clients a test opens are closed when that test
// ends (each y-websocket provider holds a process 'exit' listener until then);
// clients opened in hooks are closed before the server stops.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'
import { type Api, apiClient } from './api.js'
import { providerClient, type ProviderClient } from './collab.js'
import { startServer, type TestServer } from './server.js'
import { type EventSocket, eventSocket } from './sockets.js'

interface Closable {
  destroy?: () => void
  close?: () => void
  disconnect?: () => void
}

export interface ServerSuite {
  readonly server: TestServer
  /** HTTP client for the suite's server; usable once the tests run. */
  readonly api: Api
  /** Closes `x` when the current test ends (or, from a hook, before the server stops). */
  track<T extends Closable>(x: T): T
  /** An unmodified y-websocket provider on `boardId`, tracked. */
  provider(boardId: string, token: string, options?: Parameters<typeof providerClient>[3]): ProviderClient
  /** A socket.io client, tracked; subscribed to `boardId` (asserted) when given. */
  events(token: string, boardId?: string, transports?: ('websocket' | 'polling')[]): Promise<EventSocket>
}

export function useServer(env: Record<string, string> = {}): ServerSuite {
  let server: TestServer | undefined
  const suiteCleanups: (() => void)[] = []
  const testCleanups: (() => void)[] = []
  let cleanups = suiteCleanups
  const run = (list: (() => void)[]) => {
    for (const cleanup of list.splice(0)) cleanup()
  }
  beforeAll(async () => {
    server = await startServer(env)
  })
  beforeEach(() => {
    cleanups = testCleanups
  })
  afterEach(() => {
    run(testCleanups)
    cleanups = suiteCleanups
  })
  afterAll(async () => {
    run(suiteCleanups)
    await server?.stop()
  })
  const running = (): TestServer => {
    if (!server) throw new Error('the suite server is not started yet (use it inside hooks and tests)')
    return server
  }
  const track = <T extends Closable>(x: T): T => {
    cleanups.push(() => {
      x.destroy?.()
      x.close?.()
      x.disconnect?.()
    })
    return x
  }
  return {
    get server() {
      return running()
    },
    api: apiClient(() => running().url),
    track,
    provider: (boardId, token, options) => track(providerClient(running().url, boardId, token, options)),
    async events(token, boardId, transports) {
      const s = await eventSocket(running().url, token, transports)
      cleanups.push(() => s.disconnect())
      if (boardId) expect(await s.subscribe(boardId)).toEqual({ ok: true })
      return s
    },
  }
}
