// Unmodified y-websocket providers against the hub: sync per role, presence
// stamping, online status.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { RawClient, waitFor } from './helpers/collab.js'
import { castBoard } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'

const suite = useServer()
const { api } = suite
const connect = (boardId: string, token: string, params?: Record<string, string>) => suite.provider(boardId, token, { params })

const shape = (doc: Y.Doc, id: string) => doc.getMap('shapes').get(id) as Y.Map<unknown> | undefined

describe('sync with stock y-websocket providers', () => {
  it('syncs editors both ways and late joiners get the full state', async () => {
    const cast = await castBoard(api)
    const a = connect(cast.boardId, cast.owner.token)
    const b = connect(cast.boardId, cast.guestEditor.token)
    await Promise.all([a.synced(), b.synced()])
    a.doc.transact(() => {
      const s = new Y.Map()
      a.doc.getMap('shapes').set('a1', s)
      s.set('type', 'rect')
    })
    b.doc.transact(() => {
      const s = new Y.Map()
      b.doc.getMap('shapes').set('b1', s)
      s.set('type', 'ellipse')
      b.doc.getMap('meta').set('background', 'grid')
    })
    await waitFor(() => shape(a.doc, 'b1') && shape(b.doc, 'a1'))
    const late = connect(cast.boardId, cast.memberReader.token)
    await late.synced()
    expect(shape(late.doc, 'a1')?.get('type')).toBe('rect')
    expect(shape(late.doc, 'b1')?.get('type')).toBe('ellipse')
    expect(late.doc.getMap('meta').get('background')).toBe('grid')
  })

  it('late joiners get everything written after the whole state was last sent, a little or a lot', async () => {
    const cast = await castBoard(api)
    const owner = connect(cast.boardId, cast.owner.token)
    await owner.synced()
    const write = (from: number, to: number) => {
      // One transaction each: one update each on the wire.
      for (let i = from; i < to; i++) owner.doc.getMap('shapes').set(`s${i}`, new Y.Map<unknown>([['x', i]]))
      owner.doc.getMap('shapes').delete(`s${from - 1}`)
    }
    const joinAndCheck = async (count: number) => {
      const late = connect(cast.boardId, cast.memberReader.token)
      await late.synced()
      await waitFor(() => late.doc.getMap('shapes').size === count || undefined, 5000, `${count} shapes at the joiner`)
      expect(late.doc.getMap('shapes').toJSON()).toEqual(owner.doc.getMap('shapes').toJSON())
      late.destroy()
    }
    write(1, 11)
    await joinAndCheck(10) // the whole state is encoded and kept
    write(11, 16)
    await joinAndCheck(14) // the kept state and the few changes since
    write(16, 700)
    await joinAndCheck(697) // more changes than are worth sending apart: encoded again
  })

  it('gives readers a live read-only view; their writes are refused with 4422', async () => {
    const cast = await castBoard(api)
    const editor = connect(cast.boardId, cast.memberEditor.token)
    const reader = connect(cast.boardId, cast.guestReader.token)
    await Promise.all([editor.synced(), reader.synced()])
    editor.doc.getMap('shapes').set('live', new Y.Map([['type', 'note']]))
    await waitFor(() => shape(reader.doc, 'live'))
    reader.doc.getMap('shapes').set('nope', new Y.Map())
    expect(await reader.closed()).toBe(4422)
    // The stock client stops: 4422 is permanent, so there is no reconnect loop.
    await new Promise((r) => setTimeout(r, 500))
    expect(reader.closes).toHaveLength(1)
    expect(shape(editor.doc, 'nope')).toBeUndefined()
  })

  it('lets reviewers add and change only their own markup', async () => {
    const cast = await castBoard(api)
    const editor = connect(cast.boardId, cast.memberEditor.token)
    const reviewer = connect(cast.boardId, cast.memberReviewer.token)
    await Promise.all([editor.synced(), reviewer.synced()])
    const mine = new Y.Map()
    reviewer.doc.getMap('markup').set('note1', mine)
    mine.set('text', 'Looks good')
    await waitFor(() => (editor.doc.getMap('markup').get('note1') as Y.Map<unknown>)?.get('text') === 'Looks good')
    mine.set('text', 'Looks great')
    await waitFor(() => (editor.doc.getMap('markup').get('note1') as Y.Map<unknown>)?.get('text') === 'Looks great')
    // Editors may change anything, including the reviewer's markup.
    ;(editor.doc.getMap('markup').get('note1') as Y.Map<unknown>).set('resolved', true)
    await waitFor(() => mine.get('resolved') === true)
    reviewer.doc.getMap('shapes').set('sneaky', new Y.Map())
    expect(await reviewer.closed()).toBe(4422)
    expect(shape(editor.doc, 'sneaky')).toBeUndefined()
  })

  it('syncs large documents and many updates', async () => {
    const cast = await castBoard(api)
    const a = connect(cast.boardId, cast.owner.token)
    await a.synced()
    for (let i = 0; i < 300; i++) {
      a.doc.transact(() => {
        const s = new Y.Map()
        a.doc.getMap('shapes').set(`s${i}`, s)
        s.set('x', i)
        s.set('label', new Y.Text('shape ' + i))
      })
    }
    const b = connect(cast.boardId, cast.guestReader.token)
    await b.synced()
    await waitFor(() => b.doc.getMap('shapes').size === 300, 10_000)
    expect(a.closes).toEqual([])
  })
})

describe('reconnecting after offline edits', () => {
  it('accepts live edits sent before the sync step 2 that carries the offline ones', async () => {
    const cast = await castBoard(api)
    const a = connect(cast.boardId, cast.owner.token)
    const b = connect(cast.boardId, cast.memberEditor.token)
    await Promise.all([a.synced(), b.synced()])
    a.provider.disconnect()
    for (let i = 0; i < 20; i++) a.doc.getMap('shapes').set(`offline${i}`, i)
    // As soon as the socket opens, edit again: this update leaves before the
    // handshake has carried the offline edits, so it starts past the server's clock.
    const onStatus = ({ status }: { status: string }) => {
      if (status !== 'connected') return
      a.provider.off('status', onStatus)
      a.doc.getMap('shapes').set('live', true)
    }
    a.provider.on('status', onStatus)
    a.provider.connect()
    await waitFor(() => b.doc.getMap('shapes').get('live') === true && b.doc.getMap('shapes').size === 21, 8000, 'all edits arrive')
    expect(a.closes.filter((c) => c.code === 4422)).toEqual([])
  })
})

describe('verified presence', () => {
  it('stamps the principal onto awareness and removes it on disconnect', async () => {
    const cast = await castBoard(api)
    const owner = connect(cast.boardId, cast.owner.token)
    const guest = connect(cast.boardId, cast.guestReviewer.token)
    const reader = connect(cast.boardId, cast.memberReader.token)
    await Promise.all([owner.synced(), guest.synced(), reader.synced()])
    guest.provider.awareness.setLocalState({ user: { name: 'The Real Owner', id: cast.owner.id, role: 'owner' }, cursor: { x: 3, y: 4 } })
    const seen = await waitFor(() => owner.provider.awareness.getStates().get(guest.doc.clientID)?.cursor && owner.provider.awareness.getStates().get(guest.doc.clientID))
    expect(seen.user).toEqual({
      id: cast.guestReviewer.id,
      name: 'Gwen Guest-Reviewer',
      kind: 'guest',
      role: 'reviewer',
      guest: true,
      color: expect.stringMatching(/^#[0-9a-f]{6}$/),
    })
    expect(seen.cursor).toEqual({ x: 3, y: 4 })
    // Readers appear in presence too.
    reader.provider.awareness.setLocalStateField('cursor', { x: 1, y: 1 })
    const r = await waitFor(() => owner.provider.awareness.getStates().get(reader.doc.clientID)?.cursor && owner.provider.awareness.getStates().get(reader.doc.clientID))
    expect(r.user).toMatchObject({ kind: 'user', role: 'reader', guest: false, name: 'Reed Reader' })
    guest.destroy()
    await waitFor(() => !owner.provider.awareness.getStates().has(guest.doc.clientID), 5000, 'guest presence removed')
  })

  it('reports online participants', async () => {
    const cast = await castBoard(api)
    const online = async () =>
      (await api.get(`/api/boards/${cast.boardId}/participants`, { token: cast.owner.token })).body.participants
        .filter((p: any) => p.online)
        .map((p: any) => p.id)
    expect(await online()).toEqual([])
    const g = connect(cast.boardId, cast.guestEditor.token)
    await g.synced()
    expect(await online()).toEqual([cast.guestEditor.id])
    g.destroy()
    await waitFor(() => suite.server.hub.localPrincipals(cast.boardId).size === 0)
    expect(await online()).toEqual([])
  })

  it('welcomes opted-in clients with their identity and role', async () => {
    const cast = await castBoard(api)
    const raw = await RawClient.connect(suite.server.url, cast.boardId, cast.guestEditor.token)
    const welcome = await raw.until(() => raw.ext.find((e) => e.kind === 'welcome'))
    expect(welcome).toMatchObject({
      kind: 'welcome',
      principal: { kind: 'guest', id: cast.guestEditor.id, name: 'Gail Guest-Editor' },
      role: 'editor',
      board: { locked: false, archived: false },
    })
    raw.close()
  })
})
