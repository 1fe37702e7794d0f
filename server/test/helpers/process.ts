// A real Drawbridge process (for SIGKILL / SIGTERM tests and multi-instance runs).
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { SERVER_BUILD_ENV } from './process-build.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))

export interface ServerProcess {
  url: string
  port: number
  proc: ChildProcess
  output: () => string
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>
  kill(signal: NodeJS.Signals): Promise<number | string>
}

/** `nodeArgs` go before the entry point, e.g. `--inspect=127.0.0.1:0` for tests that drive V8. */
export async function spawnServer(env: Record<string, string>, timeoutMs = 30_000, nodeArgs: string[] = []): Promise<ServerProcess> {
  // The run's JavaScript build (global setup), or the sources through tsx when a file runs without it.
  const built = process.env[SERVER_BUILD_ENV]
  const entry = built ? [built] : ['--import', 'tsx', 'server/src/main.ts']
  const proc = spawn(process.execPath, [...nodeArgs, ...entry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), timeoutMs)
    // Stops looking once found: a long-lived server's output would otherwise be re-split on every chunk.
    const check = () => {
      for (const line of out.split('\n')) {
        if (!line.includes('drawbridge ready')) continue
        clearTimeout(timer)
        proc.stdout!.off('data', check)
        return resolve((JSON.parse(line) as { port: number }).port)
      }
    }
    proc.stdout!.on('data', check)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code}) before starting:\n${out}`))
    })
  })
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    output: () => out,
    exited,
    kill(signal) {
      proc.kill(signal)
      return exited
    },
  }
}
