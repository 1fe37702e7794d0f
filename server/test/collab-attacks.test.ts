// Handwritten attack updates against the update guard. Each must be refused
// (4422, with the reason for opted-in clients) and never reach anyone else.
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { encodeAwarenessMessage } from '../../shared/protocol.js'
import { type ProviderClient, RawClient, waitFor } from './helpers/collab.js'
import { type Cast, castBoard, createBoard, createInvite, joinAsGuest } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'

const suite = useServer({ WS_MAX_MESSAGE_BYTES: String(256 * 1024), WS_RATE: '50', WS_BURST: '100' })
const { api } = suite


/** A board with an editor's shape `s1` and markup `e1`, watched by an observer. */
async function scene(): Promise<{ cast: Cast; editor: ProviderClient; observer: ProviderClient }> {
  const cast = await castBoard(api)
  const editor = suite.provider(cast.boardId, cast.memberEditor.token)
  const observer = suite.provider(cast.boardId, cast.owner.token)
  await Promise.all([editor.synced(), observer.synced()])
  editor.doc.transact(() => {
    const s = new Y.Map()
    editor.doc.getMap('shapes').set('s1', s)
    s.set('type', 'rect')
    s.set('x', 10)
    const m = new Y.Map()
    editor.doc.getMap('markup').set('e1', m)
    m.set('kind', 'scribble')
  })
  await waitFor(() => observer.doc.getMap('markup').get('e1'), 5000, 'observer sees setup')
  return { cast, editor, observer }
}

/** A raw client whose local doc mirrors the server, writing as `clientId`. */
async function attacker(boardId: string, token: string, clientId?: number) {
  const raw = suite.track(await RawClient.connect(suite.server.url, boardId, token))
  await raw.syncWithServer()
  const doc = raw.docFromServer()
  if (clientId !== undefined) doc.clientID = clientId
  const capture = (fn: (d: Y.Doc) => void): Uint8Array => {
    const before = Y.encodeStateVector(doc)
    doc.transact(() => fn(doc))
    return Y.encodeStateAsUpdate(doc, before)
  }
  return { raw, doc, capture }
}

/** Asserts the attack was refused and the observer never saw it (a later honest write arrives first). */
async function expectRefused(raw: RawClient, reason: string, s: { editor: ProviderClient; observer: ProviderClient }, saw: () => boolean) {
  // A clock gap is held back for a few seconds first (an honest reconnect fills it).
  expect(await raw.waitClose(8000)).toBe(4422)
  await raw.until(() => raw.ext.find((e) => e.kind === 'refused'))
  expect(raw.ext.find((e) => e.kind === 'refused')).toMatchObject({ kind: 'refused', reason })
  const marker = `after-${Math.random()}`
  s.editor.doc.getMap('meta').set('marker', marker)
  await waitFor(() => s.observer.doc.getMap('meta').get('marker') === marker, 5000, 'barrier write')
  expect(saw()).toBe(false)
}

describe('update guard: reviewers', () => {
  it('refuses a reviewer deleting an editor shape', async () => {
    const s = await scene()
    const a = await attacker(s.cast.boardId, s.cast.memberReviewer.token)
    a.raw.sendUpdate(a.capture((d) => d.getMap('shapes').delete('s1')))
    await expectRefused(a.raw, 'not_own_markup', s, () => !s.observer.doc.getMap('shapes').has('s1'))
  })

  it('refuses a reviewer changing an editor shape', async () => {
    const s = await scene()
    const a = await attacker(s.cast.boardId, s.cast.guestReviewer.token)
    a.raw.sendUpdate(a.capture((d) => (d.getMap('shapes').get('s1') as Y.Map<unknown>).set('x', 999)))
    await expectRefused(a.raw, 'not_own_markup', s, () => (s.observer.doc.getMap('shapes').get('s1') as Y.Map<unknown>).get('x') === 999)
  })

  it('refuses a reviewer changing, deleting or overwriting an editor markup entry', async () => {
    const attacks: ((d: Y.Doc) => void)[] = [
      (d) => (d.getMap('markup').get('e1') as Y.Map<unknown>).set('kind', 'hacked'),
      (d) => d.getMap('markup').delete('e1'),
      (d) => d.getMap('markup').set('e1', new Y.Map()),
    ]
    for (const attack of attacks) {
      const s = await scene()
      const a = await attacker(s.cast.boardId, s.cast.memberReviewer.token)
      a.raw.sendUpdate(a.capture(attack))
      await expectRefused(a.raw, 'not_own_markup', s, () => {
        const e1 = s.observer.doc.getMap('markup').get('e1') as Y.Map<unknown> | undefined
        return !e1 || e1.get('kind') !== 'scribble'
      })
    }
  })

  it('refuses a reviewer writing to meta', async () => {
    const s = await scene()
    const a = await attacker(s.cast.boardId, s.cast.memberReviewer.token)
    a.raw.sendUpdate(a.capture((d) => d.getMap('meta').set('background', 'black')))
    await expectRefused(a.raw, 'not_own_markup', s, () => s.observer.doc.getMap('meta').has('background'))
  })

  it('refuses a GC struct from a reviewer', async () => {
    const s = await scene()
    const a = await attacker(s.cast.boardId, s.cast.memberReviewer.token)
    // Create an entry with content and delete it before sending: the children
    // become GC structs in the update.
    a.capture((d) => {
      const m = new Y.Map()
      d.getMap('markup').set('mine', m)
      m.set('points', [1, 2, 3])
      m.set('color', 'red')
    })
    a.doc.getMap('markup').delete('mine')
    const gcUpdate = Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(s.observer.doc))
    const decoded = Y.decodeUpdate(gcUpdate)
    expect(decoded.structs.some((x) => x instanceof Y.GC)).toBe(true)
    a.raw.sendUpdate(gcUpdate)
    await expectRefused(a.raw, 'gc_struct', s, () => s.observer.doc.getMap('markup').has('mine'))
  })

  it('lets a reviewer create, change and delete its own markup', async () => {
    const s = await scene()
    const reviewer = suite.provider(s.cast.boardId, s.cast.guestReviewer.token)
    await reviewer.synced()
    const mine = new Y.Map()
    reviewer.doc.getMap('markup').set('r1', mine)
    mine.set('kind', 'highlight')
    await waitFor(() => (s.observer.doc.getMap('markup').get('r1') as Y.Map<unknown>)?.get('kind') === 'highlight')
    mine.set('kind', 'scribble')
    await waitFor(() => (s.observer.doc.getMap('markup').get('r1') as Y.Map<unknown>)?.get('kind') === 'scribble')
    reviewer.doc.getMap('markup').delete('r1')
    await waitFor(() => !s.observer.doc.getMap('markup').has('r1'))
    expect(reviewer.closes).toEqual([])
  })
})

describe('update guard: readers and forgery', () => {
  it('refuses a reader sending sync step 2 with new content', async () => {
    const s = await scene()
    const a = await attacker(s.cast.boardId, s.cast.guestReader.token)
    a.raw.sendStep2(a.capture((d) => d.getMap('shapes').set('r', new Y.Map())))
    await expectRefused(a.raw, 'read_only', s, () => s.observer.doc.getMap('shapes').has('r'))
  })

  it('accepts an empty or already-known step 2 from a reader', async () => {
    const s = await scene()
    const a = await attacker(s.cast.boardId, s.cast.memberReader.token)
    a.raw.sendStep2(Y.encodeStateAsUpdate(a.doc))
    a.raw.sendStep2(Y.encodeStateAsUpdate(new Y.Doc()))
    a.raw.sendStep1()
    const count = a.raw.syncPayloads().length
    await a.raw.until(() => a.raw.syncPayloads().length > count)
    expect(a.raw.closeCode).toBeNull()
  })

  it("refuses structs under another participant's client id", async () => {
    const s = await scene()
    const victimId = s.editor.doc.clientID
    const a = await attacker(s.cast.boardId, s.cast.guestEditor.token, victimId)
    a.raw.sendUpdate(a.capture((d) => d.getMap('shapes').set('forged', new Y.Map())))
    await expectRefused(a.raw, 'foreign_client', s, () => s.observer.doc.getMap('shapes').has('forged'))
  })

  it('refuses a clock gap (pre-allocated clocks) that nothing fills', async () => {
    const s = await scene()
    const a = await attacker(s.cast.boardId, s.cast.memberEditor.token)
    a.capture((d) => d.getMap('shapes').set('first', 1)) // never sent
    const second = a.capture((d) => d.getMap('shapes').set('second', 2))
    a.raw.sendUpdate(second)
    await expectRefused(a.raw, 'clock_gap', s, () => s.observer.doc.getMap('shapes').has('second'))
  })

  it('refuses deleting clocks the server has not seen', async () => {
    const s = await scene()
    const a = await attacker(s.cast.boardId, s.cast.memberEditor.token)
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 0) // no structs
    encoding.writeVarUint(e, 1) // one client in the delete set
    encoding.writeVarUint(e, s.editor.doc.clientID)
    encoding.writeVarUint(e, 1)
    encoding.writeVarUint(e, Y.getState(s.editor.doc.store, s.editor.doc.clientID) + 5) // clock in the future
    encoding.writeVarUint(e, 3)
    a.raw.sendUpdate(encoding.toUint8Array(e))
    await expectRefused(a.raw, 'future_delete', s, () => false)
  })

  it('refuses writes to an unknown root', async () => {
    const s = await scene()
    const a = await attacker(s.cast.boardId, s.cast.owner.token)
    a.raw.sendUpdate(a.capture((d) => d.getMap('secrets').set('x', 1)))
    await expectRefused(a.raw, 'unknown_root', s, () => s.observer.doc.share.has('secrets'))
  })

  it('refuses sub-documents', async () => {
    const s = await scene()
    const a = await attacker(s.cast.boardId, s.cast.memberEditor.token)
    a.raw.sendUpdate(a.capture((d) => d.getMap('shapes').set('sub', new Y.Doc())))
    await expectRefused(a.raw, 'subdocument', s, () => s.observer.doc.getMap('shapes').has('sub'))
  })

  it('refuses list inserts at the top level of a root map', async () => {
    const s = await scene()
    const a = await attacker(s.cast.boardId, s.cast.memberEditor.token)
    a.raw.sendUpdate(a.capture((d) => d.getArray('shapes').insert(0, ['x'])))
    await expectRefused(a.raw, 'schema', s, () => false)
  })

  it('refuses guests creating embed, table and webimage shapes', async () => {
    const owner = await api.post('/api/boards', { body: { guestName: 'Maker' } })
    const boardId = owner.body.board.id
    const guestToken = owner.body.token
    for (const kind of ['embed', 'table', 'webimage']) {
      const a = await attacker(boardId, guestToken)
      a.raw.sendUpdate(
        a.capture((d) => {
          const m = new Y.Map()
          d.getMap('shapes').set(`x-${kind}`, m)
          m.set('type', kind)
        }),
      )
      expect(await a.raw.waitClose()).toBe(4422)
      expect(a.raw.ext.find((e) => e.kind === 'refused')).toMatchObject({ reason: 'forbidden_shape_type' })
    }
    const ok = await attacker(boardId, guestToken)
    ok.raw.sendUpdate(ok.capture((d) => d.getMap('shapes').set('rect', new Y.Map([['type', 'rect']]))))
    ok.raw.sendStep1()
    const n = ok.raw.syncPayloads().length
    await ok.raw.until(() => ok.raw.syncPayloads().length > n)
    expect(ok.raw.closeCode).toBeNull()
  })

  it('stock clients (no ?ext=1) get the close code but no extension message', async () => {
    const s = await scene()
    const raw = suite.track(await RawClient.connect(suite.server.url, s.cast.boardId, s.cast.memberReader.token, false))
    const d = new Y.Doc()
    d.getMap('shapes').set('x', 1)
    raw.sendUpdate(Y.encodeStateAsUpdate(d))
    expect(await raw.waitClose()).toBe(4422)
    expect(raw.ext).toEqual([])
    expect(raw.messages.every((m) => m[0] === 0 || m[0] === 1)).toBe(true)
  })
})

describe('malformed and abusive traffic', () => {
  async function board() {
    const cast = await castBoard(api)
    return cast
  }

  it.each([
    ['empty frame', new Uint8Array([])],
    ['unknown sync type', new Uint8Array([0, 9, 0])],
    ['truncated length', new Uint8Array([0, 2, 0xff, 0xff, 0x03])],
    ['garbage update', new Uint8Array([0, 2, 5, 0xff, 0xfe, 0xfd, 0xfc, 0xfb])],
    ['truncated awareness', new Uint8Array([1, 4, 1, 0xaa])],
    ['awareness count lie', encodeAwarenessMessage(new Uint8Array([0xff, 0xff, 0x7f]))],
  ])('closes with 4422 on %s, and the server keeps serving', async (_name, frame) => {
    const cast = await board()
    const raw = suite.track(await RawClient.connect(suite.server.url, cast.boardId, cast.memberEditor.token))
    raw.send(frame)
    expect(await raw.waitClose()).toBe(4422)
    const ok = suite.provider(cast.boardId, cast.owner.token)
    await ok.synced()
  })

  it('ignores awareness for client ids it does not own, without closing', async () => {
    const cast = await board()
    const a = suite.provider(cast.boardId, cast.memberEditor.token)
    const b = suite.provider(cast.boardId, cast.memberReviewer.token)
    await Promise.all([a.synced(), b.synced()])
    a.provider.awareness.setLocalStateField('cursor', { x: 1, y: 2 })
    await waitFor(() => b.provider.awareness.getStates().get(a.doc.clientID)?.cursor?.x === 1)
    // b impersonates a's awareness id with a crafted message
    const raw = suite.track(await RawClient.connect(suite.server.url, cast.boardId, cast.memberReviewer.token))
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 1)
    encoding.writeVarUint(e, a.doc.clientID)
    encoding.writeVarUint(e, 999)
    encoding.writeVarString(e, JSON.stringify({ cursor: { x: 666, y: 666 }, user: { name: 'Fake' } }))
    raw.send(encodeAwarenessMessage(encoding.toUint8Array(e)))
    a.provider.awareness.setLocalStateField('cursor', { x: 5, y: 5 })
    await waitFor(() => b.provider.awareness.getStates().get(a.doc.clientID)?.cursor?.x === 5)
    expect(raw.closeCode).toBeNull()
    expect(b.provider.awareness.getStates().get(a.doc.clientID)?.user?.name).toBe('Eve Editor')
  })

  it('closes oversized frames with 4413', async () => {
    const cast = await board()
    const raw = suite.track(await RawClient.connect(suite.server.url, cast.boardId, cast.memberEditor.token))
    raw.send(new Uint8Array(256 * 1024 + 1))
    expect(await raw.waitClose()).toBe(4413)
  })

  it('closes a flood of messages with 4429', async () => {
    const cast = await board()
    const raw = suite.track(await RawClient.connect(suite.server.url, cast.boardId, cast.memberEditor.token))
    await raw.until(() => raw.messages.length > 0)
    for (let i = 0; i < 400; i++) raw.send(new Uint8Array([3]))
    expect(await raw.waitClose()).toBe(4429)
  })

  it('refuses bad, foreign and expired tokens and missing boards before sending any document data', async () => {
    const cast = await board()
    const other = await createBoard(api, cast.owner.token, 'Other')
    const otherGuest = await joinAsGuest(api, (await createInvite(api, cast.owner.token, other.id, 'reader')).token)
    const cases: [string, string | null, number][] = [
      [cast.boardId, null, 4401],
      [cast.boardId, 'garbage', 4401],
      [cast.boardId, cast.owner.token.slice(0, -3) + 'abc', 4401],
      ['no-such-board', cast.owner.token, 4404],
      [cast.boardId, otherGuest.token, 4403],
      [cast.boardId, cast.stranger.token, 4403],
    ]
    for (const [boardId, token, code] of cases) {
      const raw = suite.track(await RawClient.connect(suite.server.url, boardId, token))
      expect(await raw.waitClose(), `${boardId} ${String(token).slice(0, 10)}`).toBe(code)
      expect(raw.syncPayloads()).toEqual([])
    }
  })

  // A connect reads the board and the principal in one statement
  // (boards/connect-lookup.ts): what it reads there must refuse what the
  // separate lookups refused, and let in whom they let in.
  it('refuses guests whose link was revoked or who were removed, and a signed-out user, from the one-statement lookup', async () => {
    const cast = await board()
    const viaLink = await createInvite(api, cast.owner.token, cast.boardId, 'reviewer')
    const linkGuest = await joinAsGuest(api, viaLink.token, 'Lia Link')
    expect((await api.del(`/api/boards/${cast.boardId}/invites/${viaLink.id}`, { token: cast.owner.token })).status).toBe(204)
    expect((await api.del(`/api/boards/${cast.boardId}/participants/guest/${cast.guestReader.id}`, { token: cast.owner.token })).status).toBe(204)
    const signedOut = cast.memberReviewer.token
    expect((await api.post('/api/auth/logout-all', { token: signedOut })).status).toBe(204)
    const cases: [string, string, number][] = [
      ['revoked link', linkGuest.token, 4403],
      ['removed guest', cast.guestReader.token, 4403],
      ['signed-out user', signedOut, 4401],
    ]
    for (const [what, token, code] of cases) {
      const raw = suite.track(await RawClient.connect(suite.server.url, cast.boardId, token))
      expect(await raw.waitClose(), what).toBe(code)
      expect(raw.syncPayloads(), what).toEqual([])
    }
    // Members and guests still in are let in, with the role their row gives:
    // the member editor's shape reaches the guest editor, the member reader's is refused.
    const editor = suite.provider(cast.boardId, cast.memberEditor.token)
    const guest = suite.provider(cast.boardId, cast.guestEditor.token)
    const reader = suite.provider(cast.boardId, cast.memberReader.token)
    await Promise.all([editor.synced(), guest.synced(), reader.synced()])
    editor.doc.getMap('shapes').set('from-member-editor', new Y.Map())
    await waitFor(() => guest.doc.getMap('shapes').has('from-member-editor'), 5000, 'the member editor is an editor')
    reader.doc.getMap('shapes').set('from-member-reader', new Y.Map())
    expect(await reader.closed()).toBe(4422)
  })
})
