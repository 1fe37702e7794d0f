// The benchmark scenarios. Each returns one JSON-able result object.
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import { clientOfKey, LeanClient, round, summarize, updateId, updateIds } from './lean-client.js'
import { type BenchServer, selfCpuSeconds } from './server-proc.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function api(url: string, path: string, body?: unknown, token?: string): Promise<any> {
  const res = await fetch(url + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return res.json()
}

let userSeq = 0
export async function owner(url: string): Promise<string> {
  const r = await api(url, '/api/auth/register', {
    email: `bench${process.pid}.${userSeq++}.${Date.now()}@example.test`,
    password: 'benchmark password',
    name: 'Bench',
  })
  return r.token as string
}

export async function newBoard(url: string, token: string): Promise<string> {
  return (await api(url, '/api/boards', { title: 'bench' }, token)).board.id as string
}

export function collabUrl(url: string, boardId: string, token: string, ext = false): string {
  return `${url.replace('http', 'ws')}/collab/${boardId}?token=${token}${ext ? '&ext=1' : ''}`
}

/** Connects `n` lean clients and waits until each has the full state. */
export async function connectSynced(url: string, boardId: string, token: string, n: number): Promise<LeanClient[]> {
  const clients = Array.from({ length: n }, () => new LeanClient(collabUrl(url, boardId, token)))
  await Promise.all(
    clients.map(async (c) => {
      const full = new Promise<void>((resolve) => (c.onFullState = () => resolve()))
      await c.opened
      c.requestState()
      await full
      c.onFullState = null
    }),
  )
  return clients
}

/** Pre-generated updates per client (so no Y.Doc exists while measuring). */
export function makeUpdates(clientId: number, count: number, payloadBytes = 40): Uint8Array[] {
  const doc = new Y.Doc()
  doc.clientID = clientId
  const out: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => out.push(u))
  const filler = 'x'.repeat(payloadBytes)
  for (let k = 0; k < count; k++) doc.getMap('shapes').set(`c${clientId}_${k}`, { x: k, y: k, note: filler })
  doc.destroy()
  return out
}

interface Driver {
  stop(): void
}

/** Sends each client's updates at `rate` per second (Poisson-free, evenly phased). */
function drive(clients: LeanClient[], updates: Uint8Array[][], rate: number, sent: Map<number, number>): Driver {
  const next = clients.map(() => 0)
  const phase = clients.map((_, i) => (i / clients.length) * (1000 / rate))
  const started = performance.now()
  const timer = setInterval(() => {
    const elapsed = performance.now() - started
    clients.forEach((c, i) => {
      const due = Math.floor(((elapsed - phase[i]!) * rate) / 1000) + 1
      while (next[i]! < due && next[i]! < updates[i]!.length) {
        const u = updates[i]![next[i]!++]!
        sent.set(updateId(u)!, performance.now())
        c.sendUpdate(u)
      }
    })
  }, 2)
  return { stop: () => clearInterval(timer) }
}

function listenLatency(clients: LeanClient[], sent: Map<number, number>, samples: number[], active: { on: boolean }) {
  for (const c of clients) {
    c.onUpdate = (payload, sub, at) => {
      if (sub !== 2 || !active.on) return
      for (const id of updateIds(payload)) {
        c.updates++
        const t = sent.get(id)
        if (t) samples.push(at - t)
      }
    }
  }
}

const delivered = (clients: LeanClient[]) => clients.reduce((n, c) => n + c.stats.delivered, 0)
const deliveredUpdates = (clients: LeanClient[]) => clients.reduce((n, c) => n + c.updates, 0)

/** 1 board, `n` clients, `rate` updates/s each. */
export async function fanout(server: BenchServer, n: number, rate = 2, seconds = 10) {
  const token = await owner(server.url)
  const boardId = await newBoard(server.url, token)
  const clients = await connectSynced(server.url, boardId, token, n)
  const total = Math.ceil(rate * (seconds + 12)) + 2
  const updates = clients.map((_, i) => makeUpdates(10_000 + i, total))
  // Warm-up: the first write of each client id claims it in the database.
  const sent = new Map<number, number>()
  const samples: number[] = []
  const active = { on: false }
  listenLatency(clients, sent, samples, active)
  const driver = drive(clients, updates, rate, sent)
  await sleep(Number(process.env.BENCH_WARMUP_MS ?? 2000))
  active.on = true
  const cpu0 = server.cpuSeconds()
  const self0 = selfCpuSeconds()
  const d0 = delivered(clients)
  const u0 = deliveredUpdates(clients)
  const t0 = performance.now()
  await sleep(seconds * 1000)
  const d1 = delivered(clients)
  const u1 = deliveredUpdates(clients)
  const cpu1 = server.cpuSeconds()
  const self1 = selfCpuSeconds()
  const t1 = performance.now()
  active.on = false
  driver.stop()
  for (const c of clients) c.close()
  const lat = summarize(samples)
  const msgs = d1 - d0
  const ups = u1 - u0
  return {
    scenario: 'fanout',
    clients: n,
    updatesPerSecPerClient: rate,
    latencyMsP50: lat.p50,
    latencyMsP99: lat.p99,
    samples: lat.n,
    deliveredUpdatesPerSec: round((ups * 1000) / (t1 - t0), 0),
    framesPerSec: round((msgs * 1000) / (t1 - t0), 0),
    serverCpuUsPerDelivered: round(((cpu1 - cpu0) * 1e6) / ups),
    serverCpuUsPerFrame: round(((cpu1 - cpu0) * 1e6) / msgs),
    serverCpuPct: round(((cpu1 - cpu0) * 100 * 1000) / (t1 - t0), 1),
    clientCpuPct: round(((self1 - self0) * 100 * 1000) / (t1 - t0), 1),
  }
}

/** The most delivered messages/s at 20 clients while p99 stays under 100 ms. */
export async function ceiling(server: BenchServer, n = 20) {
  const token = await owner(server.url)
  const boardId = await newBoard(server.url, token)
  const clients = await connectSynced(server.url, boardId, token, n)
  const steps: { rate: number; deliveredPerSec: number; p99: number; serverCpuPct: number; clientCpuPct: number }[] = []
  let base = 20_000
  for (const rate of [25, 50, 100, 200, 400, 800]) {
    const seconds = 3
    const updates = clients.map((_, i) => makeUpdates(base + i, Math.ceil(rate * (seconds + 1.5)) + 2, 20))
    base += n
    const sent = new Map<number, number>()
    const samples: number[] = []
    const active = { on: false }
    listenLatency(clients, sent, samples, active)
    const driver = drive(clients, updates, rate, sent)
    await sleep(1000)
    active.on = true
    const d0 = deliveredUpdates(clients)
    const cpu0 = server.cpuSeconds()
    const self0 = selfCpuSeconds()
    const t0 = performance.now()
    await sleep(seconds * 1000)
    const t1 = performance.now()
    const step = {
      rate,
      deliveredPerSec: round(((deliveredUpdates(clients) - d0) * 1000) / (t1 - t0), 0),
      p99: summarize(samples).p99,
      serverCpuPct: round(((server.cpuSeconds() - cpu0) * 100 * 1000) / (t1 - t0), 1),
      clientCpuPct: round(((selfCpuSeconds() - self0) * 100 * 1000) / (t1 - t0), 1),
    }
    active.on = false
    driver.stop()
    await sleep(500)
    steps.push(step)
    if (step.p99 >= 100) break
  }
  for (const c of clients) c.close()
  const ok = steps.filter((s) => s.p99 < 100)
  const best = ok.reduce((a, b) => (b.deliveredPerSec > a.deliveredPerSec ? b : a), ok[0] ?? steps[0]!)
  return {
    scenario: 'ceiling',
    clients: n,
    deliveredPerSecAtP99Under100ms: best.deliveredPerSec,
    atUpdatesPerSecPerClient: best.rate,
    serverCpuPct: best.serverCpuPct,
    clientCpuPct: best.clientCpuPct,
    steps,
  }
}

/** Idle memory: `boards` boards with `perBoard` clients each. */
export async function memory(server: BenchServer, boards = 500, perBoard = 4) {
  const token = await owner(server.url)
  const ids: string[] = []
  for (let i = 0; i < boards; i++) ids.push(await newBoard(server.url, token))
  await sleep(1500)
  const rss0 = server.rssBytes()
  const first: LeanClient[] = []
  for (let i = 0; i < boards; i += 50) {
    first.push(...(await Promise.all(ids.slice(i, i + 50).map((id) => connectSynced(server.url, id, token, 1)))).flat())
  }
  await sleep(2000)
  const rss1 = server.rssBytes()
  const rest: LeanClient[] = []
  for (let i = 0; i < boards; i += 50) {
    rest.push(...(await Promise.all(ids.slice(i, i + 50).map((id) => connectSynced(server.url, id, token, perBoard - 1)))).flat())
  }
  await sleep(2000)
  const rss2 = server.rssBytes()
  const perConn = (rss2 - rss1) / rest.length
  const perRoom = (rss1 - rss0 - perConn * first.length) / boards
  for (const c of [...first, ...rest]) c.close()
  return {
    scenario: 'memory',
    boards,
    clientsPerBoard: perBoard,
    connections: first.length + rest.length,
    rssKBPerIdleConnection: round(perConn / 1024, 1),
    rssKBPerOpenBoard: round(perRoom / 1024, 1),
    rssKBPerBoardWith4Clients: round((rss2 - rss0) / boards / 1024, 1),
    rssMBTotal: round(rss2 / 1024 / 1024, 1),
  }
}

/** A board of `shapes` shapes, written through the collaboration endpoint. */
export async function bigBoard(server: BenchServer, token: string, shapes = 10_000) {
  const boardId = await newBoard(server.url, token)
  const doc = new Y.Doc()
  doc.clientID = 77
  const chunks: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => chunks.push(u))
  const types = ['rect', 'ellipse', 'sticky', 'text', 'arrow']
  for (let start = 0; start < shapes; start += 1000) {
    doc.transact(() => {
      for (let i = start; i < Math.min(shapes, start + 1000); i++) {
        const s = new Y.Map<unknown>()
        doc.getMap('shapes').set(`shape-${i.toString(36)}-${(i * 7919).toString(36)}`, s)
        s.set('type', types[i % types.length])
        s.set('x', (i % 100) * 120)
        s.set('y', Math.floor(i / 100) * 90)
        s.set('w', 100)
        s.set('h', 70)
        s.set('fill', '#fde68a')
        s.set('stroke', '#1f2937')
        s.set('z', i)
        s.set('text', `Shape number ${i}: a short note`)
      }
    })
  }
  const bytes = Y.encodeStateAsUpdate(doc).length
  doc.destroy()
  const writer = new LeanClient(collabUrl(server.url, boardId, token, true))
  await writer.opened
  let saved = 0
  writer.ws.on('message', (m: Buffer) => {
    if (m[0] === 100 && m.toString().includes('"saved"')) saved++
  })
  for (const c of chunks) writer.sendUpdate(c)
  while (saved === 0) await sleep(20)
  await sleep(300)
  writer.close()
  await sleep(500)
  return { boardId, bytes }
}

/** Cold joins to a 10,000-shape board, then 200 simultaneous joiners. */
export async function coldJoin(server: BenchServer, joins = 20, crowd = 200) {
  const token = await owner(server.url)
  const { boardId, bytes } = await bigBoard(server, token)
  const firstByte: number[] = []
  const fullState: number[] = []
  for (let i = 0; i < joins; i++) {
    await sleep(300) // let the room unload: the next join is cold
    const t0 = performance.now()
    const c = new LeanClient(collabUrl(server.url, boardId, token))
    const got = new Promise<void>((resolve) => {
      c.onFirstMessage = (at) => firstByte.push(at - t0)
      c.onFullState = (at) => {
        fullState.push(at - t0)
        resolve()
      }
    })
    await c.opened
    c.requestState()
    await got
    c.close()
  }
  await sleep(300)
  const t0 = performance.now()
  const done: number[] = []
  const clients = Array.from({ length: crowd }, () => new LeanClient(collabUrl(server.url, boardId, token)))
  await Promise.all(
    clients.map(async (c) => {
      const full = new Promise<void>((resolve) => (c.onFullState = (at) => (done.push(at - t0), resolve())))
      await c.opened
      c.requestState()
      await full
    }),
  )
  for (const c of clients) c.close()
  const fb = summarize(firstByte)
  const fs = summarize(fullState)
  return {
    scenario: 'cold-join',
    shapes: 10_000,
    documentBytes: bytes,
    firstByteMsP50: fb.p50,
    fullStateMsP50: fs.p50,
    fullStateMsP99: fs.p99,
    crowd,
    crowdAllFullStateMs: round(Math.max(...done), 0),
  }
}

/** `n` cursors moving at `hz`. */
export async function cursors(server: BenchServer, n = 50, hz = 20, seconds = 10) {
  const token = await owner(server.url)
  const boardId = await newBoard(server.url, token)
  const clients = await connectSynced(server.url, boardId, token, n)
  // The generator shares a 2-core machine with the server: it allocates
  // nothing per entry (no id strings, no decoded JSON, no growing arrays), so
  // its own garbage collection does not show up as presence latency.
  const CLOCKS = 4096
  const sent = new Float64Array(n * CLOCKS)
  const samples = new Float64Array(n * n * hz * (seconds + 2))
  let sampleCount = 0
  const active = { on: false }
  const firstId = 50_000
  // Presence entries delivered, counting each inside a batched message.
  let entries = 0
  for (const c of clients) {
    c.onAwareness = (payload, at) => {
      if (!active.on) return
      const d = decoding.createDecoder(payload)
      const count = decoding.readVarUint(d)
      for (let i = 0; i < count; i++) {
        const client = decoding.readVarUint(d) - firstId
        const clock = decoding.readVarUint(d)
        const stateLength = decoding.readVarUint(d)
        d.pos += stateLength // the state's JSON, unread
        entries++
        const t = client >= 0 && client < n && clock < CLOCKS ? sent[client * CLOCKS + clock]! : 0
        if (t > 0 && sampleCount < samples.length) samples[sampleCount++] = at - t
      }
    }
  }
  const clocks = clients.map(() => 0)
  const ids = clients.map((_, i) => firstId + i)
  clients.forEach((c, i) => c.sendAwareness(ids[i]!, ++clocks[i]!, { cursor: { x: 0, y: 0 } }))
  await sleep(1000)
  const period = 1000 / hz
  const timers = clients.map((c, i) =>
    setTimeout(() => {
      timers[i] = setInterval(() => {
        const clock = ++clocks[i]!
        if (clock < CLOCKS) sent[i * CLOCKS + clock] = performance.now()
        c.sendAwareness(ids[i]!, clock, { cursor: { x: clock % 1000, y: i } })
      }, period) as unknown as NodeJS.Timeout
    }, (i / n) * period),
  )
  await sleep(1500)
  active.on = true
  const d0 = delivered(clients)
  const e0 = entries
  const cpu0 = server.cpuSeconds()
  const t0 = performance.now()
  await sleep(seconds * 1000)
  const msgs = delivered(clients) - d0
  const delivered1 = entries - e0
  const cpu1 = server.cpuSeconds()
  const t1 = performance.now()
  active.on = false
  for (const t of timers) clearInterval(t)
  for (const c of clients) c.close()
  const lat = summarize(Array.from(samples.subarray(0, sampleCount)))
  return {
    scenario: 'cursors',
    clients: n,
    hz,
    latencyMsP50: lat.p50,
    latencyMsP99: lat.p99,
    deliveredPerSec: round((delivered1 * 1000) / (t1 - t0), 0),
    framesPerSec: round((msgs * 1000) / (t1 - t0), 0),
    serverCpuUsPerDelivered: round(((cpu1 - cpu0) * 1e6) / delivered1),
    serverCpuUsPerFrame: round(((cpu1 - cpu0) * 1e6) / msgs),
  }
}

/** 1 board, `n` clients split across several instances: same- vs cross-instance latency. */
export async function fanoutMulti(servers: BenchServer[], n = 100, rate = 2, seconds = 10) {
  const token = await owner(servers[0]!.url)
  const boardId = await newBoard(servers[0]!.url, token)
  const home = Array.from({ length: n }, (_, i) => i % servers.length)
  const clients = (await Promise.all(home.map((h) => connectSynced(servers[h]!.url, boardId, token, 1)))).flat()
  const updates = clients.map((_, i) => makeUpdates(30_000 + i, Math.ceil(rate * (seconds + 12)) + 2))
  const origin = new Map<number, number>()
  clients.forEach((_, i) => origin.set(30_000 + i, home[i]!))
  const sent = new Map<number, number>()
  const same: number[] = []
  const cross: number[] = []
  const active = { on: false }
  clients.forEach((c, i) => {
    c.onUpdate = (payload, sub, at) => {
      if (sub !== 2 || !active.on) return
      for (const id of updateIds(payload)) {
        const t = sent.get(id)
        if (!t) continue
        const from = origin.get(clientOfKey(id))
        ;(from === home[i] ? same : cross).push(at - t)
      }
    }
  })
  const driver = drive(clients, updates, rate, sent)
  await sleep(Number(process.env.BENCH_WARMUP_MS ?? 2000))
  active.on = true
  const cpu0 = servers.map((s) => s.cpuSeconds())
  await sleep(seconds * 1000)
  const cpu1 = servers.map((s) => s.cpuSeconds())
  active.on = false
  driver.stop()
  for (const c of clients) c.close()
  const s = summarize(same)
  const x = summarize(cross)
  return {
    scenario: 'fanout-multi',
    instances: servers.length,
    clients: n,
    updatesPerSecPerClient: rate,
    sameInstanceMsP50: s.p50,
    sameInstanceMsP99: s.p99,
    crossInstanceMsP50: x.p50,
    crossInstanceMsP99: x.p99,
    samples: s.n + x.n,
    serverCpuPct: cpu1.map((c, i) => round(((c - cpu0[i]!) * 100) / seconds, 1)),
  }
}
