// How responsive the server stays while an attacker sends the worst updates
// it is allowed: a guest with no account makes a temporary board (it is its
// editor) and, over several connections from its one address, sends updates
// of MAX_UPDATE_STRUCTS tiny map sets each, as fast as the server lets it,
// reconnecting whenever it is cut off. Meanwhile /healthz is asked every
// 10 ms; its latency is what every other user of the server would feel.
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import { round as roundTo, summarize } from './lean-client.js'
import { collabUrl } from './scenarios.js'
import type { BenchServer } from './server-proc.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One update: `n` map sets under fresh keys in `shapes`, client `client` from `clock` (v1, written by hand: fast). */
export function worstUpdate(client: number, clock: number, n: number): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0) // sync message
  encoding.writeVarUint(e, 2) // update
  const u = encoding.createEncoder()
  encoding.writeVarUint(u, 1)
  encoding.writeVarUint(u, n)
  encoding.writeVarUint(u, client)
  encoding.writeVarUint(u, clock)
  for (let i = 0; i < n; i++) {
    encoding.writeUint8(u, 8 | 0x20) // ContentAny with a parent key
    encoding.writeVarUint(u, 1)
    encoding.writeVarString(u, 'shapes')
    encoding.writeVarString(u, (clock + i).toString(36))
    encoding.writeVarUint(u, 1)
    encoding.writeAny(u, 1)
  }
  encoding.writeVarUint(u, 0)
  encoding.writeVarUint8Array(e, encoding.toUint8Array(u))
  return encoding.toUint8Array(e)
}

async function probe(url: string, until: () => boolean): Promise<number[]> {
  const samples: number[] = []
  while (!until()) {
    const t = performance.now()
    await fetch(`${url}/healthz`).then((r) => r.arrayBuffer())
    samples.push(performance.now() - t)
    await sleep(10)
  }
  return samples
}

export async function stall(server: BenchServer, options: { seconds?: number; connections?: number; structs?: number } = {}) {
  const seconds = options.seconds ?? 10
  const connections = options.connections ?? 4
  const structs = options.structs ?? 50_000
  const idle = summarize(await probeFor(server.url, 3))
  const created = await fetch(`${server.url}/api/boards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ guestName: 'Mallory' }),
  }).then((r) => r.json() as Promise<{ board: { id: string }; token: string }>)
  const url = collabUrl(server.url, created.board.id, created.token)
  let stop = false
  let sent = 0
  let closes = 0
  const codes = new Map<number, number>()
  const attackers = Array.from({ length: connections }, async (_, a) => {
    let round = 0
    while (!stop) {
      // A fresh client id per connection: the server takes each from clock 0.
      const client = 1_000_000 + a * 100_000 + round++
      let clock = 0
      const ws = new WebSocket(url)
      ws.on('error', () => {})
      const closed = new Promise<void>((resolve) =>
        ws.on('close', (code) => {
          closes++
          codes.set(code, (codes.get(code) ?? 0) + 1)
          resolve()
        }),
      )
      await new Promise<void>((resolve) => ws.once('open', resolve).once('close', resolve))
      // Keep the socket's buffer full; the server decides how much it takes.
      while (!stop && ws.readyState === WebSocket.OPEN) {
        if (ws.bufferedAmount < 4 << 20) {
          ws.send(worstUpdate(client, clock, structs))
          clock += structs
          sent++
        }
        await sleep(5)
      }
      ws.terminate()
      await closed
    }
  })
  const cpu0 = server.cpuSeconds()
  const underAttack = await probeFor(server.url, seconds)
  const cpu1 = server.cpuSeconds()
  stop = true
  await Promise.all(attackers)
  const attack = summarize(underAttack)
  return {
    scenario: 'stall',
    structsPerUpdate: structs,
    updateBytes: worstUpdate(1, 0, structs).length,
    connections,
    seconds,
    healthzIdleMsP50: roundTo(idle.p50),
    healthzIdleMsP99: roundTo(idle.p99),
    healthzMsP50: roundTo(attack.p50),
    healthzMsP99: roundTo(attack.p99),
    healthzMsMax: roundTo(Math.max(...underAttack)),
    healthzSamples: attack.n,
    updatesSent: sent,
    closes,
    closeCodes: Object.fromEntries(codes),
    serverCpuPct: roundTo(((cpu1 - cpu0) / seconds) * 100, 1),
  }
}

function probeFor(url: string, seconds: number): Promise<number[]> {
  const end = performance.now() + seconds * 1000
  return probe(url, () => performance.now() > end)
}
