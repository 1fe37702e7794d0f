// `npm run bench visits`: boards opened and left, one reader at a time per
// board, `parallel` visits in flight. Each visit connects, gets the full
// state and disconnects; the room loads and unloads each time. First visits
// (every board once, right after it was created) and revisits are measured
// apart: the server's CPU per visit, and visits per second.
import { LeanClient, round, summarize } from './lean-client.js'
import { collabUrl, newBoard, owner } from './scenarios.js'
import type { BenchServer } from './server-proc.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function visit(url: string): Promise<number> {
  const t0 = performance.now()
  const c = new LeanClient(url)
  return new Promise<number>((resolve, reject) => {
    c.onFullState = (at) => {
      c.close()
      resolve(at - t0)
    }
    c.opened.then(() => c.requestState(), reject)
  })
}

async function phase(server: BenchServer, urls: string[], count: number, parallel: number) {
  const cpu0 = server.cpuSeconds()
  const t0 = performance.now()
  const times: number[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) times.push(await visit(urls[next++ % urls.length]!))
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  // The last rooms unload (and save) after their visitor left: their work counts too.
  await sleep(1500)
  const cpuMs = (server.cpuSeconds() - cpu0) * 1000
  const s = summarize(times)
  return { visits: count, visitsPerSecond: round(count / seconds, 0), serverCpuMsPerVisit: round(cpuMs / count, 3), fullStateMsP50: s.p50, fullStateMsP99: s.p99 }
}

export async function visits(server: BenchServer, boards = 200, revisits = 4_000, parallel = 25) {
  const token = await owner(server.url)
  const urls: string[] = []
  for (let i = 0; i < boards; i++) urls.push(collabUrl(server.url, await newBoard(server.url, token), token))
  const first = await phase(server, urls, boards, parallel)
  const again = await phase(server, urls, revisits, parallel)
  return { scenario: 'visits', boards, parallel, first, again }
}
