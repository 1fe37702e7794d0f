// G. a big board under edit: one board preloaded with 10,000 shapes, 50 editors each moving
// their own shape at 5 Hz, measured in three consecutive 10 s windows so that the cost
// as the document's history grows shows (window 3 has ~5,000 more overwritten values).
// Installed into a copy of ../shared/bench by scripts/peer-bench/run.sh (same output format).
import { withServer, connectAll, drive, perClientRates, range, log, sleep, r1 } from './common.mjs'

export default async function scenarioG (ctx) {
  const shapes = Number(ctx.args.shapes || (ctx.quick ? 2000 : 10000))
  const editors = Number(ctx.args.clients || 50)
  const hz = Number(ctx.args.hz || 5)
  const windows = 3
  const measureMs = ctx.quick ? 4000 : 10000
  return withServer(ctx, 'G', async (env) => {
    const { srv, smon } = env
    const board = 'board-G'
    if (ctx.adapter.addBoards) await ctx.adapter.addBoards({ port: srv.port, host: '127.0.0.1', names: [board] })
    const rssIdle = smon ? smon.rssNowMB() : null
    const pre = await ctx.pool.call(0, 'preload', { board, shapes, wid: 900000 })
    log(`G: preloaded ${shapes} shapes (${pre.bytes} bytes); ${editors} editors at ${hz} Hz`)
    const specs = range(editors).map(k => ({ wid: k + 1, board, boardSize: editors }))
    const { parts, info } = await connectAll(ctx, specs, { concurrency: 25, timeoutMs: 60000 })
    await ctx.pool.all('shapes')
    await sleep(1000)
    const rssLoaded = smon ? smon.rssNowMB() : null
    const runs = []
    for (let w = 0; w < windows; w++) {
      const d = await drive(ctx, env, { rates: perClientRates(parts, hz), warmMs: w === 0 ? 2000 : 300, measureMs, drainMs: 1000 })
      runs.push({ window: w + 1, rss_mb: smon ? smon.rssNowMB() : null, ...d })
      log(`G: window ${w + 1}: p50 ${d.latency_ms.p50} p99 ${d.latency_ms.p99} ms, ${d.server && d.server.cpu_us_per_delivered} µs per delivered`)
    }
    const first = runs[0]; const last = runs[runs.length - 1]
    const cpu = r => r.server && r.server.cpu_us_per_delivered
    return {
      shapes,
      snapshot_bytes: pre.bytes,
      editors,
      hz,
      connect: info,
      server_rss_mb: { idle: rssIdle, loaded: rssLoaded, end: last.rss_mb },
      latency_ms: last.latency_ms,
      delivered_per_s: last.delivered_per_s,
      delivery_ratio: last.delivery_ratio,
      server: last.server,
      growth: {
        p99_first_last_ms: [first.latency_ms.p99, last.latency_ms.p99],
        cpu_us_first_last: [cpu(first), cpu(last)],
        cpu_ratio_last_over_first: cpu(first) ? r1(cpu(last) / cpu(first) * 10) / 10 : null
      },
      windows: runs
    }
  })
}
