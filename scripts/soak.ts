// `npm run soak`: a bounded soak test (15 minutes by default, SOAK_MINUTES to
// change). Mixed load on a real server process: editors, cursors, clients
// that come and go, comments, guests joining; every 30 s one line of memory,
// CPU, latency and error counts. Not part of `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { LeanClient, round, summarize, updateIds } from './bench/lean-client.js'
import { collabUrl, makeUpdates, newBoard, owner } from './bench/scenarios.js'
import { pinSelf, selfCpuSeconds, startBenchServer } from './bench/server-proc.js'

const minutes = Number(process.env.SOAK_MINUTES ?? 15)
const BOARDS = 20
const EDITORS_PER_BOARD = 3
const REPORT_EVERY_MS = 30_000

interface Row {
  minute: number
  rssMB: number
  serverCpuPct: number
  clientCpuPct: number
  updateP50: number
  updateP99: number
  delivered: number
  connections: number
  errors: number
}

async function main(): Promise<void> {
  pinSelf(1)
  const server = await startBenchServer({ COMMENT_RATE_LIMIT: '100000' })
  const token = await owner(server.url)
  const boards: string[] = []
  for (let i = 0; i < BOARDS; i++) boards.push(await newBoard(server.url, token))
  const sent = new Map<number, number>()
  let samples: number[] = []
  let errors = 0
  let delivered = 0
  let nextClient = 100_000
  const live = new Set<LeanClient>()

  const open = async (boardId: string): Promise<{ c: LeanClient; id: number; updates: Uint8Array[]; k: number }> => {
    const c = new LeanClient(collabUrl(server.url, boardId, token))
    const id = nextClient++
    c.onUpdate = (payload, sub, at) => {
      if (sub !== 2) return
      for (const uid of updateIds(payload)) {
        delivered++
        const t = sent.get(uid)
        if (t) samples.push(at - t)
      }
    }
    c.ws.on('close', (code) => {
      live.delete(c)
      if (code !== 1000 && code !== 1005 && code !== 1006) errors++
    })
    await c.opened
    c.requestState()
    live.add(c)
    // Enough for the minute or so a churned client lives (one edit a second).
    return { c, id, updates: makeUpdates(id, 300, 60), k: 0 }
  }

  const editors = (await Promise.all(boards.flatMap((b) => Array.from({ length: EDITORS_PER_BOARD }, () => open(b))))).map((e, i) => ({
    ...e,
    board: boards[Math.floor(i / EDITORS_PER_BOARD)]!,
  }))
  const timers: NodeJS.Timeout[] = []
  // Edits: each editor once a second; cursors: five times a second.
  timers.push(
    setInterval(() => {
      for (const e of editors) {
        const u = e.updates[e.k++ % e.updates.length]
        if (!u || e.k > e.updates.length) continue
        sent.set(updateIds(u)[0]!, performance.now())
        e.c.sendUpdate(u)
      }
    }, 1000),
    setInterval(() => {
      for (const e of editors) e.c.sendAwareness(e.id, Math.floor(performance.now() / 200), { cursor: { x: Math.random() * 1000, y: Math.random() * 1000 } })
    }, 200),
  )
  // Churn: an editor leaves and a fresh one takes its place, every second.
  let churn = 0
  timers.push(
    setInterval(() => {
      const i = churn++ % editors.length
      const old = editors[i]!
      old.c.close()
      void open(old.board).then(
        (fresh) => (editors[i] = { ...fresh, board: old.board }),
        () => errors++,
      )
    }, 1000),
  )
  // Comments every 5 s, a guest joining and reading every 10 s.
  const http = async (path: string, body: unknown, auth?: string) => {
    const res = await fetch(server.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      body: JSON.stringify(body),
    }).catch(() => null)
    if (!res || res.status >= 500) errors++
    return res?.ok ? ((await res.json()) as any) : null
  }
  timers.push(
    setInterval(() => void http(`/api/boards/${boards[Math.floor(Math.random() * BOARDS)]}/comments`, { anchor: { x: 1, y: 2 }, body: 'soak comment' }, token), 5000),
    setInterval(async () => {
      const board = boards[Math.floor(Math.random() * BOARDS)]!
      const invite = await http(`/api/boards/${board}/invites`, { role: 'reviewer' }, token)
      const guest = invite && (await http(`/api/invites/${invite.invite.token}/join`, { name: 'Soak guest' }))
      if (!guest) return
      const c = new LeanClient(collabUrl(server.url, board, guest.token))
      await c.opened.catch(() => errors++)
      c.requestState()
      setTimeout(() => c.close(), 3000)
    }, 10_000),
  )

  const rows: Row[] = []
  const started = Date.now()
  let cpu = server.cpuSeconds()
  let self = selfCpuSeconds()
  let lastDelivered = 0
  while (Date.now() - started < minutes * 60_000) {
    await new Promise((r) => setTimeout(r, REPORT_EVERY_MS))
    const nowCpu = server.cpuSeconds()
    const nowSelf = selfCpuSeconds()
    const lat = summarize(samples)
    const row: Row = {
      minute: round((Date.now() - started) / 60_000, 1),
      rssMB: round(server.rssBytes() / 1e6, 1),
      serverCpuPct: round(((nowCpu - cpu) * 100 * 1000) / REPORT_EVERY_MS, 1),
      clientCpuPct: round(((nowSelf - self) * 100 * 1000) / REPORT_EVERY_MS, 1),
      updateP50: lat.p50,
      updateP99: lat.p99,
      delivered: delivered - lastDelivered,
      connections: live.size,
      errors,
    }
    rows.push(row)
    process.stdout.write(JSON.stringify(row) + '\n')
    cpu = nowCpu
    self = nowSelf
    lastDelivered = delivered
    samples = []
    if (sent.size > 200_000) sent.clear()
  }
  for (const t of timers) clearInterval(t)
  for (const c of live) c.close()
  await server.stop()
  const table = [
    '| minute | RSS MB | server CPU % | update p50 / p99 ms | delivered / 30 s | connections | errors (total) |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.minute} | ${r.rssMB} | ${r.serverCpuPct} | ${r.updateP50} / ${r.updateP99} | ${r.delivered} | ${r.connections} | ${r.errors} |`),
  ].join('\n')
  mkdirSync('test-artifacts', { recursive: true })
  writeFileSync('test-artifacts/soak-report.md', table + '\n')
  process.stdout.write(`\n${table}\n\nreport written to test-artifacts/soak-report.md\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
