// Rooms in-process with fake peers: no sockets, no HTTP server. `useRooms`
// keeps their documents in memory (no database); `useStoredRooms` puts them
// on the real embedded database, one per test file.
import { rm } from 'node:fs/promises'
import pino from 'pino'
import { afterAll, beforeAll } from 'vitest'
import type { UserRow } from '../../src/auth/principals.js'
import { Connection, type Peer } from '../../src/collab/connection.js'
import { Room, type RoomDeps } from '../../src/collab/room.js'
import { Store } from '../../src/store/db.js'
import type { DocLog } from '../../src/store/doc-log.js'
import { DocStore } from '../../src/store/doc-store.js'
import { boards, users } from '../../src/store/schema.js'
import { MemoryDocLog } from './memory-doc-log.js'
import { testRoomLimits } from './room-limits.js'
import { freshDataDir } from './data-dir.js'

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

export interface RoomFixture<L extends DocLog> {
  /** Where the rooms store their documents. */
  readonly log: L
  /** A new board and its room; `deps` overrides the room's dependencies. */
  newRoom(deps?: Partial<RoomDeps>): Promise<Room>
}

async function openRoom(log: DocLog, boardId: string, deps: Partial<RoomDeps>): Promise<Room> {
  return new Room(boardId, await log.load(boardId), { locked: false, archived: false }, {
    docLog: log,
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
}

/** Rooms on an in-memory log: no database. */
export function useRooms(): RoomFixture<MemoryDocLog> {
  const log = new MemoryDocLog()
  let seq = 0
  return {
    log,
    async newRoom(deps = {}) {
      const boardId = `room-board-${seq++}`
      log.create(boardId)
      return openRoom(log, boardId, deps)
    },
  }
}

/** Rooms on one embedded database for the file; `makeDocStore` may wrap the real DocStore. */
export function useStoredRooms<D extends DocStore = DocStore>(
  makeDocStore: (store: Store) => D = (store) => new DocStore(store.db, silentLogger, { compactAfterUpdates: 1000 }) as D,
): RoomFixture<D> & { readonly store: Store } {
  let dir: string
  let store: Store | undefined
  let docStore: D | undefined
  let seq = 0
  beforeAll(async () => {
    dir = await freshDataDir('drawbridge-rooms-')
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
    get log() {
      return docStore!
    },
    async newRoom(deps = {}) {
      const boardId = `room-board-${seq++}`
      await store!.db.insert(boards).values({ id: boardId, title: 't', ownerId: 'u1' })
      return openRoom(docStore!, boardId, deps)
    },
  }
}

const user = { id: 'u1', name: 'U', email: 'u1@x.io', plan: 'free', createdAt: new Date() } as UserRow

/** A connection of principal `key` with `role`, joined to `room` through a fake peer. */
export function enterRoom(room: Room, role: 'owner' | 'editor' | 'reviewer' | 'reader', key: string, ext = true) {
  const peer = new FakePeer()
  const conn = new Connection(peer, ext, { maxMessageBytes: 4 << 20, preAuthMaxMessages: 10, rate: 1e6, burst: 1e6, maxBufferedBytes: 1 << 26 })
  conn.open({ principal: { kind: 'user', user }, principalKey: key, role, user: { id: key, name: key, kind: 'user', role, guest: false, color: '#000000' } }, room)
  return { peer, conn }
}
