// The harness's Drawbridge adapter plus addBoards(), which scenarios F and G call to create
// their boards (5,000 for F) only on the server that runs them, not on every fresh server,
// and without the per-address update work budget (see command()).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import base from './drawbridge.mjs'

const mapFile = (port) => path.join(os.tmpdir(), `drawbridge-bench-${port ?? 'current'}.json`)

export default {
  ...base,
  // results of the two databases side by side instead of in one file
  name: /DATABASE_URL/.test(process.env.DRAWBRIDGE_ENV ?? '') ? 'drawbridge-pg' : 'drawbridge',
  // like the harness's adapter: capacity, not the abuse limits (G pushes 1.8 MB and then
  // connects 50 editors from the same address, past the default per-address work budget)
  // DRAWBRIDGE_PROFILE=<dir> runs the server without npm, under --cpu-prof (the harness drops
  // NODE_OPTIONS); the profile is written when the harness stops it (SIGTERM, graceful close).
  // DRAWBRIDGE_NODE_FLAGS='--trace-gc …' also runs it without npm, with those flags (output in
  // the harness's server log).
  command (opts) {
    const spec = base.command(opts)
    // D and G preload their board as one update of about 60,000 structs; the default cap per
    // update (MAX_UPDATE_STRUCTS, 50,000) refused it, and those runs measured an empty board.
    const env = { UPDATE_WORK_RATE: '100000000', UPDATE_WORK_BURST: '1000000000', MAX_UPDATE_STRUCTS: '1000000', ...spec.env }
    const dir = process.env.DRAWBRIDGE_PROFILE
    const flags = [...(dir ? ['--cpu-prof', `--cpu-prof-dir=${JSON.stringify(path.resolve(dir))}`] : []), ...(process.env.DRAWBRIDGE_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)]
    if (flags.length === 0) return { ...spec, env }
    return { ...spec, env, shell: `exec node ${flags.join(' ')} scripts/start.mjs` }
  },
  async addBoards ({ port, host, names }) {
    const map = JSON.parse(fs.readFileSync(mapFile(port), 'utf8'))
    const todo = names.filter(n => !map.boards[n])
    let next = 0
    const worker = async () => {
      while (next < todo.length) {
        const name = todo[next++]
        const r = await fetch(`http://${host}:${port}/api/boards`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer ' + map.token },
          body: JSON.stringify({ title: name })
        })
        const j = await r.json().catch(() => null)
        if (r.status !== 201 && r.status !== 200) throw new Error(`POST /api/boards -> ${r.status} ${JSON.stringify(j)}`)
        map.boards[name] = j.board.id
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker))
    const text = JSON.stringify(map)
    fs.writeFileSync(mapFile(port), text)
    fs.writeFileSync(mapFile(), text)
  }
}
