// Keep-alive: a socket that stops answering pings is dropped after one missed
// interval, the others stay, and every socket is pinged once per interval even
// though the pings go out spread over it (in slices, so that thousands of
// sockets never have their pings written in one loop turn).
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { RawClient, wsUrl } from './helpers/collab.js'
import { castBoard } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'

const INTERVAL_MS = 400
const suite = useServer({ WS_PING_INTERVAL: `${INTERVAL_MS}ms` })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('keep-alive pings', () => {
  it('drops the silent socket, keeps the rest, and pings each once per interval', async () => {
    const { boardId, owner } = await castBoard(suite.api)
    const url = `${wsUrl(suite.server.url)}/collab/${boardId}?token=${encodeURIComponent(owner.token)}`
    const live = await Promise.all(Array.from({ length: 40 }, () => suite.track(new RawClient(new WebSocket(url)))).map(async (c) => (await c.ready, c)))
    const pings = live.map(() => 0)
    live.forEach((c, i) => c.ws.on('ping', () => pings[i]!++))
    const silent = suite.track(new RawClient(new WebSocket(url, { autoPong: false })))
    await silent.ready
    const started = Date.now()
    await silent.until(() => silent.closeCode !== null, 10 * INTERVAL_MS)
    expect(silent.closeCode).toBe(1006) // terminated, no close frame
    // one interval to be pinged, one more to have missed it (plus timer slack)
    expect(Date.now() - started).toBeLessThan(6 * INTERVAL_MS)
    const window = 5 * INTERVAL_MS
    const before = [...pings]
    await sleep(window)
    for (const c of live) expect(c.closeCode).toBeNull()
    const got = pings.map((n, i) => n - before[i]!)
    expect(Math.min(...got)).toBeGreaterThanOrEqual(2)
    // never more often than once per interval (a slice is 1/16 of it)
    expect(Math.max(...got)).toBeLessThanOrEqual(window / INTERVAL_MS + 1)
  })
})
