// What a quiet room leaves to the old generation. A board is edited every
// second or so, so the arrays a room keeps between edits live long enough for
// V8 to move them to the old generation. A young collection cannot tell that
// an old-generation array is dead: whatever such an array still points to is
// copied, then promoted, then left as garbage until the next full collection.
// In the peer benchmark's scenario C that was most of what each young
// collection copied, and what set its length (docs/PERFORMANCE.md, "Promoted
// garbage"). The effect is measured there; these check its cause: the arrays
// a room is done with hold nothing. (A comparison of heap sizes was tried
// here and dropped: the suite's files share worker processes, and what other
// files leave behind moved it by tens of megabytes.)
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { BROADCAST_WINDOW_MS, Broadcaster } from '../src/collab/room-broadcast.js'
import { RoomDocument } from '../src/collab/room-document.js'
import { plainDoc } from '../src/util/y-doc.js'

/** One client's updates: the first creates its shape, each later one changes three of its fields (as in the benchmark). */
function edits(count: number): Uint8Array[] {
  const writer = new Y.Doc()
  const out: Uint8Array[] = []
  writer.on('update', (u: Uint8Array) => out.push(u))
  const shape = new Y.Map<number>()
  writer.getMap('shapes').set('s', shape)
  for (let r = 1; r < count; r++) writer.transact(() => ['x', 'y', 't'].forEach((k) => shape.set(k, r)))
  return out
}

describe('a quiet room', () => {
  it('empties the list Yjs kept its finished transactions in', () => {
    const updates = edits(6)
    const room = new RoomDocument({ snapshot: null, updates: [], bytes: 0, logCount: 0 }, { built: () => {}, pendingStructs: () => {} })
    for (let i = 0; i < 3; i++) {
      const doc = room.doc
      const list = doc._transactionCleanups
      expect(room.apply(updates[i]!, 'client', new Map())).toBeNull()
      // Yjs moved on to a new list; the old one holds nothing.
      expect(doc._transactionCleanups).not.toBe(list)
      expect(list).toHaveLength(0)
    }
    let list = room.doc._transactionCleanups
    expect(room.merge([updates[3]!, updates[4]!])).not.toBeNull()
    expect(list).toHaveLength(0)
    list = room.doc._transactionCleanups
    expect(room.applyRemote(updates[5]!)).toBe(true)
    expect(list).toHaveLength(0)
    expect(room.doc.getMap('shapes').toJSON()).toEqual({ s: { x: 5, y: 5, t: 5 } })
  })

  it('and so does every other document the server makes (a write\'s kept copy of a board, a merge)', () => {
    const doc = plainDoc()
    for (let i = 0; i < 2; i++) {
      const list = doc._transactionCleanups
      doc.getMap('shapes').set(`s${i}`, i)
      expect(doc._transactionCleanups).not.toBe(list)
      expect(list).toHaveLength(0)
    }
  })

  it('empties its broadcast batch once the frame is sent', async () => {
    const frames: Uint8Array[] = []
    const peer = { send: (m: Uint8Array) => frames.push(m) }
    const host = { destroyed: false, conns: () => [peer as never], sent: () => {} }
    const broadcaster = new Broadcaster(host)
    const [update] = edits(1)
    broadcaster.queue(update!, null)
    const batch = (broadcaster as unknown as { outbox: unknown[] }).outbox
    expect(batch).toHaveLength(1)
    await new Promise((resolve) => setTimeout(resolve, BROADCAST_WINDOW_MS * 2))
    expect(frames).toHaveLength(1)
    expect(batch).toHaveLength(0)
  })
})
