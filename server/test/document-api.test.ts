// The document API against a real server: elements read as JSON, and writes
// over HTTP that take the live path (guard, limits, roles) and reach an
// unmodified y-websocket client live. Attacks: readers and read-only keys
// writing, reviewers touching what others made or writing shapes, bad
// bodies, oversized writes, other boards' credentials, ids of another root.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { apiClient, registerUser } from './helpers/api.js'
import { waitFor } from './helpers/collab.js'
import { type Actor, castBoard, createBoard, createInvite, joinAsGuest } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'
import { startLoggedServer } from './helpers/logged-server.js'

const suite = useServer()
const { api } = suite

const rect = (extra: object = {}) => ({ type: 'rectangle', x: 10, y: 20, width: 100, height: 50, strokeColor: '#1e1e1e', index: 'a0', ...extra })
const elements = (boardId: string, by: Actor, query = '') => api.get(`/api/boards/${boardId}/elements${query}`, { token: by.token })
const add = (boardId: string, by: Actor | string, body: object) => api.post(`/api/boards/${boardId}/elements`, { token: typeof by === 'string' ? by : by.token, body })
const change = (boardId: string, by: Actor | string, id: string, body: object, query = '') =>
  api.patch(`/api/boards/${boardId}/elements/${id}${query}`, { token: typeof by === 'string' ? by : by.token, body })
const remove = (boardId: string, by: Actor | string, id: string, query = '') => api.del(`/api/boards/${boardId}/elements/${id}${query}`, { token: typeof by === 'string' ? by : by.token })
const ids = (res: { body: { elements: { id: string }[] } }) => res.body.elements.map((e) => e.id).sort()

async function makeKey(token: string, scope: 'read' | 'write', boards?: string[]) {
  const res = await api.post('/api/api-keys', { token, body: { name: 'integration', scope, boards } })
  expect(res.status).toBe(201)
  return res.body.secret as string
}

describe('reading and writing elements', () => {
  it('an editor adds, changes and deletes over HTTP; a live y-websocket client sees each write, and HTTP reads agree', async () => {
    const cast = await castBoard(api)
    const live = suite.provider(cast.boardId, cast.guestReader.token)
    await live.synced()
    const shapes = live.doc.getMap<Y.Map<unknown>>('shapes')

    const made = await add(cast.boardId, cast.memberEditor, { elements: [{ id: 'box-1', fields: rect() }, { fields: rect({ type: 'ellipse', index: 'a1' }) }] })
    expect(made.status).toBe(201)
    expect(made.body.elements).toHaveLength(2)
    const [box, ellipse] = made.body.elements
    expect(box).toEqual({ id: 'box-1', root: 'shapes', fields: { ...rect(), author: { id: cast.memberEditor.id, kind: 'user', name: 'Eve Editor' } } })
    expect(ellipse.id).toMatch(/^[A-Za-z0-9_-]{20}$/)
    await waitFor(() => shapes.has('box-1') && shapes.has(ellipse.id), 5000, 'the new elements, live')
    // The web app's schema: one Y.Map of plain values per element.
    expect(shapes.get('box-1')).toBeInstanceOf(Y.Map)
    expect(shapes.get('box-1')!.toJSON()).toEqual(box.fields)

    const listed = await elements(cast.boardId, cast.guestReader)
    expect(listed.status).toBe(200)
    expect(listed.body.elements).toEqual([box, ellipse])
    expect((await api.get(`/api/boards/${cast.boardId}/elements/box-1`, { token: cast.guestReader.token })).body.element).toEqual(box)

    const changed = await change(cast.boardId, cast.owner, 'box-1', { set: { x: 500, text: 'moved' }, unset: ['strokeColor'] })
    expect(changed.status).toBe(200)
    const { strokeColor: _gone, ...kept } = box.fields
    expect(changed.body.element).toEqual({ id: 'box-1', root: 'shapes', fields: { ...kept, x: 500, text: 'moved' } })
    await waitFor(() => shapes.get('box-1')?.get('x') === 500 && !shapes.get('box-1')?.has('strokeColor'), 5000, 'the change, live')
    expect((await api.get(`/api/boards/${cast.boardId}/elements/box-1`, { token: cast.owner.token })).body.element).toEqual(changed.body.element)

    expect((await remove(cast.boardId, cast.guestEditor, 'box-1')).status).toBe(204)
    await waitFor(() => !shapes.has('box-1'), 5000, 'the deletion, live')
    expect((await api.get(`/api/boards/${cast.boardId}/elements/box-1`, { token: cast.owner.token })).status).toBe(404)
    expect(ids(await elements(cast.boardId, cast.owner))).toEqual([ellipse.id])
    expect(live.closes).toEqual([])
  })

  it('an HTTP write is stored before it is answered: a client joining later gets it in its first sync, and the export has it', async () => {
    const cast = await castBoard(api)
    expect((await add(cast.boardId, cast.owner, { elements: [{ id: 'kept', fields: rect() }] })).status).toBe(201)
    // A client that joins afterwards gets it in its first sync (it was stored before it was answered).
    const late = suite.provider(cast.boardId, cast.memberReader.token)
    await late.synced()
    expect(late.doc.getMap('shapes').has('kept')).toBe(true)
    const exported = await api.get(`/api/boards/${cast.boardId}/export?format=json`, { token: cast.owner.token })
    expect(Object.keys(exported.body.document.shapes)).toEqual(['kept'])
  })

  it('many writes by one principal add one Yjs client to the document, not one per write', async () => {
    const cast = await castBoard(api)
    expect((await add(cast.boardId, cast.owner, { elements: [{ id: 'counter', fields: rect() }] })).status).toBe(201)
    for (let x = 1; x <= 5; x++) expect((await change(cast.boardId, cast.owner, 'counter', { set: { x } })).status).toBe(200)
    // At once, and each big enough to be applied in a later turn: each is built on what the one before left, none is lost.
    const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => add(cast.boardId, cast.owner, { elements: [{ id: `race-${i}`, fields: rect({ text: 'y'.repeat(40_000) }) }] })))
    expect(racing.map((r) => r.status)).toEqual(Array(10).fill(201))
    expect((await elements(cast.boardId, cast.owner)).body.elements).toHaveLength(11)
    const live = suite.provider(cast.boardId, cast.guestReader.token)
    await live.synced()
    expect(live.doc.getMap<Y.Map<unknown>>('shapes').get('counter')!.get('x')).toBe(5)
    expect(Y.decodeStateVector(Y.encodeStateVector(live.doc)).size).toBe(1)
    // Another principal writes with its own.
    expect((await change(cast.boardId, cast.memberEditor, 'counter', { set: { x: 6 } })).status).toBe(200)
    await waitFor(() => live.doc.getMap<Y.Map<unknown>>('shapes').get('counter')!.get('x') === 6, 5000, 'the editor\'s change')
    expect(Y.decodeStateVector(Y.encodeStateVector(live.doc)).size).toBe(2)
  })

  it('a reviewer adds into markup and owns it: changes it over HTTP and live, and may change over HTTP what it drew live', async () => {
    const cast = await castBoard(api)
    const made = await add(cast.boardId, cast.guestReviewer, { elements: [{ id: 'note-1', fields: rect({ type: 'freedraw', author: { id: 'x', kind: 'user', name: 'Olivia Owner' } }) }] })
    expect(made.status).toBe(201)
    // Into markup by default, and the author is who wrote it whatever the body claimed.
    expect(made.body.elements[0]).toMatchObject({ root: 'markup', fields: { author: { id: cast.guestReviewer.id, kind: 'guest', name: 'Gwen Guest-Reviewer' } } })
    expect((await change(cast.boardId, cast.guestReviewer, 'note-1', { set: { x: 1 } })).status).toBe(200)
    expect((await change(cast.boardId, cast.guestReviewer, 'note-1', { set: { x: 2 } }, '?root=markup')).status).toBe(200)

    const mine = suite.provider(cast.boardId, cast.guestReviewer.token)
    await mine.synced()
    const markup = mine.doc.getMap<Y.Map<unknown>>('markup')
    markup.get('note-1')!.set('y', 99)
    markup.set('drawn-live', new Y.Map(Object.entries(rect({ type: 'freedraw' }))))
    await waitFor(async () => {
      const res = await elements(cast.boardId, cast.owner, '?root=markup')
      return res.body.elements.some((e: any) => e.id === 'drawn-live') && res.body.elements.find((e: any) => e.id === 'note-1')?.fields.y === 99
    }, 5000, 'the reviewer\'s live edits')
    expect(mine.closes).toEqual([])
    expect((await change(cast.boardId, cast.guestReviewer, 'drawn-live', { set: { x: 7 } })).status).toBe(200)
    expect((await remove(cast.boardId, cast.guestReviewer, 'drawn-live')).status).toBe(204)
    await waitFor(() => !markup.has('drawn-live') && markup.get('note-1')?.get('x') === 2, 5000, 'HTTP writes reaching the reviewer')
    expect((await remove(cast.boardId, cast.guestReviewer, 'note-1')).status).toBe(204)
  })
})

describe('attacks', () => {
  it('readers, a read-only API key and a board-limited key elsewhere write nothing', async () => {
    const cast = await castBoard(api)
    await add(cast.boardId, cast.owner, { elements: [{ id: 'e1', fields: rect() }] })
    const before = (await elements(cast.boardId, cast.owner)).body
    const readKey = await makeKey(cast.owner.token, 'read')
    const other = await createBoard(api, cast.owner.token, 'Elsewhere')
    const limitedKey = await makeKey(cast.owner.token, 'write', [other.id])
    for (const who of [cast.guestReader, cast.memberReader, readKey, limitedKey]) {
      const posted = await add(cast.boardId, who, { elements: [{ id: 'sneaky', fields: rect() }] })
      expect(posted.status).toBe(403)
      expect(posted.body.error.code).toBe('forbidden')
      expect((await change(cast.boardId, who, 'e1', { set: { x: 0 } })).status).toBe(403)
      expect((await remove(cast.boardId, who, 'e1')).status).toBe(403)
    }
    // A read key still reads; the limited key writes on its own board.
    expect((await elements(cast.boardId, { token: readKey } as Actor)).status).toBe(200)
    expect((await add(other.id, limitedKey, { elements: [{ fields: rect() }] })).status).toBe(201)
    expect((await elements(cast.boardId, cast.owner)).body).toEqual(before)
  })

  it('a reviewer cannot change or delete what it did not create, nor write shapes; the document stays as it was', async () => {
    const cast = await castBoard(api)
    await add(cast.boardId, cast.owner, { elements: [{ id: 'owners-markup', root: 'markup', fields: rect() }, { id: 'owners-shape', fields: rect() }] })
    await add(cast.boardId, cast.memberReviewer, { elements: [{ id: 'ritas', fields: rect() }] })
    const before = (await elements(cast.boardId, cast.owner)).body
    for (const id of ['owners-markup', 'owners-shape', 'ritas']) {
      const patched = await change(cast.boardId, cast.guestReviewer, id, { set: { text: 'defaced' } })
      expect(patched.status).toBe(403)
      expect(patched.body.error.code).toBe('not_own_markup')
      expect((await remove(cast.boardId, cast.guestReviewer, id)).body.error.code).toBe('not_own_markup')
    }
    const shape = await add(cast.boardId, cast.guestReviewer, { elements: [{ id: 'gwen-shape', root: 'shapes', fields: rect() }] })
    expect(shape.status).toBe(403)
    expect(shape.body.error.code).toBe('not_own_markup')
    // A new element under an id someone else's markup has is a conflict, not a replacement.
    expect((await add(cast.boardId, cast.guestReviewer, { elements: [{ id: 'owners-markup', fields: rect() }] })).status).toBe(409)
    expect((await elements(cast.boardId, cast.owner)).body).toEqual(before)
  })

  it('a refused write leaves nothing behind: the next writes, built on the server\'s copy of the board, still reach everyone', async () => {
    const cast = await castBoard(api)
    const live = suite.provider(cast.boardId, cast.memberReader.token)
    await live.synced()
    const markup = live.doc.getMap<Y.Map<unknown>>('markup')
    await add(cast.boardId, cast.owner, { elements: [{ id: 'note', root: 'markup', fields: rect({ text: 'v1' }) }] })
    for (let round = 2; round <= 4; round++) {
      // Refused by the guard after it was built on the server's copy of the document...
      expect((await change(cast.boardId, cast.guestReviewer, 'note', { set: { text: `defaced ${round}` } })).status).toBe(403)
      // ...so the owner's next change must not build on it (it would wait forever for the refused item).
      expect((await change(cast.boardId, cast.owner, 'note', { set: { text: `v${round}` } })).status).toBe(200)
      await waitFor(() => markup.get('note')?.get('text') === `v${round}`, 5000, `v${round}, live`)
    }
    // Live editors in between: the copy catches up with what they wrote.
    const editor = suite.provider(cast.boardId, cast.memberEditor.token)
    await editor.synced()
    editor.doc.getMap<Y.Map<unknown>>('markup').get('note')!.set('x', 999)
    await waitFor(() => markup.get('note')?.get('x') === 999, 5000, 'the live edit')
    expect((await change(cast.boardId, cast.owner, 'note', { set: { y: 7 } })).body.element.fields).toMatchObject({ x: 999, y: 7, text: 'v4' })
    await waitFor(() => markup.get('note')?.get('y') === 7 && editor.doc.getMap<Y.Map<unknown>>('markup').get('note')?.get('y') === 7, 5000, 'y everywhere')
    expect(live.doc.store.pendingStructs).toBeNull()
  })

  it('guests cannot add images or tools the host withheld; locked and archived boards refuse as live', async () => {
    const cast = await castBoard(api)
    const image = await add(cast.boardId, cast.guestEditor, { elements: [{ fields: rect({ type: 'image', fileId: 'f1' }) }] })
    expect(image.status).toBe(403)
    expect(image.body.error.code).toBe('guest_forbidden')
    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { guestTools: ['ellipse'] } })).status).toBe(200)
    const tool = await add(cast.boardId, cast.guestEditor, { elements: [{ fields: rect() }] })
    expect(tool.body.error.code).toBe('tool_not_allowed')
    expect((await add(cast.boardId, cast.guestEditor, { elements: [{ fields: rect({ type: 'ellipse' }) }] })).status).toBe(201)
    await add(cast.boardId, cast.owner, { elements: [{ id: 'x1', fields: rect() }] })

    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { locked: true } })).status).toBe(200)
    const locked = await change(cast.boardId, cast.memberEditor, 'x1', { set: { x: 1 } })
    expect(locked.status).toBe(403)
    expect(locked.body.error.code).toBe('board_locked')
    expect((await add(cast.boardId, cast.guestReviewer, { elements: [{ fields: rect() }] })).body.error.code).toBe('board_locked')
    expect((await change(cast.boardId, cast.owner, 'x1', { set: { x: 1 } })).status).toBe(200)
    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { locked: false, archived: true } })).status).toBe(200)
    const archived = await remove(cast.boardId, cast.owner, 'x1')
    expect(archived.status).toBe(403)
    expect(archived.body.error.code).toBe('board_archived')
    expect((await elements(cast.boardId, cast.guestReader)).body.elements.map((e: any) => e.id)).toContain('x1')
  })

  it('bad bodies answer 400 in the contract format and write nothing', async () => {
    const cast = await castBoard(api)
    await add(cast.boardId, cast.owner, { elements: [{ id: 'e1', fields: rect() }] })
    const before = (await elements(cast.boardId, cast.owner)).body
    const deep = JSON.parse('['.repeat(40) + ']'.repeat(40))
    const bad: object[] = [
      {},
      { elements: [] },
      { elements: 'no' },
      { elements: [{ fields: { x: 1 } }] },
      { elements: [{ fields: { type: 123 } }] },
      { elements: [{ fields: { type: 'Rect angle' } }] },
      { elements: [{ fields: rect({ version: 3 }) }] },
      { elements: [{ fields: rect({ id: 'inner' }) }] },
      { elements: [{ fields: rect({ points: deep }) }] },
      { elements: [{ id: 'has space', fields: rect() }] },
      { elements: [{ id: 'twice', fields: rect() }, { id: 'twice', fields: rect() }] },
      { elements: [{ root: 'meta', fields: rect() }] },
      { elements: [{ fields: rect(), extra: 1 }] },
      { elements: [{ fields: rect() }], extra: 1 },
    ]
    for (const body of bad) {
      const res = await add(cast.boardId, cast.owner, body)
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400)
      expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message'])
      expect(res.body.error.code).toBe('invalid_request')
    }
    for (const body of [{}, { set: {} }, { set: { author: { id: 'me' } } }, { unset: ['type'] }, { set: { x: 1 }, unset: ['x'] }, { set: { type: '' } }, { set: 'x' }]) {
      expect((await change(cast.boardId, cast.owner, 'e1', body)).status, JSON.stringify(body)).toBe(400)
    }
    const raw = await api.post(`/api/boards/${cast.boardId}/elements`, { token: cast.owner.token, rawBody: '{"elements": [' })
    expect(raw.status).toBe(400)
    expect(raw.body.error.code).toBe('invalid_request')
    expect((await api.get(`/api/boards/${cast.boardId}/elements?root=meta`, { token: cast.owner.token })).status).toBe(400)
    expect((await elements(cast.boardId, cast.owner)).body).toEqual(before)
  })

  it('oversized writes answer 413: the body limit, and the structs one update may hold', async () => {
    const cast = await castBoard(api)
    const huge = await api.post(`/api/boards/${cast.boardId}/elements`, {
      token: cast.owner.token,
      rawBody: JSON.stringify({ elements: [{ fields: rect({ text: 'x'.repeat(1_100_000) }) }] }),
    })
    expect(huge.status).toBe(413)
    expect(huge.body.error.code).toBe('too_large')
    // Under 1 MiB, but over MAX_UPDATE_STRUCTS (50,000): 1,000 elements of 61 items each.
    const many = Object.fromEntries(Array.from({ length: 59 }, (_, i) => [`f${i}`, 0]))
    const body = { elements: Array.from({ length: 1000 }, () => ({ fields: { type: 'rectangle', ...many } })) }
    expect(JSON.stringify(body).length).toBeLessThan(1024 * 1024)
    const structs = await add(cast.boardId, cast.owner, body)
    expect(structs.status).toBe(413)
    expect(structs.body.error.code).toBe('too_large')
    expect((await elements(cast.boardId, cast.owner)).body.elements).toEqual([])
  })

  it('other boards\' credentials, unknown boards and ids of another root are refused', async () => {
    const cast = await castBoard(api)
    await add(cast.boardId, cast.owner, { elements: [{ id: 'in-shapes', fields: rect() }, { id: 'in-markup', root: 'markup', fields: rect() }] })
    const before = (await elements(cast.boardId, cast.owner)).body
    // A guest of board B on board A; a user with no role on A.
    const bOwner = await registerUser(api, 'Bob')
    const bBoard = await createBoard(api, bOwner.token, 'B2')
    const bGuest = await joinAsGuest(api, (await createInvite(api, bOwner.token, bBoard.id, 'editor')).token, 'Bo Guest')
    for (const who of [bGuest, cast.stranger]) {
      expect((await elements(cast.boardId, who)).status).toBe(403)
      expect((await api.get(`/api/boards/${cast.boardId}/elements/in-shapes`, { token: who.token })).status).toBe(403)
      expect((await add(cast.boardId, who, { elements: [{ fields: rect() }] })).status).toBe(403)
      expect((await change(cast.boardId, who, 'in-shapes', { set: { x: 0 } })).status).toBe(403)
      expect((await remove(cast.boardId, who, 'in-shapes')).status).toBe(403)
    }
    expect((await elements('no-such-board', cast.owner)).status).toBe(404)
    expect((await add('no-such-board', cast.owner, { elements: [{ fields: rect() }] })).status).toBe(404)
    expect((await elements(cast.boardId, { token: 'forged.token.value' } as Actor)).status).toBe(401)
    expect((await api.get(`/api/boards/${cast.boardId}/elements`)).status).toBe(401)
    // An id from the other root is not there.
    expect((await api.get(`/api/boards/${cast.boardId}/elements/in-shapes?root=markup`, { token: cast.owner.token })).status).toBe(404)
    expect((await change(cast.boardId, cast.owner, 'in-shapes', { set: { x: 0 } }, '?root=markup')).status).toBe(404)
    expect((await remove(cast.boardId, cast.owner, 'in-markup', '?root=shapes')).status).toBe(404)
    expect((await remove(cast.boardId, cast.owner, 'nowhere')).status).toBe(404)
    // Re-using an id the other root has is a conflict.
    expect((await add(cast.boardId, cast.owner, { elements: [{ id: 'in-markup', root: 'shapes', fields: rect() }] })).status).toBe(409)
    expect((await elements(cast.boardId, cast.owner)).body).toEqual(before)
  })
})

describe('logs', () => {
  it('never carry tokens, API keys or element content, at debug level', async () => {
    const { running, lines, stop } = await startLoggedServer({}, 'debug')
    try {
      const http = apiClient(running.url)
      const owner = await registerUser(http, 'Log Owner')
      const board = await createBoard(http, owner.token)
      const key = (await http.post('/api/api-keys', { token: owner.token, body: { name: 'k', scope: 'write' } })).body.secret as string
      const guest = await joinAsGuest(http, (await createInvite(http, owner.token, board.id, 'reviewer')).token, 'Log Guest')
      expect((await http.post(`/api/boards/${board.id}/elements`, { token: key, body: { elements: [{ id: 'e', fields: rect({ text: 'content-marker-1' }) }] } })).status).toBe(201)
      expect((await http.patch(`/api/boards/${board.id}/elements/e`, { token: guest.token, body: { set: { text: 'content-marker-2' } } })).status).toBe(403)
      expect((await http.post(`/api/boards/${board.id}/elements`, { token: guest.token, body: { elements: [{ root: 'shapes', fields: rect({ text: 'content-marker-3' }) }] } })).status).toBe(403)
      const all = lines.join('\n')
      expect(all).toContain('update refused')
      for (const secret of [owner.token, key, key.slice(-43), guest.token, 'content-marker']) expect(all).not.toContain(secret)
    } finally {
      await stop()
    }
  })
})
