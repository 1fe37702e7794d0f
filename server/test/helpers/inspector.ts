// Drives a spawned server's V8 through the inspector protocol. A leak test must
// compare memory after a full collection: without one it measures whatever
// garbage happened to be waiting, which is noise, not a leak.
import WebSocket from 'ws'
import type { ServerProcess } from './process.js'

export interface Inspector {
  /** Full, synchronous garbage collection in the server process. */
  collectGarbage(): Promise<void>
  /** Must run before the process is signalled: Node waits for attached debuggers to leave before it exits. */
  close(): Promise<void>
}

export async function attachInspector(proc: ServerProcess): Promise<Inspector> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(proc.output())?.[1]
  if (!url) throw new Error('server was not started with --inspect')
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  let nextId = 0
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as { id?: number; error?: { message: string } }
    if (msg.id === undefined) return
    const waiter = pending.get(msg.id)
    pending.delete(msg.id)
    if (msg.error) waiter?.reject(new Error(msg.error.message))
    else waiter?.resolve()
  })
  const call = (method: string) =>
    new Promise<void>((resolve, reject) => {
      const id = ++nextId
      pending.set(id, { resolve, reject })
      ws.send(JSON.stringify({ id, method }))
    })
  return {
    async collectGarbage() {
      // Twice: the first pass runs finalizers that free what the second reclaims.
      await call('HeapProfiler.collectGarbage')
      await call('HeapProfiler.collectGarbage')
    },
    close() {
      return new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve()
        ws.once('close', () => resolve())
        ws.close()
      })
    },
  }
}
