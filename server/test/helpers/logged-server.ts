// A Drawbridge on port 0 started as the test helper starts it, whose log
// lines the test reads (secrets must never reach them).
import { Writable } from 'node:stream'
import { startServer, type TestServer } from './server.js'

export interface LoggedServer {
  running: TestServer
  /** Every log line written so far (JSON text). */
  lines: string[]
  stop(): Promise<void>
}

/** A Drawbridge on port 0 like the test helper's, with its log kept (at `level`). */
export async function startLoggedServer(env: Record<string, string>, level = 'trace'): Promise<LoggedServer> {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      cb()
    },
  })
  const running = await startServer({ LOG_LEVEL: level, ...env }, stream)
  return { running, lines, stop: () => running.stop() }
}
