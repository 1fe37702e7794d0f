// Harness adapter for floor-server.mjs (copied next to the harness's own peers by run.sh).
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export default {
  // FLOOR_STORE (see floor-server.mjs) names its own results: floor-pg, floor-pglite, floor-fsync.
  name: process.env.FLOOR_STORE ? `floor-${process.env.FLOOR_STORE}` : 'floor',
  version: () => 'floor (scripts/peer-bench/floor-server.mjs)',
  protocol: 'y-websocket',
  command: ({ port, host }) => ({ cmd: process.execPath, args: [path.join(root, 'peers', 'floor-server.mjs')], env: { PORT: String(port), HOST: host }, cwd: root }),
  url: ({ port, host, board }) => `ws://${host}:${port}/${encodeURIComponent(board)}`,
  provider: ({ port, host, board }) => ({ serverUrl: `ws://${host}:${port}`, room: board, params: {} }),
}
