// The room and the guard in-process, with fake peers: no sockets, no server.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as decoding from 'lib0/decoding'
import { decodeAwarenessUpdate, decodeExt, encodeAwarenessUpdate, encodeSyncStep1, encodeSyncUpdate } from '../../shared/protocol.js'
import { checkUpdate, rootNamesOf, type GuardState } from '../src/collab/guard.js'
import { enterRoom as joinRoom, useRooms } from './helpers/rooms.js'

const rooms = useRooms()
const newRoom = () => rooms.newRoom()
const tick = () => new Promise((r) => setImmediate(r))

describe('room', () => {
  it('greets a joiner with step 1 and a welcome, and encodes the full state once for all joiners', async () => {
    const room = await newRoom()
    const a = joinRoom(room, 'editor', 'user:a')
    expect(a.peer.sent[0]![0]).toBe(0) // sync step 1 first
    expect(decodeExt(a.peer.sent[1]!)).toMatchObject({ kind: 'welcome', role: 'editor' })
    const b = joinRoom(room, 'reader', 'user:b')
    const c = joinRoom(room, 'reader', 'user:c')
    b.conn.receive(encodeSyncStep1(new Uint8Array([0])))
    c.conn.receive(encodeSyncStep1(new Uint8Array([0])))
    expect(b.peer.sent.at(-1)).toBe(c.peer.sent.at(-1)) // the very same bytes
  })

  it('broadcasts an accepted update once-encoded and coalesces a burst into one frame', async () => {
    const room = await newRoom()
    const a = joinRoom(room, 'editor', 'user:a')
    const b = joinRoom(room, 'reader', 'user:b')
    const c = joinRoom(room, 'reader', 'user:c')
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    doc.getMap('shapes').set('one', 1)
    a.conn.receive(encodeSyncUpdate(updates[0]!))
    await new Promise((r) => setTimeout(r, 20)) // the claim goes through the database
    await tick()
    const bBefore = b.peer.sent.length
    expect(b.peer.sent.at(-1)).toBe(c.peer.sent.at(-1))
    for (let i = 0; i < 5; i++) doc.getMap('shapes').set(`k${i}`, i)
    for (const u of updates.slice(1)) a.conn.receive(encodeSyncUpdate(u))
    // Updates that arrive in one loop turn go out as one frame.
    await new Promise((r) => setTimeout(r, 30))
    expect(b.peer.sent.length).toBe(bBefore + 1)
    const check = new Y.Doc()
    Y.applyUpdate(check, Y.encodeStateAsUpdate(room.doc))
    expect(check.getMap('shapes').toJSON()).toEqual({ one: 1, k0: 0, k1: 1, k2: 2, k3: 3, k4: 4 })
    expect(a.peer.closedWith).toBeNull()
    await rooms.log.flush()
  })

  it('refuses a reader update without applying it and closes 4422', async () => {
    const room = await newRoom()
    const r = joinRoom(room, 'reader', 'user:r')
    const before = Y.encodeStateVector(room.doc)
    const doc = new Y.Doc()
    doc.getMap('shapes').set('x', 1)
    r.conn.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(doc)))
    await new Promise((res) => setTimeout(res, 20))
    expect(r.peer.closedWith).toBe(4422)
    expect(decodeExt(r.peer.sent.at(-1)!)).toMatchObject({ kind: 'refused', reason: 'read_only' })
    expect(Y.encodeStateVector(room.doc)).toEqual(before)
  })
})

describe('presence from other instances', () => {
  it('relays remote states and drops them when they stop being renewed', async () => {
    const room = await newRoom()
    const a = joinRoom(room, 'reader', 'user:a')
    room.applyRemoteAwareness(encodeAwarenessUpdate([{ clientId: 99, clock: 3, state: '{"user":{"name":"far"}}' }]))
    await tick()
    const relayed = decodeAwarenessUpdate(decodeAwarenessFrame(a.peer.sent.at(-1)!))
    expect(relayed).toEqual([{ clientId: 99, clock: 3, state: '{"user":{"name":"far"}}' }])
    room.expireRemoteAwareness(Date.now() + 10_000)
    await tick()
    const before = a.peer.sent.length
    room.expireRemoteAwareness(Date.now() + 46_000)
    await tick()
    expect(a.peer.sent.length).toBe(before + 1)
    expect(decodeAwarenessUpdate(decodeAwarenessFrame(a.peer.sent.at(-1)!))).toEqual([{ clientId: 99, clock: 4, state: 'null' }])
  })
})

function decodeAwarenessFrame(frame: Uint8Array): Uint8Array {
  const d = decoding.createDecoder(frame)
  expect(decoding.readVarUint(d)).toBe(1)
  return decoding.readVarUint8Array(d)
}

describe('guard (pure)', () => {
  function state(doc: Y.Doc, owners: [number, string][]): GuardState {
    return { doc, rootNames: rootNamesOf(doc), owners: new Map(owners), locked: false, archived: false }
  }
  function serverDoc(): Y.Doc {
    const d = new Y.Doc()
    for (const r of ['shapes', 'markup', 'meta']) d.getMap(r)
    return d
  }

  it('resolves the root of items whose parent is inferred from their right origin', () => {
    const server = serverDoc()
    const editor = new Y.Doc()
    editor.clientID = 1
    const arr = new Y.Array<number>()
    editor.getMap('markup').set('e', new Y.Map([['pts', arr]]))
    arr.push([1, 2, 3])
    Y.applyUpdate(server, Y.encodeStateAsUpdate(editor))
    // A reviewer inserts at the front of the editor's array: the new item has
    // only a right origin, no parent info.
    const reviewer = new Y.Doc()
    reviewer.clientID = 2
    Y.applyUpdate(reviewer, Y.encodeStateAsUpdate(server))
    const before = Y.encodeStateVector(reviewer)
    ;((reviewer.getMap('markup').get('e') as Y.Map<unknown>).get('pts') as Y.Array<number>).insert(0, [0])
    const update = Y.encodeStateAsUpdate(reviewer, before)
    const item = Y.decodeUpdate(update).structs[0] as Y.Item
    expect(item.parent).toBeNull()
    expect(item.origin).toBeNull()
    expect(item.rightOrigin).not.toBeNull()
    const owners: [number, string][] = [[1, 'user:editor'], [2, 'user:reviewer']]
    const asReviewer = checkUpdate(update, state(server, owners), { principalKey: 'user:reviewer', role: 'reviewer', guest: false })
    expect(asReviewer).toMatchObject({ ok: false, reason: 'not_own_markup' })
    const asEditor = checkUpdate(update, state(server, [[1, 'user:editor'], [2, 'user:editor']]), { principalKey: 'user:editor', role: 'editor', guest: false })
    expect(asEditor).toMatchObject({ ok: true, noop: false })
  })

  it('asks for unclaimed client ids to be claimed, and treats known structs as no-ops', () => {
    const server = serverDoc()
    const d = new Y.Doc()
    d.clientID = 7
    d.getMap('shapes').set('a', 1)
    const update = Y.encodeStateAsUpdate(d)
    expect(checkUpdate(update, state(server, []), { principalKey: 'user:x', role: 'editor', guest: false })).toEqual({
      ok: false,
      reason: 'unclaimed',
      clients: [7],
    })
    Y.applyUpdate(server, update)
    expect(checkUpdate(update, state(server, [[7, 'user:x']]), { principalKey: 'user:y', role: 'reader', guest: false })).toMatchObject({
      ok: true,
      noop: true,
      clients: [],
    })
  })

  it('refuses garbage without throwing', () => {
    const server = serverDoc()
    for (const bytes of [new Uint8Array([1, 2, 3]), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), new Uint8Array(0)]) {
      const v = checkUpdate(bytes, state(server, []), { principalKey: 'user:x', role: 'editor', guest: false })
      expect(v.ok).toBe(false)
    }
  })
})
