// The floor: the least work a y-websocket server can do on this machine, to
// tell what stops a row of the peer benchmark (issue 17) — the server, or the
// machine and the load generator. In memory, no authentication, no storage:
// one Y.Doc per room; a joiner gets the whole state, encoded once per change
// and framed once for everyone; every other message is framed once and
// written to each other socket as is. Not a server to run; written for the
// harness only (scripts/peer-bench/run.sh --server floor).
//
// FLOOR_STORE=pg|pglite|fsync makes it the floor of a server that keeps
// Drawbridge's durability promise: an update is relayed only once it is
// stored, by group commit (one commit in flight; what arrives meanwhile goes
// in the next), as one row per update in PostgreSQL (FLOOR_DATABASE_URL), in
// PGlite in this process, or appended to a file and fdatasync'ed. Nothing
// else of Drawbridge's: no guard, no compaction, no reads of the log.
import http from 'node:http'
import path from 'node:path'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { Sender, WebSocketServer } from 'ws'
import * as Y from 'yjs'

const SYNC = 0
const STEP1 = 0
const STEP2 = 1
const UPDATE = 2
/** An update with no structs and no deletions (what an empty client answers to step 1). */
const EMPTY_UPDATE_BYTES = 2

/** One unmasked, final binary frame, made by ws's own framing, in one buffer (written once per socket). */
function frame(payload) {
  return Buffer.concat(Sender.frame(Buffer.from(payload.buffer, payload.byteOffset, payload.length), { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: true }))
}

function syncFrame(step, bytes) {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, SYNC)
  encoding.writeVarUint(e, step)
  encoding.writeVarUint8Array(e, bytes)
  return frame(encoding.toUint8Array(e))
}

const rooms = new Map()
function roomOf(name) {
  let room = rooms.get(name)
  if (!room) {
    room = { doc: new Y.Doc(), sockets: new Set(), full: null }
    rooms.set(name, room)
  }
  return room
}

function relay(room, from, bytes) {
  for (const s of room.sockets) if (s !== from) s.write(bytes)
}

/** Stores rows [{ room, update }] durably, in order; null without FLOOR_STORE. */
async function openStore(kind) {
  if (!kind) return null
  const table = 'CREATE TABLE IF NOT EXISTS floor_log (id bigserial PRIMARY KEY, room text NOT NULL, data bytea NOT NULL)'
  const values = (n) => Array.from({ length: n }, (_, i) => `($${i * 2 + 1}, $${i * 2 + 2})`).join(', ')
  const params = (rows) => rows.flatMap((r) => [r.room, Buffer.from(r.update.buffer, r.update.byteOffset, r.update.length)])
  if (kind === 'pg') {
    const { default: pg } = await import('pg')
    const client = new pg.Client({ connectionString: process.env.FLOOR_DATABASE_URL })
    await client.connect()
    await client.query(table)
    return (rows) => client.query(`INSERT INTO floor_log (room, data) VALUES ${values(rows.length)}`, params(rows))
  }
  if (kind === 'pglite') {
    const { PGlite } = await import('@electric-sql/pglite')
    const fs = await import('node:fs')
    const os = await import('node:os')
    // Drawbridge's own settings for it (server/src/store/embedded.ts): a WAL
    // segment's zero-filling alone stalls the loop for tens of milliseconds.
    const conf = ['shared_buffers = 16MB', 'wal_buffers = 1MB', 'temp_buffers = 2MB', 'work_mem = 2MB', 'maintenance_work_mem = 16MB', 'max_connections = 3', 'wal_init_zero = off']
    const db = new PGlite(fs.mkdtempSync(path.join(os.tmpdir(), 'floor-pglite-')), { postgresqlconf: conf })
    await db.exec(table)
    return (rows) => db.query(`INSERT INTO floor_log (room, data) VALUES ${values(rows.length)}`, params(rows))
  }
  if (kind === 'fsync') {
    const fs = await import('node:fs/promises')
    const os = await import('node:os')
    const file = await fs.open(path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'floor-log-')), 'log'), 'a')
    return async (rows) => {
      await file.write(Buffer.concat(rows.map((r) => r.update)))
      await file.datasync()
    }
  }
  throw new Error(`FLOOR_STORE: unknown store ${kind}`)
}

const store = await openStore(process.env.FLOOR_STORE)
let queue = []
let flushing = null
/** Runs `then` once the update is stored (at once without a store). */
function stored(room, update, then) {
  if (!store) return then()
  queue.push({ room, update, then })
  flushing ??= (async () => {
    while (queue.length > 0) {
      await new Promise((resolve) => setImmediate(resolve))
      const batch = queue
      queue = []
      await store(batch)
      for (const row of batch) row.then()
    }
    flushing = null
  })()
}

const server = http.createServer((_req, res) => res.end('floor'))
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 })
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    const name = decodeURIComponent(new URL(req.url, 'http://floor').pathname.slice(1))
    const room = roomOf(name)
    const raw = ws._socket
    room.sockets.add(raw)
    ws.on('close', () => room.sockets.delete(raw))
    raw.write(syncFrame(STEP1, Y.encodeStateVector(room.doc)))
    ws.on('message', (data) => {
      const bytes = new Uint8Array(data)
      const d = decoding.createDecoder(bytes)
      if (decoding.readVarUint(d) !== SYNC) return relay(room, raw, frame(bytes))
      if (decoding.readVarUint(d) === STEP1) {
        room.full ??= syncFrame(STEP2, Y.encodeStateAsUpdate(room.doc))
        return raw.write(room.full)
      }
      // Step 2 or an update: apply, forget the cached state, pass it on.
      const update = decoding.readVarUint8Array(d)
      if (update.length <= EMPTY_UPDATE_BYTES) return
      Y.applyUpdate(room.doc, update)
      room.full = null
      stored(name, update, () => relay(room, raw, syncFrame(UPDATE, update)))
    })
  })
})
server.listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1', () => console.log(`[floor] listening (pid ${process.pid})`))
process.on('SIGTERM', () => process.exit(0))
