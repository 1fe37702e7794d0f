// The room document's joiner frames: a cached whole state plus what changed
// since must always add up to exactly the live document, whatever mix of
// local, remote and merged changes came in between, and the cache must be
// dropped once the changes since outgrow it.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { decodeMessage } from '../../shared/protocol.js'
import { RoomDocument, TAIL_MAX_UPDATES } from '../src/collab/room-document.js'
import { seededRandom as random } from './helpers/random.js'

const hooks = { built: () => {}, pendingStructs: () => {} }

/** What a stock client with an empty document ends up with after the frames. */
function joinerState(frames: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc()
  frames.forEach((frame, i) => {
    const m = decodeMessage(frame)
    // The whole state comes as the sync step 2; what changed since, as updates after it.
    expect(m.type).toBe(i === 0 ? 'syncStep2' : 'syncUpdate')
    if (m.type === 'syncStep2' || m.type === 'syncUpdate') Y.applyUpdate(doc, m.update)
  })
  return doc
}

const sorted = (o: Record<string, unknown>) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]))
function sameState(a: Y.Doc, b: Y.Doc): void {
  expect(Y.decodeStateVector(Y.encodeStateVector(a))).toEqual(Y.decodeStateVector(Y.encodeStateVector(b)))
  expect(sorted(a.getMap('shapes').toJSON())).toBe(sorted(b.getMap('shapes').toJSON()))
}

describe('room document: frames for a joiner', () => {
  it('the cached state plus the changes since always equal the live document (random local, remote and merged changes)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = random(seed)
      const base = new Y.Doc()
      for (let i = 0; i < 20; i++) base.getMap('shapes').set(`s${i}`, new Y.Map([['x', i]]))
      const room = new RoomDocument({ snapshot: Y.encodeStateAsUpdate(base), updates: [], bytes: 0, logCount: 0 }, hooks)
      const writers = [1, 2, 3].map(() => {
        const d = new Y.Doc()
        Y.applyUpdate(d, Y.encodeStateAsUpdate(base))
        return d
      })
      for (let step = 0; step < 200; step++) {
        const w = writers[Math.floor(rand() * writers.length)]!
        const before = Y.encodeStateVector(w)
        const shapes = w.getMap('shapes')
        const key = `s${Math.floor(rand() * 40)}`
        if (rand() < 0.2) shapes.delete(key)
        else shapes.set(key, new Y.Map([['x', Math.floor(rand() * 1000)]]))
        const update = Y.encodeStateAsUpdate(w, before)
        const how = rand()
        if (how < 0.6) {
          const ends = new Map<number, number>([[w.clientID, Y.getState(w.store, w.clientID)]])
          expect(room.apply(update, null, ends)).toBeNull()
        } else if (how < 0.85) {
          room.applyRemote(update)
        } else {
          room.merge([update])
        }
        // Writers hear about each other's changes now and then (as peers would).
        if (rand() < 0.3) for (const other of writers) Y.applyUpdate(other, Y.encodeStateAsUpdate(w))
        if (rand() < 0.25) {
          const joined = joinerState(room.fullState())
          sameState(joined, room.doc)
        }
      }
      sameState(joinerState(room.fullState()), room.doc)
    }
  })

  it('sends the cached bytes again while nothing changed, and encodes anew once the changes since outgrow the cache', () => {
    const room = new RoomDocument({ snapshot: null, updates: [], bytes: 0, logCount: 0 }, hooks)
    const w = new Y.Doc()
    const write = (i: number) => {
      const before = Y.encodeStateVector(w)
      w.getMap('shapes').set(`k${i}`, i)
      expect(room.apply(Y.encodeStateAsUpdate(w, before), null, new Map([[w.clientID, Y.getState(w.store, w.clientID)]]))).toBeNull()
    }
    write(0)
    const first = room.fullState()
    expect(first).toHaveLength(1)
    expect(room.fullState()[0]).toBe(first[0]) // the very same bytes, not encoded again
    write(1)
    write(2)
    const second = room.fullState()
    expect(second).toHaveLength(3)
    expect(second[0]).toBe(first[0])
    expect(room.fullState()[1]).toBe(second[1]) // each update framed once
    for (let i = 3; i <= TAIL_MAX_UPDATES + 1; i++) write(i)
    const third = room.fullState()
    expect(third).toHaveLength(1)
    expect(third[0]).not.toBe(first[0])
    sameState(joinerState(third), room.doc)
  })
})
