// Rooms in-process on the real embedded database, with fake peers: no
// sockets, no HTTP server. One database per test file.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll } from 'vitest'
import type { UserRow } from '../../src/auth/principals.js'
import { Connection, type Peer } from '../../src/collab/connection.js'
import { DocStore } from '../../src/collab/doc-store.js'
import { Room, type RoomDeps } from '../../src/collab/room.js'
import { Store } from '../../src/store/db.js'
import { boards, users } from '../../src/store/schema.js'
import { testRoomLimits } from './room-limits.js'

export const silentLogger = pino({ level: 'silent' })

export class FakePeer implements Peer {
  sent: Uint8Array[] = []
  closedWith: number | null = null
  bufferedAmount = 0
  send(data: Uint8Array) {
    this.sent.push(data)
  }
  close(code: number) {
    this.closedWith = code
  }
}

export interface RoomFixture {
  readonly store: Store
  readonly docStore: DocStore
  /** A new board and its room; `deps` overrides the room's dependencies. */
  newRoom(deps?: Partial<RoomDeps>): Promise<Room>
}

/** One embedded database for the file; `makeDocStore` may wrap the real DocStore. */
export function useRooms<D extends DocStore = DocStore>(
  makeDocStore: (store: Store) => D = (store) => new DocStore(store.db, silentLogger, { compactAfterUpdates: 1000 }) as D,
): RoomFixture & { readonly docStore: D } {
  let dir: string
  let store: Store | undefined
  let docStore: D | undefined
  let seq = 0
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drawbridge-rooms-'))
    store = await Store.open({ dataDir: dir, poolSize: 1 }, silentLogger)
    docStore = makeDocStore(store)
    await store.db.insert(users).values({ id: 'u1', email: 'u1@x.io', name: 'U', passwordHash: 'x' })
  })
  afterAll(async () => {
    await docStore?.close()
    await store?.close()
    await rm(dir, { recursive: true, force: true })
  })
  return {
    get store() {
      return store!
    },
    get docStore() {
      return docStore!
    },
    async newRoom(deps = {}) {
      const boardId = `room-board-${seq++}`
      await store!.db.insert(boards).values({ id: boardId, title: 't', ownerId: 'u1' })
      return new Room(boardId, await docStore!.load(boardId), { locked: false, archived: false }, {
        docStore: docStore!,
        logger: silentLogger,
        limits: testRoomLimits(),
        metrics: {},
        shared: false,
        publish: () => {},
        onEmpty: () => {},
        presenceChanged: () => {},
        onBroken: () => {},
        ...deps,
      })
    },
  }
}

const user = { id: 'u1', name: 'U', email: 'u1@x.io', plan: 'free', passwordHash: 'x', createdAt: new Date() } as UserRow

/** A connection of principal `key` with `role`, joined to `room` through a fake peer. */
export function enterRoom(room: Room, role: 'owner' | 'editor' | 'reviewer' | 'reader', key: string, ext = true) {
  const peer = new FakePeer()
  const conn = new Connection(peer, ext, { maxMessageBytes: 4 << 20, preAuthMaxMessages: 10, rate: 1e6, burst: 1e6, maxBufferedBytes: 1 << 26 })
  conn.open({ principal: { kind: 'user', user }, principalKey: key, role, user: { id: key, name: key, kind: 'user', role, guest: false, color: '#000000' } }, room)
  return { peer, conn }
}
