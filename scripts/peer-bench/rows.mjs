#!/usr/bin/env node
// Issue 17's rows for each peer, over every run in .peer-bench/results/<peer>.jsonl:
// the latest value, the range over the runs, and in how many runs the target was met.
//   node scripts/peer-bench/rows.mjs [peer ...]     (default: every results file)
//   node scripts/peer-bench/rows.mjs --from docs/bench-results/2026-12-02/r4 --from … [peer ...]
//     reads <dir>/<peer>.jsonl of each --from directory instead (the stored raw runs), in that order
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
const dirs = []
for (let i = args.indexOf('--from'); i >= 0; i = args.indexOf('--from')) dirs.push(...args.splice(i, 2).slice(1))
if (dirs.length === 0) dirs.push(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../.peer-bench/results'))
const peers = args.length ? args : [...new Set(dirs.flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -6))))]
const readRuns = (peer) =>
  dirs.flatMap((d) => {
    const file = path.join(d, `${peer}.jsonl`)
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []
  })

const a = (n) => (r) => r.runs?.find((x) => x.clients === n)
const b2000 = (r) => r.steps?.find((s) => s.rate === 2000)
/** [label, scenario, value(result), target test (or null: no target)] */
const ROWS = [
  ['A 200: p99 ms', 'A', (r) => a(200)(r)?.latency_ms.p99, (v) => v <= 20],
  ['A 200: CPU µs/delivered', 'A', (r) => a(200)(r)?.server.cpu_us_per_delivered, (v) => v <= 5],
  ['A 50: CPU µs/delivered', 'A', (r) => a(50)(r)?.server.cpu_us_per_delivered, (v) => v <= 20],
  ['B ceiling delivered/s', 'B', (r) => r.max_sustained?.delivered_per_s, null],
  ['B 2000/s p50 ms', 'B', (r) => b2000(r)?.p50, (v) => v <= 1],
  ['B 2000/s CPU µs/delivered', 'B', (r) => b2000(r)?.server_us_per_msg, (v) => v <= 6],
  ['C KB/connection', 'C', (r) => r.rss_kb_per_connection, (v) => v <= 25],
  ['C KB/board', 'C', (r) => r.rss_kb_per_board, (v) => v <= 100],
  ['C p50 ms', 'C', (r) => r.latency_ms?.p50, (v) => v <= 0.5],
  ['C p99 ms', 'C', (r) => r.latency_ms?.p99, (v) => v <= 4],
  ['idle RSS MB (C)', 'C', (r) => r.server_rss_mb?.idle, null],
  ['D first byte p50 ms', 'D', (r) => r.sequential_joins?.recv_ms.p50, (v) => v <= 8],
  ['D 200 joins, all synced s', 'D', (r) => r.burst && r.burst.all_synced_ms / 1000, (v) => v <= 1],
  ['E p99 ms', 'E', (r) => r.latency_ms?.p99, (v) => v <= 3],
  ['E CPU µs/delivered', 'E', (r) => r.server?.cpu_us_per_delivered, (v) => v <= 5],
  ['F RSS after / idle', 'F', (r) => r.rss_after_over_idle, (v) => v <= 1.1],
  ['G CPU µs/delivered, last window', 'G', (r) => r.server?.cpu_us_per_delivered, null],
  ['G p99 ms, last window', 'G', (r) => r.latency_ms?.p99, null],
]

const fmt = (v) => (v == null ? '–' : Math.abs(v) >= 1000 ? String(Math.round(v)) : String(+v.toFixed(2)))
const table = new Map(peers.map((p) => [p, new Map()]))
for (const peer of peers) {
  const lines = readRuns(peer)
  for (const [label, scenario, value, met] of ROWS) {
    const vals = lines.filter((r) => r.scenario === scenario).map(value).filter((v) => typeof v === 'number')
    if (!vals.length) continue
    const last = vals.at(-1)
    const range = vals.length > 1 ? ` (${fmt(Math.min(...vals))}–${fmt(Math.max(...vals))})` : ''
    const count = met ? `, met ${vals.filter(met).length}/${vals.length}` : ''
    table.get(peer).set(label, `${fmt(last)}${range}${count}`)
  }
}
console.log(`| row | ${peers.join(' | ')} |`)
console.log(`|---|${peers.map(() => '---').join('|')}|`)
for (const [label] of ROWS) console.log(`| ${label} | ${peers.map((p) => table.get(p).get(label) ?? '–').join(' | ')} |`)
