// Board history against a real server: versions with who did what, preview
// and diff, restore in place while others edit, reverting one guest while a
// concurrent editor's work stays, who may do which, retention, and history
// across a restart.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SocketEvent } from '../../shared/events.js'
import { docHistoryBase, docUpdates } from '../src/store/schema.js'
import { apiClient } from './helpers/api.js'
import { providerClient, type ProviderClient, waitFor } from './helpers/collab.js'
import { type Actor, castBoard, createInvite, joinAsGuest, joinAsMember } from './helpers/fixtures.js'
import { startServer, TEST_ADMIN_TOKEN } from './helpers/server.js'
import { createTestDatabase, postgresBaseUrl, redisBaseUrl, uniqueRedisPrefix } from './helpers/services.js'
import { eventSocket } from './helpers/sockets.js'
import { useServer } from './helpers/suite.js'
import { eq } from 'drizzle-orm'

const suite = useServer({ HISTORY_QUIET: '1h' })
const { api } = suite

const shapes = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('shapes')
const json = (doc: Y.Doc) => shapes(doc).toJSON() as Record<string, Record<string, unknown>>

function put(doc: Y.Doc, id: string, fields: Record<string, unknown>): void {
  doc.transact(() => {
    const existing = shapes(doc).get(id)
    if (existing) for (const [k, v] of Object.entries(fields)) existing.set(k, v)
    else shapes(doc).set(id, new Y.Map(Object.entries({ type: 'rectangle', ...fields })))
  })
}

/** Waits until every client (and so the server, which relays only what it stored) sees `check` hold. */
async function everywhere(clients: ProviderClient[], check: (shapes: Record<string, Record<string, unknown>>) => boolean, what: string) {
  for (const c of clients) await waitFor(() => check(json(c.doc)), 5000, what)
}

async function online(boardId: string, ...actors: Actor[]): Promise<ProviderClient[]> {
  const clients = actors.map((a) => suite.provider(boardId, a.token))
  await Promise.all(clients.map((c) => c.synced()))
  return clients
}

const versions = async (boardId: string, token: string) => (await api.get(`/api/boards/${boardId}/versions`, { token })).body

describe('versions', () => {
  it('a named version lists who contributed, guests with the name they typed and the GUEST mark', async () => {
    const cast = await castBoard(api)
    const [owner, guest] = await online(cast.boardId, cast.owner, cast.guestEditor)
    put(owner!.doc, 'a', { x: 1 })
    put(owner!.doc, 'b', { x: 2 })
    await everywhere([guest!], (s) => Boolean(s.a && s.b), 'owner shapes')
    put(guest!.doc, 'g', { x: 3 })
    put(guest!.doc, 'a', { x: 10 })
    guest!.doc.transact(() => shapes(guest!.doc).delete('b'))
    await everywhere([owner!], (s) => Boolean(s.g) && !s.b && s.a!.x === 10, 'guest edits')
    const saved = await api.post(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token, body: { name: 'After review' } })
    expect(saved.status).toBe(201)
    expect(saved.body.version).toMatchObject({ kind: 'named', name: 'After review', createdBy: { kind: 'user', id: cast.owner.id, guest: false } })
    const byName = Object.fromEntries(saved.body.version.contributors.map((c: any) => [c.name, c]))
    expect(byName['Olivia Owner']).toMatchObject({ guest: false, added: 2, changed: 0, deleted: 0 })
    expect(byName['Gail Guest-Editor']).toMatchObject({ kind: 'guest', guest: true, added: 1, changed: 1, deleted: 1 })
    const list = await versions(cast.boardId, cast.owner.token)
    expect(list.retentionDays).toBe(30)
    expect(list.versions[0].id).toBe(saved.body.version.id)
    // A guest editor sees history too, and may save a version.
    expect((await api.post(`/api/boards/${cast.boardId}/versions`, { token: cast.guestEditor.token, body: { name: 'mine' } })).status).toBe(201)
  })

  it('previews a version as JSON and as Yjs, and diffs it against now with who changed what', async () => {
    const cast = await castBoard(api)
    const [owner, guest] = await online(cast.boardId, cast.owner, cast.guestEditor)
    put(owner!.doc, 'a', { x: 1 })
    await everywhere([guest!], (s) => Boolean(s.a), 'a')
    const v1 = (await api.post(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token, body: { name: 'v1' } })).body.version
    put(guest!.doc, 'a', { x: 5 })
    put(guest!.doc, 'junk', { x: 9 })
    await everywhere([owner!], (s) => Boolean(s.junk) && s.a!.x === 5, 'guest edits')
    const preview = await api.get(`/api/boards/${cast.boardId}/versions/${v1.id}`, { token: cast.owner.token })
    expect(preview.status).toBe(200)
    expect(preview.body.content.shapes).toEqual({ a: { type: 'rectangle', x: 1 } })
    const raw = await fetch(`${suite.server.url}/api/boards/${cast.boardId}/versions/${v1.id}?format=yjs`, { headers: { authorization: `Bearer ${cast.owner.token}` } })
    expect(raw.headers.get('content-type')).toContain('application/octet-stream')
    const doc = new Y.Doc()
    Y.applyUpdate(doc, new Uint8Array(await raw.arrayBuffer()))
    expect(json(doc)).toEqual({ a: { type: 'rectangle', x: 1 } })
    const diff = (await api.get(`/api/boards/${cast.boardId}/versions/${v1.id}/diff`, { token: cast.owner.token })).body
    const byId = Object.fromEntries(diff.changes.map((c: any) => [c.id, c]))
    expect(byId.a).toMatchObject({ root: 'shapes', change: 'changed', by: [{ name: 'Gail Guest-Editor', guest: true }] })
    expect(byId.junk).toMatchObject({ change: 'added', by: [{ name: 'Gail Guest-Editor' }] })
    const who = (await api.get(`/api/boards/${cast.boardId}/history/attribution`, { token: cast.owner.token })).body.elements
    expect(who.a).toMatchObject({ createdBy: { name: 'Olivia Owner', guest: false }, changedBy: { name: 'Gail Guest-Editor', guest: true } })
    expect(who.junk.createdBy).toMatchObject({ kind: 'guest', id: cast.guestEditor.id })
    // Asked again after more edits (the replay is kept and extended, not rebuilt): it keeps up.
    put(owner!.doc, 'junk', { x: 10 })
    owner!.doc.transact(() => shapes(owner!.doc).delete('a'))
    await everywhere([guest!], (s) => s.junk?.x === 10 && !s.a, 'owner edits')
    const again = (await api.get(`/api/boards/${cast.boardId}/history/attribution`, { token: cast.owner.token })).body.elements
    expect(again.a).toBeUndefined()
    expect(again.junk).toMatchObject({ createdBy: { name: 'Gail Guest-Editor' }, changedBy: { name: 'Olivia Owner' } })
    const diff2 = (await api.get(`/api/boards/${cast.boardId}/versions/${v1.id}/diff`, { token: cast.owner.token })).body
    expect(Object.fromEntries(diff2.changes.map((c: any) => [c.id, c.change]))).toEqual({ a: 'deleted', junk: 'added' })
  })
})

describe('restore', () => {
  it('puts the board back in place while others edit: every client and the stored log converge, and the restore can be undone', async () => {
    const cast = await castBoard(api)
    const [owner, guest, editor] = await online(cast.boardId, cast.owner, cast.guestEditor, cast.memberEditor)
    const events = await suite.events(cast.memberEditor.token, cast.boardId)
    put(owner!.doc, 'a', { x: 1 })
    put(owner!.doc, 'b', { x: 2 })
    await everywhere([guest!, editor!], (s) => Boolean(s.a && s.b), 'setup')
    const v1 = (await api.post(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token, body: { name: 'clean' } })).body.version
    guest!.doc.transact(() => shapes(guest!.doc).delete('a'))
    put(guest!.doc, 'junk', { x: 66 })
    put(guest!.doc, 'b', { x: 99 })
    await everywhere([owner!, editor!], (s) => !s.a && Boolean(s.junk) && s.b!.x === 99, 'vandalism')
    const restored = events.next(SocketEvent.boardRestored)
    // The editor keeps typing while the owner restores.
    const typing = (async () => {
      for (let i = 0; i < 20; i++) {
        put(editor!.doc, 'e', { x: i })
        await new Promise((r) => setTimeout(r, 5))
      }
    })()
    const res = await api.post(`/api/boards/${cast.boardId}/versions/${v1.id}/restore`, { token: cast.owner.token })
    await typing
    expect(res.status).toBe(200)
    expect(res.body.version).toMatchObject({ kind: 'restore', restoredFrom: v1.id, createdBy: { id: cast.owner.id } })
    expect(res.body.before).toMatchObject({ kind: 'auto', reason: 'before_restore' })
    expect((await restored).version.id).toBe(res.body.version.id)
    await everywhere([owner!, guest!, editor!], (s) => s.a?.x === 1 && s.b?.x === 2 && !s.junk, 'restored')
    // Everyone converged on one state; the server's stored document is the same.
    const states = [owner, guest, editor].map((c) => JSON.stringify(json(c!.doc)))
    await waitFor(() => new Set([owner, guest, editor].map((c) => JSON.stringify(json(c!.doc)))).size === 1, 5000, 'convergence')
    expect(states.length).toBe(3)
    const fresh = suite.provider(cast.boardId, cast.owner.token)
    await fresh.synced()
    expect(json(fresh.doc)).toEqual(json(owner!.doc))
    // Undo the restore by restoring the version saved just before it.
    const undo = await api.post(`/api/boards/${cast.boardId}/versions/${res.body.before.id}/restore`, { token: cast.owner.token })
    expect(undo.status).toBe(200)
    await everywhere([owner!, guest!], (s) => !s.a && s.junk?.x === 66 && s.b?.x === 99, 'restore undone')
  })

  it('who may restore and revert: the owner; editors only when the owner allows; guests, reviewers and readers never', async () => {
    const cast = await castBoard(api)
    const [owner] = await online(cast.boardId, cast.owner)
    put(owner!.doc, 'a', { x: 1 })
    const v = (await api.post(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token, body: { name: 'v' } })).body.version
    const restore = (a: Actor) => api.post(`/api/boards/${cast.boardId}/versions/${v.id}/restore`, { token: a.token })
    const revert = (a: Actor) => api.post(`/api/boards/${cast.boardId}/history/revert`, { token: a.token, body: { person: { kind: 'user', id: cast.owner.id }, dryRun: true } })
    expect((await restore(cast.guestEditor)).body.error.code).toBe('guest_forbidden')
    expect((await revert(cast.guestEditor)).body.error.code).toBe('guest_forbidden')
    for (const a of [cast.memberReviewer, cast.memberReader, cast.guestReviewer, cast.guestReader, cast.stranger]) {
      const r = await restore(a)
      expect(r.status, a.name).toBe(403)
      expect((await api.get(`/api/boards/${cast.boardId}/versions`, { token: a.token })).status, a.name).toBe(403)
    }
    expect((await restore(cast.memberEditor)).status).toBe(403)
    expect((await revert(cast.memberEditor)).status).toBe(403)
    // Only the owner may allow editors.
    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.memberEditor.token, body: { editorsMayRestore: true } })).status).toBe(403)
    const allowed = await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { editorsMayRestore: true } })
    expect(allowed.body.board.editorsMayRestore).toBe(true)
    expect((await restore(cast.memberEditor)).status).toBe(200)
    expect((await revert(cast.memberEditor)).status).toBe(200)
    expect((await restore(cast.guestEditor)).status).toBe(403)
    // Locked: the owner only.
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { locked: true } })
    expect((await restore(cast.memberEditor)).body.error.code).toBe('board_locked')
    expect((await restore(cast.owner)).status).toBe(200)
    // Another board's version id is not found here.
    const other = await castBoard(api)
    const elsewhere = await api.post(`/api/boards/${other.boardId}/versions/${v.id}/restore`, { token: other.owner.token })
    expect(elsewhere.status).toBe(404)
    // Bad input gets the contract's error.
    const bad = await api.post(`/api/boards/${cast.boardId}/history/revert`, { token: cast.owner.token, body: { person: { kind: 'robot', id: 'x' } } })
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('invalid_request')
  })
})

describe('revert a person', () => {
  it('undoes everything one guest did, keeps a concurrent editor\'s work, and shows the plan first', async () => {
    const cast = await castBoard(api)
    const [owner, guest, editor] = await online(cast.boardId, cast.owner, cast.guestEditor, cast.memberEditor)
    put(owner!.doc, 'a', { x: 1, y: 1 })
    put(owner!.doc, 'b', { x: 2 })
    await everywhere([guest!, editor!], (s) => Boolean(s.a && s.b), 'setup')
    put(guest!.doc, 'a', { x: 100 })
    guest!.doc.transact(() => shapes(guest!.doc).delete('b'))
    put(guest!.doc, 'junk', { x: 7 })
    put(editor!.doc, 'a', { y: 50 })
    put(editor!.doc, 'e', { x: 3 })
    await everywhere([owner!], (s) => s.a?.x === 100 && s.a?.y === 50 && !s.b && Boolean(s.junk && s.e), 'edits')
    const person = { kind: 'guest', id: cast.guestEditor.id }
    const plan = await api.post(`/api/boards/${cast.boardId}/history/revert`, { token: cast.owner.token, body: { person, dryRun: true } })
    expect(plan.status).toBe(200)
    expect(plan.body).toMatchObject({ applied: false, person: { name: 'Gail Guest-Editor', guest: true } })
    expect(plan.body.removed).toEqual([{ root: 'shapes', id: 'junk' }])
    expect(plan.body.recreated).toEqual([{ root: 'shapes', id: 'b' }])
    expect(plan.body.reset).toEqual([{ root: 'shapes', id: 'a', fields: ['x'] }])
    expect(json(owner!.doc).junk).toBeDefined()
    // The guest leaves (and is removed) before the revert: it still works.
    guest!.destroy()
    await api.del(`/api/boards/${cast.boardId}/participants/guest/${cast.guestEditor.id}`, { token: cast.owner.token })
    const done = await api.post(`/api/boards/${cast.boardId}/history/revert`, { token: cast.owner.token, body: { person } })
    expect(done.status).toBe(200)
    expect(done.body).toMatchObject({ applied: true, version: { kind: 'revert', reverted: { person: { id: cast.guestEditor.id } } } })
    await everywhere([owner!, editor!], (s) => !s.junk && s.b?.x === 2 && s.a?.x === 1 && s.a?.y === 50 && s.e?.x === 3, 'reverted')
    const activity = (await api.get(`/api/boards/${cast.boardId}/activity`, { token: cast.owner.token })).body.activity.map((a: any) => a.type)
    expect(activity).toContain('board.reverted')
  })

  it('reverts a guest of a temporary board after a user claimed it, and the creator guest could not revert anyone', async () => {
    const made = (await api.post('/api/boards', { body: { guestName: 'Cleo Creator' } })).body
    const boardId = made.board.id
    const link = await createInvite(api, made.token, boardId, 'reviewer')
    const visitor = await joinAsGuest(api, link.token, 'Vic Visitor')
    const [creator, guest] = await online(boardId, { token: made.token, kind: 'guest', id: made.guest.id, name: 'Cleo Creator' }, visitor)
    put(creator!.doc, 'plan', { x: 1 })
    guest!.doc.transact(() => guest!.doc.getMap('markup').set('scrawl', new Y.Map(Object.entries({ type: 'freedraw', x: 5 }))))
    await waitFor(() => creator!.doc.getMap('markup').has('scrawl') && json(guest!.doc).plan !== undefined, 5000, 'both edits')
    // The creator guest sees the history but, being a guest, may not revert.
    expect((await api.get(`/api/boards/${boardId}/versions`, { token: made.token })).status).toBe(200)
    const refused = await api.post(`/api/boards/${boardId}/history/revert`, { token: made.token, body: { person: { kind: 'guest', id: visitor.id } } })
    expect(refused.body.error.code).toBe('guest_forbidden')
    const link2 = await createInvite(api, made.token, boardId, 'reader')
    const user = await joinAsMember(api, link2.token, 'Uma User')
    expect((await api.post(`/api/boards/${boardId}/claim`, { token: user.token })).status).toBe(200)
    guest!.destroy()
    const done = await api.post(`/api/boards/${boardId}/history/revert`, { token: user.token, body: { person: { kind: 'guest', id: visitor.id } } })
    expect(done.status).toBe(200)
    expect(done.body.removed).toEqual([{ root: 'markup', id: 'scrawl' }])
    await waitFor(() => !creator!.doc.getMap('markup').has('scrawl') && json(creator!.doc).plan?.x === 1, 5000, 'scrawl gone, plan kept')
  })

  it('refuses forged tokens, other boards\' guests and bad input with the contract\'s errors', async () => {
    const cast = await castBoard(api)
    const other = await castBoard(api)
    const paths = [`/api/boards/${cast.boardId}/versions`, `/api/boards/${cast.boardId}/history/attribution`]
    for (const path of paths) {
      expect((await api.get(path, { token: 'not-a-token' })).status).toBe(401)
      expect((await api.get(path)).status).toBe(401)
      // A guest editor of another board.
      const res = await api.get(path, { token: other.guestEditor.token })
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe('forbidden')
    }
    const revert = (body: unknown) => api.post(`/api/boards/${cast.boardId}/history/revert`, { token: cast.owner.token, body })
    for (const body of [{}, { person: { kind: 'guest' } }, { person: { kind: 'guest', id: 'x' }, since: 'yesterday' }, { person: { kind: 'guest', id: 'x' }, extra: 1 }]) {
      const res = await revert(body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.error.code).toBe('invalid_request')
    }
    const raw = await fetch(`${suite.server.url}/api/boards/${cast.boardId}/versions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cast.owner.token}`, 'content-type': 'application/json' },
      body: '{"name": ',
    })
    expect(raw.status).toBe(400)
    expect((await raw.json()).error.code).toBe('invalid_request')
    expect((await api.post(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token, body: { name: 'x'.repeat(81) } })).status).toBe(400)
    expect((await api.get(`/api/boards/${cast.boardId}/versions/nope`, { token: cast.owner.token })).status).toBe(404)
    expect((await api.get(`/api/boards/${cast.boardId}/versions/nope/diff`, { token: cast.owner.token })).status).toBe(404)
    // Reverting someone who never did anything changes nothing.
    const nobody = await revert({ person: { kind: 'guest', id: 'nobody' } })
    expect(nobody.body).toMatchObject({ applied: false, removed: [], recreated: [], reset: [], person: { name: 'Former guest' } })
  })

  it('reverts only what was done since the given time', async () => {
    const cast = await castBoard(api)
    const [guest, owner] = await online(cast.boardId, cast.guestEditor, cast.owner)
    put(guest!.doc, 'early', { x: 1 })
    await everywhere([owner!], (s) => Boolean(s.early), 'early')
    await new Promise((r) => setTimeout(r, 50))
    const since = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 50))
    put(guest!.doc, 'late', { x: 2 })
    put(guest!.doc, 'early', { x: 5 })
    await everywhere([owner!], (s) => Boolean(s.late) && s.early?.x === 5, 'late')
    const done = await api.post(`/api/boards/${cast.boardId}/history/revert`, { token: cast.owner.token, body: { person: { kind: 'guest', id: cast.guestEditor.id }, since } })
    expect(done.status).toBe(200)
    await everywhere([owner!, guest!], (s) => !s.late && s.early?.x === 1, 'reverted since')
  })
})

describe('automatic versions, retention and restarts', () => {
  it('saves a version when edits go quiet and when the last person leaves; the history survives a restart', async () => {
    const server = await startServer({ HISTORY_QUIET: '150ms' })
    const dataDir = server.dataDir
    try {
      const a = apiClient(server.url)
      const cast = await castBoard(a)
      const owner = providerClient(server.url, cast.boardId, cast.owner.token)
      await owner.synced()
      put(owner.doc, 'a', { x: 1 })
      const quiet = await waitFor(async () => (await a.get(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token })).body.versions.find((v: any) => v.reason === 'quiet'), 5000, 'quiet version')
      expect(quiet.contributors).toMatchObject([{ id: cast.owner.id, added: 1 }])
      put(owner.doc, 'b', { x: 2 })
      owner.destroy()
      await waitFor(async () => (await a.get(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token })).body.versions.find((v: any) => v.reason === 'left' || (v.reason === 'quiet' && v.id !== quiet.id)), 5000, 'second version')
      await server.close()
      const again = await startServer({ DATA_DIR: dataDir, HISTORY_QUIET: '150ms' })
      try {
        const b = apiClient(again.url)
        const list = (await b.get(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token })).body.versions
        expect(list.length).toBeGreaterThanOrEqual(2)
        const first = list.find((v: any) => v.id === quiet.id)
        const preview = await b.get(`/api/boards/${cast.boardId}/versions/${first.id}`, { token: cast.owner.token })
        expect(preview.body.content.shapes).toEqual({ a: { type: 'rectangle', x: 1 } })
        const res = await b.post(`/api/boards/${cast.boardId}/versions/${first.id}/restore`, { token: cast.owner.token })
        expect(res.status).toBe(200)
        const c = providerClient(again.url, cast.boardId, cast.owner.token)
        await c.synced()
        expect(json(c.doc)).toEqual({ a: { type: 'rectangle', x: 1 } })
        c.destroy()
      } finally {
        await again.stop()
      }
    } finally {
      await server.stop()
    }
  })

  it('a visit that only looks saves nothing, on a new board or a saved one; the next one that edits is saved when it ends', async () => {
    const cast = await castBoard(api)
    const list = async () => (await versions(cast.boardId, cast.owner.token)).versions as any[]
    const room = () => suite.server.hub.room(cast.boardId)
    const visit = async (edit?: { id: string; x: number }) => {
      const [c] = await online(cast.boardId, cast.owner)
      if (edit) {
        put(c!.doc, edit.id, { x: edit.x })
        await waitFor(() => (room()?.doc.getMap<Y.Map<unknown>>('shapes').get(edit.id)?.get('x') ?? null) === edit.x, 5000, 'edit stored')
      }
      c!.destroy()
      await waitFor(() => !room(), 5000, 'room unloaded')
    }
    // An untouched board is no version: the jobs run in order, so one saved here would be counted below.
    await visit()
    await visit({ id: 'a', x: 1 })
    const first = await waitFor(async () => (await list()).find((v) => v.reason === 'left'), 5000, 'first version')
    await visit()
    await visit()
    await visit({ id: 'a', x: 2 })
    const second = await waitFor(async () => (await list()).find((v) => v.reason === 'left' && v.id !== first.id), 5000, 'second version')
    const preview = await api.get(`/api/boards/${cast.boardId}/versions/${second.id}`, { token: cast.owner.token })
    expect(preview.body.content.shapes).toEqual({ a: { type: 'rectangle', x: 2 } })
    expect((await list()).filter((v) => v.kind === 'auto')).toHaveLength(2)
  })

  it('retention drops old versions and folds old log rows away without changing the board', async () => {
    const server = await startServer({ HISTORY_RETENTION: '1s', HISTORY_QUIET: '1h', SWEEP_INTERVAL: '1h' })
    try {
      const a = apiClient(server.url)
      const cast = await castBoard(a)
      const owner = providerClient(server.url, cast.boardId, cast.owner.token)
      await owner.synced()
      for (let i = 0; i < 5; i++) put(owner.doc, `s${i}`, { x: i })
      await waitFor(async () => (await server.store.db.select().from(docUpdates).where(eq(docUpdates.boardId, cast.boardId))).length === 5, 5000, 'stored')
      expect((await a.post(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token, body: { name: 'old' } })).status).toBe(201)
      owner.destroy()
      // The room unloads and compacts; the rows stay until retention.
      await waitFor(() => server.hub.roomCount === 0, 5000, 'unloaded')
      await new Promise((r) => setTimeout(r, 1200))
      const swept = await a.post('/api/admin/sweep', { token: TEST_ADMIN_TOKEN })
      expect(swept.body.historyFolded).toBe(1)
      expect((await a.get(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token })).body.versions).toEqual([])
      expect(await server.store.db.select().from(docUpdates).where(eq(docUpdates.boardId, cast.boardId))).toEqual([])
      expect((await server.store.db.select().from(docHistoryBase).where(eq(docHistoryBase.boardId, cast.boardId))).length).toBe(1)
      const c = providerClient(server.url, cast.boardId, cast.owner.token)
      await c.synced()
      expect(Object.keys(json(c.doc)).sort()).toEqual(['s0', 's1', 's2', 's3', 's4'])
      c.destroy()
    } finally {
      await server.stop()
    }
  })

  it('a temporary board\'s history ends with it', async () => {
    const created = await api.post('/api/boards', { body: { guestName: 'Tess Temp' } })
    const boardId = created.body.board.id
    const invite = await createInvite(api, created.body.token, boardId, 'reviewer')
    void (await joinAsGuest(api, invite.token, 'Other'))
    expect(created.status).toBe(201)
    // The creator guest is an editor there: it sees the history.
    expect((await api.get(`/api/boards/${boardId}/versions`, { token: created.body.token })).status).toBe(200)
    await suite.server.store.db.delete((await import('../src/store/schema.js')).boards).where(eq((await import('../src/store/schema.js')).boards.id, boardId))
    expect((await api.get(`/api/boards/${boardId}/versions`, { token: created.body.token })).status).toBeGreaterThanOrEqual(401)
  })
})

describe('limits', () => {
  it('a restore that would make the board larger than a board may be is refused whole, and the board stays editable', async () => {
    const first = await startServer({ HISTORY_QUIET: '1h' })
    const dataDir = first.dataDir
    let cast: Awaited<ReturnType<typeof castBoard>>
    let version: string
    try {
      const a = apiClient(first.url)
      cast = await castBoard(a)
      const owner = providerClient(first.url, cast.boardId, cast.owner.token)
      await owner.synced()
      put(owner.doc, 'big', { text: 'x'.repeat(30_000) })
      await waitFor(async () => (await first.store.db.select().from(docUpdates).where(eq(docUpdates.boardId, cast.boardId))).length === 1, 5000, 'stored')
      version = (await a.post(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token, body: { name: 'big' } })).body.version.id
      owner.doc.transact(() => shapes(owner.doc).delete('big'))
      put(owner.doc, 'small', { x: 1 })
      await waitFor(async () => (await first.store.db.select().from(docUpdates).where(eq(docUpdates.boardId, cast.boardId))).length === 3, 5000, 'stored')
      owner.destroy()
      await first.close()
    } catch (err) {
      await first.stop()
      throw err
    }
    // The limit is lowered below what the old version held.
    const again = await startServer({ DATA_DIR: dataDir, MAX_DOC_BYTES: '20000', HISTORY_QUIET: '1h' })
    try {
      const b = apiClient(again.url)
      const res = await b.post(`/api/boards/${cast.boardId}/versions/${version}/restore`, { token: cast.owner.token })
      expect(res.status).toBe(413)
      expect(res.body.error.code).toBe('too_large')
      const c = providerClient(again.url, cast.boardId, cast.owner.token)
      await c.synced()
      expect(Object.keys(json(c.doc))).toEqual(['small'])
      put(c.doc, 'after', { x: 2 })
      const d = providerClient(again.url, cast.boardId, cast.guestEditor.token)
      await d.synced()
      await waitFor(() => Boolean(json(d.doc).after), 5000, 'still editable')
      c.destroy()
      d.destroy()
    } finally {
      await again.stop()
    }
  })
})

const pgBase = postgresBaseUrl()
const redisUrl = redisBaseUrl()
const shared = Boolean(pgBase && redisUrl)
if (!shared) process.stdout.write('history.test.ts: two-instance suite SKIPPED (needs DATABASE_URL and REDIS_URL)\n')

describe.skipIf(!shared)('history across two instances (PostgreSQL and Redis)', () => {
  it('a version saved on one instance is restored on the other, and clients of both follow live', async () => {
    const db = await createTestDatabase(pgBase!)
    const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl!, REDIS_PREFIX: uniqueRedisPrefix(), TOKEN_SECRET: 'h'.repeat(40), HISTORY_QUIET: '1h' }
    const [one, two] = [await startServer(env), await startServer(env)]
    const clients: ProviderClient[] = []
    try {
      const a = apiClient(one.url)
      const b = apiClient(two.url)
      const cast = await castBoard(a)
      const owner = providerClient(one.url, cast.boardId, cast.owner.token)
      const guest = providerClient(two.url, cast.boardId, cast.guestEditor.token)
      clients.push(owner, guest)
      await Promise.all([owner.synced(), guest.synced()])
      const events = await eventSocket(two.url, cast.owner.token)
      expect(await events.subscribe(cast.boardId)).toEqual({ ok: true })
      put(owner.doc, 'a', { x: 1 })
      await everywhere([guest], (s) => s.a?.x === 1, 'a on two')
      const v = (await a.post(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token, body: { name: 'one' } })).body.version
      guest.doc.transact(() => shapes(guest.doc).delete('a'))
      put(guest.doc, 'junk', { x: 5 })
      await everywhere([owner], (s) => !s.a && Boolean(s.junk), 'vandalism on one')
      const restored = events.next(SocketEvent.boardRestored)
      const res = await b.post(`/api/boards/${cast.boardId}/versions/${v.id}/restore`, { token: cast.owner.token })
      expect(res.status).toBe(200)
      await everywhere([owner, guest], (s) => s.a?.x === 1 && !s.junk, 'restored on both')
      expect((await restored).kind).toBe('restore')
      // The revert of the guest, asked of the first instance, reaches the second.
      put(guest.doc, 'junk2', { x: 6 })
      await everywhere([owner], (s) => Boolean(s.junk2), 'junk2')
      const rv = await a.post(`/api/boards/${cast.boardId}/history/revert`, { token: cast.owner.token, body: { person: { kind: 'guest', id: cast.guestEditor.id }, since: v.createdAt } })
      expect(rv.status).toBe(200)
      await everywhere([owner, guest], (s) => !s.junk2 && s.a?.x === 1, 'reverted on both')
      expect((await b.get(`/api/boards/${cast.boardId}/versions`, { token: cast.owner.token })).body.versions.map((x: any) => x.kind)).toEqual(
        expect.arrayContaining(['named', 'restore', 'revert']),
      )
      events.disconnect()
    } finally {
      for (const c of clients) c.destroy()
      await one.stop()
      await two.stop()
      await db.drop()
    }
  })
})
