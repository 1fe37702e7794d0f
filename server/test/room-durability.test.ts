// The room in-process on the real embedded database: nobody sees an update
// before it is stored, "saved" only ever names stored clocks, a document that
// Yjs failed to apply an update to is rebuilt from storage, and big updates
// are applied in slices with the event loop free in between.
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { decodeExt, encodeSyncStep1, encodeSyncUpdate } from '../../shared/protocol.js'
import { DocStore } from '../src/store/doc-store.js'
import type { Room } from '../src/collab/room.js'
import { syncPayloadsOf } from './helpers/collab.js'
import { craftUpdate } from './helpers/craft.js'
import { enterRoom as enter, type FakePeer, silentLogger, useStoredRooms } from './helpers/rooms.js'

/** The real store, whose writes can be held at the door. */
class HeldDocStore extends DocStore {
  private gate: Promise<void> | null = null
  private open: (() => void) | null = null
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve))
  }
  release(): void {
    this.open?.()
    this.gate = null
  }
  override async append(boardId: string, update: Uint8Array): Promise<boolean> {
    if (this.gate) await this.gate
    return super.append(boardId, update)
  }
}

const rooms = useStoredRooms((store) => new HeldDocStore(store.db, silentLogger, { compactAfterUpdates: 100_000 }))
afterEach(() => rooms.log.release())

async function newRoom(broken: string[] = []): Promise<Room> {
  return rooms.newRoom({ onBroken: (_room, why) => broken.push(why) })
}

const syncPayloads = (peer: FakePeer) => syncPayloadsOf(peer.sent)
const docOf = (peer: FakePeer) => {
  const d = new Y.Doc()
  for (const u of syncPayloads(peer)) Y.applyUpdate(d, u)
  return d
}
const saved = (peer: FakePeer) => peer.sent.map(decodeExt).filter((e) => e?.kind === 'saved')
const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5))
  if (!check()) throw new Error(`timed out: ${what}`)
}

describe('nobody sees an update before it is stored', () => {
  it('holds the broadcast, the joiner\'s sync and "saved" until the write commits', async () => {
    const room = await newRoom()
    const writer = enter(room, 'editor', 'user:w')
    const observer = enter(room, 'reader', 'user:o')
    const author = new Y.Doc()
    author.getMap('shapes').set('first', 1)
    writer.conn.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(author)))
    await until(() => saved(writer.peer).length === 1, 'first saved')
    await until(() => docOf(observer.peer).getMap('shapes').has('first'), 'first broadcast')

    const joiner = enter(room, 'reader', 'user:j')
    rooms.log.hold()
    try {
      const before = Y.encodeStateVector(author)
      author.getMap('shapes').set('second', 2)
      writer.conn.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(author, before)))
      joiner.conn.receive(encodeSyncStep1(new Uint8Array([0])))
      await new Promise((r) => setTimeout(r, 100))
      // Applied in the room (the guard checks the next update against it) ...
      expect(room.doc.getMap('shapes').get('second')).toBe(2)
      // ... but nobody has it, and nobody has been told it is saved.
      expect(docOf(observer.peer).getMap('shapes').has('second')).toBe(false)
      expect(syncPayloads(joiner.peer)).toHaveLength(0)
      expect(saved(writer.peer)).toHaveLength(1)
    } finally {
      rooms.log.release()
    }
    await until(() => docOf(observer.peer).getMap('shapes').get('second') === 2, 'broadcast after commit')
    await until(() => syncPayloads(joiner.peer).length > 0, 'joiner sync after commit')
    expect(docOf(joiner.peer).getMap('shapes').toJSON()).toEqual({ first: 1, second: 2 })
    await until(() => saved(writer.peer).length === 2, 'saved after commit')
    expect(saved(writer.peer)[1]).toMatchObject({ clocks: { [author.clientID]: Y.getState(author.store, author.clientID) } })
  })

  it('answers a re-sent (no-op) update with "saved" only once what it repeats is stored', async () => {
    const room = await newRoom()
    const first = enter(room, 'editor', 'user:w')
    const author = new Y.Doc()
    author.getMap('shapes').set('a', 1)
    first.conn.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(author)))
    await until(() => saved(first.peer).length === 1, 'first saved')
    const second = enter(room, 'editor', 'user:w')
    rooms.log.hold()
    try {
      const before = Y.encodeStateVector(author)
      author.getMap('shapes').set('b', 2)
      const update = Y.encodeStateAsUpdate(author, before)
      first.conn.receive(encodeSyncUpdate(update))
      await new Promise((r) => setTimeout(r, 30))
      // The same writer, connected a second time, re-sends it while the first write is still on its way.
      second.conn.own([author.clientID])
      second.conn.receive(encodeSyncUpdate(update))
      await new Promise((r) => setTimeout(r, 60))
      expect(saved(second.peer)).toHaveLength(0)
    } finally {
      rooms.log.release()
    }
    await until(() => saved(second.peer).length === 1, 'saved for the re-send')
    expect(saved(second.peer)[0]).toMatchObject({ clocks: { [author.clientID]: Y.getState(author.store, author.clientID) } })
  })
})

describe('a document Yjs could not apply an update to', () => {
  it('is rebuilt from storage: nothing half-applied survives and the connections stay', async () => {
    const broken: string[] = []
    const room = await newRoom(broken)
    const editor = enter(room, 'editor', 'user:e')
    const author = new Y.Doc()
    author.getMap('shapes').set('kept', 1)
    editor.conn.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(author)))
    await until(() => saved(editor.peer).length === 1, 'saved')
    // Remote updates are not guarded (another instance did): this one makes
    // Yjs throw halfway, after client 9's entry went in.
    const bad = craftUpdate([
      { client: 9, clock: 0, items: [{ parent: 'markup', key: 'half' }] },
      { client: 7, clock: 0, items: [{ origin: [7, 1] }, { parent: 'markup', key: 'lo' }] },
    ])
    room.applyRemote(bad)
    await until(() => !room.doc.getMap('markup').has('half'), 'rebuilt')
    expect(room.doc.getMap('shapes').get('kept')).toBe(1)
    expect(room.doc.store.pendingStructs).toBeNull()
    expect(editor.peer.closedWith).toBeNull()
    expect(broken).toEqual([])
    // And it keeps working.
    const before = Y.encodeStateVector(author)
    author.getMap('shapes').set('after', 2)
    editor.conn.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(author, before)))
    await until(() => saved(editor.peer).length === 2, 'saved after rebuild')
    expect(room.doc.getMap('shapes').get('after')).toBe(2)
  })
})

describe('big updates', () => {
  it('are applied in slices, with the event loop free between them', async () => {
    const room = await newRoom()
    const writer = enter(room, 'editor', 'user:big')
    const observer = enter(room, 'reader', 'user:obs')
    const author = new Y.Doc()
    author.transact(() => {
      for (let i = 0; i < 9_000; i++) author.getMap('shapes').set(`k${i}`, i)
    })
    const update = Y.encodeStateAsUpdate(author)
    // Something else that wants the loop while the update is being applied.
    let turns = 0
    let seenApplied = -1
    const probe = () => {
      turns++
      const size = room.doc.getMap('shapes').size
      if (size > 0 && size < 9_000 && seenApplied < 0) seenApplied = size
      if (size < 9_000) setImmediate(probe)
    }
    setImmediate(probe)
    writer.conn.receive(encodeSyncUpdate(update))
    await until(() => room.doc.getMap('shapes').size === 9_000, 'all applied')
    // The probe ran while the update was only partly in: it was not one block.
    expect(seenApplied).toBeGreaterThan(0)
    expect(turns).toBeGreaterThan(3)
    await until(() => docOf(observer.peer).getMap('shapes').size === 9_000, 'observer has all')
    expect(writer.peer.closedWith).toBeNull()
  })
})
