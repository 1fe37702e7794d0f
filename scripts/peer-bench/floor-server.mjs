// The floor: the least work a y-websocket server can do on this machine, to
// tell what stops a row of the peer benchmark (issue 17) — the server, or the
// machine and the load generator. In memory, no authentication, no storage:
// one Y.Doc per room; a joiner gets the whole state, encoded once per change
// and framed once for everyone; every other message is framed once and
// written to each other socket as is. Not a server to run; written for the
// harness only (scripts/peer-bench/run.sh --server floor).
import http from 'node:http'
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

const server = http.createServer((_req, res) => res.end('floor'))
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 })
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    const room = roomOf(decodeURIComponent(new URL(req.url, 'http://floor').pathname.slice(1)))
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
      relay(room, raw, syncFrame(UPDATE, update))
    })
  })
})
server.listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1', () => console.log(`[floor] listening (pid ${process.pid})`))
process.on('SIGTERM', () => process.exit(0))
