// What an open collaboration socket keeps alive on the server. Its upgrade
// request (headers, raw headers, stream state: about 1.3 KB per connection in
// a heap snapshot of the peer benchmark's scenario C) is needed only until the
// socket is accepted; a closure that lives as long as the socket must not hold
// it; nor its authentication timer, spent once the connect settles. Checked
// with weak references and forced collections in this process,
// where the server runs too.
import type { IncomingMessage } from 'node:http'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { RawClient } from './helpers/collab.js'
import { castBoard } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const suite = useServer()

describe('an open collaboration socket', () => {
  it('lets its upgrade request go once it is connected and synced', async () => {
    const { boardId, owner } = await castBoard(suite.api)
    const requests: WeakRef<IncomingMessage>[] = []
    const seen = (req: IncomingMessage) => {
      if (req.url?.includes(boardId)) requests.push(new WeakRef(req))
    }
    suite.server.server.prependListener('upgrade', seen)
    const clients: RawClient[] = []
    try {
      for (let i = 0; i < 5; i++) {
        const client = suite.track(await RawClient.connect(suite.server.url, boardId, owner.token))
        await client.syncWithServer()
        clients.push(client)
      }
    } finally {
      suite.server.server.removeListener('upgrade', seen)
    }
    expect(requests).toHaveLength(5)
    let kept = requests.length
    for (let round = 0; round < 20 && kept > 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      gc()
      kept = requests.filter((ref) => ref.deref() !== undefined).length
    }
    for (const client of clients) expect(client.closeCode).toBeNull()
    expect(kept).toBe(0)
  })

  it('lets its authentication timer go once it is connected', async () => {
    // The timer that ends a connection still authenticating after 10 s is
    // spent once the connect settles; the socket's handlers must not keep it
    // (nor the token and URL its neighbours close over).
    const { boardId, owner } = await castBoard(suite.api)
    const preAuthMs = suite.server.config.limits.preAuthTimeoutMs
    const timers: WeakRef<object>[] = []
    const original = globalThis.setTimeout
    const watching = ((fn: () => void, ms?: number, ...args: unknown[]) => {
      const timer = original(fn, ms, ...args)
      if (ms === preAuthMs) timers.push(new WeakRef(timer as unknown as object))
      return timer
    }) as typeof setTimeout
    globalThis.setTimeout = watching
    const clients: RawClient[] = []
    try {
      for (let i = 0; i < 5; i++) {
        const client = suite.track(await RawClient.connect(suite.server.url, boardId, owner.token))
        await client.syncWithServer()
        clients.push(client)
      }
    } finally {
      globalThis.setTimeout = original
    }
    expect(timers).toHaveLength(5)
    let kept = timers.length
    for (let round = 0; round < 20 && kept > 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      gc()
      kept = timers.filter((ref) => ref.deref() !== undefined).length
    }
    for (const client of clients) expect(client.closeCode).toBeNull()
    expect(kept).toBe(0)
  })
})
