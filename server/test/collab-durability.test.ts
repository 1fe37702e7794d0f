// Nothing acknowledged is ever lost: group-committed log, compaction,
// graceful shutdown, and a real SIGKILL.
import { rm } from 'node:fs/promises'
import { and, eq, gt } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { docSnapshots, docUpdates } from '../src/store/schema.js'
import { apiClient, registerUser } from './helpers/api.js'
import { providerClient, RawClient, waitFor } from './helpers/collab.js'
import { createBoard, createInvite, joinAsMember } from './helpers/fixtures.js'
import { spawnServer } from './helpers/process.js'
import { startServer } from './helpers/server.js'
import { freshDataDir } from './helpers/data-dir.js'

const dirs: string[] = []
async function tempDir() {
  const d = await freshDataDir('drawbridge-durable-')
  dirs.push(d)
  return d
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

/** Writes `n` shapes through a raw opted-in client and waits for the "saved" ack of all of them. */
async function writeAcked(url: string, boardId: string, token: string, n: number, prefix: string) {
  const raw = await RawClient.connect(url, boardId, token)
  await raw.syncWithServer()
  const doc = raw.docFromServer()
  for (let i = 0; i < n; i++) {
    const before = Y.encodeStateVector(doc)
    doc.getMap('shapes').set(`${prefix}${i}`, i)
    raw.sendUpdate(Y.encodeStateAsUpdate(doc, before))
  }
  const target = Y.getState(doc.store, doc.clientID)
  await raw.until(() => raw.ext.some((e) => e.kind === 'saved' && (e.clocks[doc.clientID] ?? 0) >= target), 10_000)
  return { raw, doc }
}

async function readShapes(url: string, boardId: string, token: string): Promise<Y.Map<unknown>> {
  const c = providerClient(url, boardId, token)
  await c.synced()
  const shapes = c.doc.getMap('shapes')
  c.provider.destroy()
  return shapes
}

describe('durability', () => {
  it('acknowledges saved updates and restores them after a restart', async () => {
    const dataDir = await tempDir()
    let server = await startServer({ DATA_DIR: dataDir })
    const api = apiClient(server.url)
    const owner = await registerUser(api)
    const board = await createBoard(api, owner.token)
    const { raw, doc } = await writeAcked(server.url, board.id, owner.token, 20, 's')
    raw.close()
    await server.stop()
    server = await startServer({ DATA_DIR: dataDir })
    try {
      const shapes = await readShapes(server.url, board.id, owner.token)
      expect(shapes.size).toBe(20)
      // Client-id ownership survived the restart: another member cannot write as that id.
      const link = await createInvite(apiClient(server.url), owner.token, board.id, 'editor')
      const member = await joinAsMember(apiClient(server.url), link.token, 'Mallory')
      const forger = await RawClient.connect(server.url, board.id, member.token)
      await forger.syncWithServer()
      const fd = forger.docFromServer()
      fd.clientID = doc.clientID
      const before = Y.encodeStateVector(fd)
      fd.getMap('shapes').set('forged', 1)
      forger.sendUpdate(Y.encodeStateAsUpdate(fd, before))
      expect(await forger.waitClose()).toBe(4422)
      expect(forger.ext.find((e) => e.kind === 'refused')).toMatchObject({ reason: 'foreign_client' })
    } finally {
      await server.stop()
    }
  })

  it('compacts the log into a snapshot without losing anything', async () => {
    const dataDir = await tempDir()
    let server = await startServer({ DATA_DIR: dataDir, COMPACT_AFTER_UPDATES: '10' })
    const api = apiClient(server.url)
    const owner = await registerUser(api)
    const board = await createBoard(api, owner.token)
    const { raw } = await writeAcked(server.url, board.id, owner.token, 55, 'c')
    raw.close()
    const db = server.store.db
    // The log since the snapshot is what a load reads; the rows the snapshot
    // holds stay as the board's history (HISTORY_RETENTION).
    let logRows: unknown[] = []
    for (let i = 0; i < 100; i++) {
      const [snap] = await db.select({ lastSeq: docSnapshots.lastSeq }).from(docSnapshots).where(eq(docSnapshots.boardId, board.id))
      logRows = await db
        .select()
        .from(docUpdates)
        .where(and(eq(docUpdates.boardId, board.id), gt(docUpdates.seq, snap?.lastSeq ?? 0)))
      if (snap && logRows.length < 10) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(logRows.length).toBeLessThan(10)
    expect(await db.select().from(docSnapshots).where(eq(docSnapshots.boardId, board.id))).toHaveLength(1)
    expect(await db.select().from(docUpdates).where(eq(docUpdates.boardId, board.id))).toHaveLength(55)
    await server.stop()
    server = await startServer({ DATA_DIR: dataDir })
    try {
      expect((await readShapes(server.url, board.id, owner.token)).size).toBe(55)
    } finally {
      await server.stop()
    }
  })

  it('loses nothing acknowledged when the process is SIGKILLed', async () => {
    const dataDir = await tempDir()
    const env = { DATA_DIR: dataDir, TOKEN_SECRET: 'k'.repeat(40) }
    let proc = await spawnServer(env)
    const api = apiClient(proc.url)
    const owner = await registerUser(api)
    const board = await createBoard(api, owner.token)
    // Keep writing while we kill: only what was acknowledged must survive.
    const { raw, doc } = await writeAcked(proc.url, board.id, owner.token, 200, 'k')
    for (let i = 0; i < 50; i++) {
      const before = Y.encodeStateVector(doc)
      doc.getMap('shapes').set(`unacked${i}`, i)
      raw.sendUpdate(Y.encodeStateAsUpdate(doc, before))
    }
    expect(await proc.kill('SIGKILL')).toBe('SIGKILL')
    proc = await spawnServer(env)
    try {
      const shapes = await readShapes(proc.url, board.id, owner.token)
      for (let i = 0; i < 200; i++) expect(shapes.get(`k${i}`)).toBe(i)
    } finally {
      await proc.kill('SIGTERM')
    }
  })

  it('on SIGTERM flushes everything accepted, closes sockets with 1001 and exits 0', async () => {
    const dataDir = await tempDir()
    const env = { DATA_DIR: dataDir, TOKEN_SECRET: 't'.repeat(40) }
    let proc = await spawnServer(env)
    const api = apiClient(proc.url)
    const owner = await registerUser(api)
    const board = await createBoard(api, owner.token)
    const c = providerClient(proc.url, board.id, owner.token)
    await c.synced()
    const watcher = providerClient(proc.url, board.id, owner.token)
    await watcher.synced()
    for (let i = 0; i < 100; i++) c.doc.getMap('shapes').set(`t${i}`, i)
    await waitFor(() => watcher.doc.getMap('shapes').size === 100, 10_000, 'all accepted')
    const closed = c.closed()
    expect(await proc.kill('SIGTERM')).toBe(0)
    expect(await closed).toBe(1001)
    c.destroy()
    watcher.destroy()
    proc = await spawnServer(env)
    try {
      const shapes = await readShapes(proc.url, board.id, owner.token)
      expect(shapes.size).toBe(100)
    } finally {
      await proc.kill('SIGTERM')
    }
  })
})
