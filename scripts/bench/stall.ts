// How responsive the server stays while an attacker sends the worst updates
// it is allowed: a guest with no account makes a temporary board (it is its
// editor) and, over several connections from its one address, sends updates
// of MAX_UPDATE_STRUCTS tiny map sets each, as fast as the server lets it,
// reconnecting whenever it is cut off. Meanwhile /healthz is asked every
// 10 ms; its latency is what every other user of the server would feel.
import { Worker } from 'node:worker_threads'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import { round as roundTo, summarize } from './lean-client.js'
import { collabUrl } from './scenarios.js'
import type { BenchServer } from './server-proc.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The structs of an update of `n` map sets under fresh keys in `shapes` (they name no client id, so any client can send them). */
function structBody(n: number): Uint8Array {
  const u = encoding.createEncoder()
  for (let i = 0; i < n; i++) {
    encoding.writeUint8(u, 8 | 0x20) // ContentAny with a parent key
    encoding.writeVarUint(u, 1)
    encoding.writeVarString(u, 'shapes')
    encoding.writeVarString(u, i.toString(36))
    encoding.writeVarUint(u, 1)
    encoding.writeAny(u, 1)
  }
  return encoding.toUint8Array(u)
}

const bodies = new Map<number, Uint8Array>()

/** One sync update message of `n` tiny map sets as client `client` (from clock 0), built from a cached body: no work for the attacker. */
export function worstUpdate(client: number, n: number): Uint8Array {
  let body = bodies.get(n)
  if (!body) bodies.set(n, (body = structBody(n)))
  const u = encoding.createEncoder()
  encoding.writeVarUint(u, 1)
  encoding.writeVarUint(u, n)
  encoding.writeVarUint(u, client)
  encoding.writeVarUint(u, 0)
  encoding.writeUint8Array(u, body)
  encoding.writeVarUint(u, 0)
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0) // sync message
  encoding.writeVarUint(e, 2) // update
  encoding.writeVarUint8Array(e, encoding.toUint8Array(u))
  return encoding.toUint8Array(e)
}

// The prober runs on a thread of its own, so that the attacker's sockets in
// this thread never delay it: what it measures is the server.
const PROBE_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const samples = []
const end = Date.now() + workerData.seconds * 1000
;(async () => {
  while (Date.now() < end) {
    const t = performance.now()
    await fetch(workerData.url + '/healthz').then((r) => r.arrayBuffer())
    samples.push(performance.now() - t)
    await new Promise((r) => setTimeout(r, 10))
  }
  parentPort.postMessage(samples)
})()
`

function probeFor(url: string, seconds: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(PROBE_SOURCE, { eval: true, workerData: { url, seconds } })
    w.once('message', (samples: number[]) => {
      resolve(samples)
      void w.terminate()
    })
    w.once('error', reject)
  })
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
    let client = 1_000_000 + a * 1_000_000
    while (!stop) {
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
      // Keep a few updates in the socket's buffer; the server decides how
      // many it takes. Each is new: a fresh client id writing from clock 0.
      while (!stop && ws.readyState === WebSocket.OPEN) {
        if (ws.bufferedAmount < 2 << 20) {
          ws.send(worstUpdate(client++, structs))
          sent++
        }
        await sleep(10)
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
    updateBytes: worstUpdate(1, structs).length,
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

