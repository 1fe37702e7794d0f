// What a quiet room leaves to the old generation. A board is edited every
// second or so, so the arrays a room keeps between edits live long enough for
// V8 to move them to the old generation; anything they still point to when
// they are dropped survives every young collection until the next full one
// (it is copied, then promoted, then garbage). In the peer benchmark's
// scenario C that was most of what each young collection copied, and what
// set its length (docs/PERFORMANCE.md). Measured here with forced young and
// full collections in this process: what the old generation gained over the
// rounds, less what a full collection finds still alive, is garbage that was
// promoted.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { BROADCAST_WINDOW_MS, Broadcaster } from '../src/collab/room-broadcast.js'
import { RoomDocument } from '../src/collab/room-document.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major'; execution: 'sync' }) => void
const young = () => gc({ type: 'minor', execution: 'sync' })
const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size
/** Past a broadcast's window: its frame has gone out, even on a loop this test keeps busy. */
const sent = () => new Promise((resolve) => setTimeout(resolve, BROADCAST_WINDOW_MS * 2))

const ROOMS = 50
const ROUNDS = 20
const FIELDS = Array.from({ length: 20 }, (_, i) => `f${i}`)

/** Each room's updates, one per round: a client changing twenty fields of its shape at once. */
function edits(): Uint8Array[][] {
  return Array.from({ length: ROOMS }, () => {
    const writer = new Y.Doc()
    const shape = new Y.Map<number>()
    writer.getMap('shapes').set('s', shape)
    const out: Uint8Array[] = []
    writer.on('update', (u: Uint8Array) => out.push(u))
    for (let r = 0; r < ROUNDS; r++) writer.transact(() => FIELDS.forEach((k) => shape.set(k, r)))
    return out.slice(1)
  })
}

/** Bytes promoted and then found dead, while `edit` runs once per room per round with the rooms' arrays aged in between. */
async function promotedGarbage(edit: (room: number, round: number) => void | Promise<void>): Promise<number> {
  gc()
  const start = oldSpace()
  for (let round = 0; round < ROUNDS - 1; round++) {
    // Two young collections: whatever the rooms hold now is old by the next edit.
    young()
    young()
    for (let room = 0; room < ROOMS; room++) await edit(room, round)
  }
  young()
  young()
  const grown = oldSpace() - start
  gc()
  return grown - (oldSpace() - start)
}

function rooms(): RoomDocument[] {
  const hooks = { built: () => {}, pendingStructs: () => {} }
  return Array.from({ length: ROOMS }, () => {
    const room = new RoomDocument({ snapshot: null, updates: [], bytes: 0, logCount: 0 }, hooks)
    void room.doc
    return room
  })
}

describe('a quiet room', () => {
  it('empties the list Yjs kept its finished transactions in', () => {
    const updates = edits()
    const room = rooms()[0]!
    for (let round = 0; round < 3; round++) {
      const doc = room.doc
      const list = doc._transactionCleanups
      expect(room.apply(updates[0]![round]!, 'client', new Map())).toBeNull()
      // Yjs moved on to a new list; the old one, which may be old-generation, holds nothing.
      expect(doc._transactionCleanups).not.toBe(list)
      expect(list).toHaveLength(0)
    }
    const merged = room.merge([updates[0]![3]!, updates[0]![4]!])
    expect(merged).not.toBeNull()
    const list = room.doc._transactionCleanups
    room.applyRemote(updates[0]![5]!)
    expect(list).toHaveLength(0)
  })

  it('promotes far less than Yjs alone would, edit after edit', async () => {
    const updates = edits()
    const plain = rooms()
    const bare = await promotedGarbage((room, round) => Y.applyUpdate(plain[room]!.doc, updates[room]![round]!, 'client'))
    const ours = rooms()
    const noEnds = new Map<number, number>()
    let failed = 0
    const applied = await promotedGarbage((room, round) => {
      if (ours[room]!.apply(updates[room]![round]!, 'client', noEnds) !== null) failed++
    })
    expect(failed).toBe(0)
    // Yjs alone leaves each edit's transaction (its maps, sets and events); measured 2.2-2.8 MB here against 0.7-1.2.
    expect(bare).toBeGreaterThan(1.5 * 1024 * 1024)
    expect(applied).toBeLessThan(bare * 0.65)
  })

  it('does not keep the updates it broadcast past a young collection', async () => {
    const host = { destroyed: false, conns: () => [], sent: () => {} }
    const rooms = Array.from({ length: ROOMS }, () => new Broadcaster(host))
    // An update's bytes are the external memory of its array buffer, freed
    // when a collection finds the buffer dead; 4 KB each, 3.9 MB in all.
    const external = () => process.memoryUsage().arrayBuffers
    gc()
    const start = external()
    for (let round = 0; round < ROUNDS - 1; round++) {
      young()
      young()
      for (const room of rooms) room.queue(new Uint8Array(4096), null)
      await sent()
    }
    young()
    young()
    const kept = external() - start
    // Every update was sent (to nobody) and dropped: young collections free them all.
    expect(kept).toBeLessThan(256 * 1024)
  })
})
