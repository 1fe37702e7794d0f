// F. many boards opened once: 5,000 boards, each opened by one client that then leaves.
// Passes when the server's RSS comes back to within 10% of its idle RSS (rooms unloaded).
// Installed into a copy of ../shared/bench by scripts/peer-bench/run.sh (same output format).
import { withServer, connectAll, range, log, sleep, r1 } from './common.mjs'
import { nowUs } from '../lib/clock.mjs'

export default async function scenarioF (ctx) {
  const boards = Number(ctx.args.boards || (ctx.quick ? 500 : 5000))
  const batch = 250
  const settleMs = ctx.quick ? 15000 : 45000
  return withServer(ctx, 'F', async ({ srv, smon, cmon }) => {
    const names = range(boards).map(b => `board-F-${b}`)
    // servers that need boards created first (Drawbridge) get them before the idle reading
    if (ctx.adapter.addBoards) await ctx.adapter.addBoards({ port: srv.port, host: '127.0.0.1', names })
    // idle means settled: every server gets the same quiet time before the reading
    await sleep(12000)
    const idle = await avgRss(smon, 5)
    let peak = idle
    let connected = 0; let failed = 0; const errors = []; const syncP99 = []
    const m0 = smon && smon.mark(); const c0 = cmon.mark()
    const t0 = nowUs()
    for (let b = 0; b < boards; b += batch) {
      const specs = range(Math.min(batch, boards - b)).map(k => ({ wid: b + k + 1, board: names[b + k], boardSize: 1, mode: 'none' }))
      const { info } = await connectAll(ctx, specs, { concurrency: 50 })
      connected += info.connected; failed += info.failed
      if (info.errors) errors.push(...info.errors)
      syncP99.push(info.sync_ms_p99)
      if (smon) peak = Math.max(peak, smon.rssNowMB())
      await ctx.pool.all('closeAll')
    }
    const openMs = Math.round((nowUs() - t0) / 1000)
    const m1 = smon && smon.mark(); const c1 = cmon.mark()
    log(`F: ${connected}/${boards} boards opened and left in ${openMs} ms; waiting ${settleMs / 1000} s for the rooms to unload`)
    const curve = []
    const tLeft = nowUs()
    while (nowUs() - tLeft < settleMs * 1000) {
      await sleep(5000)
      const v = smon ? smon.rssNowMB() : null
      if (smon) peak = Math.max(peak, v)
      curve.push({ s: Math.round((nowUs() - tLeft) / 1e6), rss_mb: v })
    }
    const after = await avgRss(smon, 5)
    return {
      boards,
      opened: connected,
      failed,
      errors: errors.slice(0, 5),
      open_wall_ms: openMs,
      boards_per_s: r1(connected / (openMs / 1000)),
      sync_ms_p99_max: Math.max(...syncP99.filter(Number.isFinite), 0),
      server_rss_mb: { idle, peak, after_settle: after, curve },
      rss_after_over_idle: idle ? Math.round(after / idle * 1000) / 1000 : null,
      within_10pct_of_idle: idle ? after <= idle * 1.1 : null,
      server: smon ? smon.between(m0, m1) : null,
      client_cpu_pct: cmon.between(c0, c1).cpu_pct
    }
  })
}

async function avgRss (smon, n) {
  if (!smon) return null
  let s = 0
  for (let i = 0; i < n; i++) { s += smon.rssNowMB(); await sleep(200) }
  return Math.round(s / n * 10) / 10
}
