// Access changes reach open connections at once, with the contract's codes.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { RawClient, waitFor } from './helpers/collab.js'
import { type Cast, castBoard, createBoard, createInvite, joinAsGuest, makePro } from './helpers/fixtures.js'
import { holdAccessChecks } from './helpers/hold.js'
import { useServer } from './helpers/suite.js'

const suite = useServer()
const { api, provider: connect } = suite

describe('live policy', () => {
  /**
   * The guest editor's access check passes and is held; `change` runs while
   * it waits (the change's own re-check cannot see a connection not yet in
   * the room); then the join goes on. Answers the close code the guest got.
   */
  async function changeWhileChecked(warm: boolean, change: (cast: Cast) => Promise<void>) {
    const cast = await castBoard(api)
    if (warm) await connect(cast.boardId, cast.owner.token).synced()
    const hold = holdAccessChecks(suite.server, 'guest')
    try {
      const guest = connect(cast.boardId, cast.guestEditor.token)
      await hold.reached
      await change(cast)
      hold.release()
      return { cast, code: await guest.closed() }
    } finally {
      hold.release()
    }
  }

  for (const warm of [true, false]) {
    const room = warm ? 'open' : 'unloaded'
    it(`a guest checked just before guests are turned away is closed once it joins, 4403 (${room} room)`, async () => {
      const { code } = await changeWhileChecked(warm, async (cast) => {
        const res = await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { accessMode: 'specific_users' } })
        expect(res.status).toBe(200)
      })
      expect(code).toBe(4403)
    })

    // A kick leaves nothing in the database (the person may come back), so the
    // join's database re-check cannot see one that landed while it was checked.
    it(`a guest kicked while its connection is being checked is taken out once it joins, 4410 (${room} room)`, async () => {
      const { cast, code } = await changeWhileChecked(warm, async (c) => {
        const res = await api.post(`/api/boards/${c.boardId}/participants/guest/${c.guestEditor.id}/kick`, { token: c.owner.token })
        expect(res.status).toBe(204)
      })
      expect(code).toBe(4410)
      // They may come back: a new connection after the kick stays.
      const again = connect(cast.boardId, cast.guestEditor.token)
      await again.synced()
      await new Promise((r) => setTimeout(r, 200))
      expect(again.closes).toEqual([])
    })
  }

  it('downgrades live: 4009, then the stock client reconnects with the new role', async () => {
    const cast = await castBoard(api)
    const owner = connect(cast.boardId, cast.owner.token)
    const editor = connect(cast.boardId, cast.memberEditor.token)
    await Promise.all([owner.synced(), editor.synced()])
    editor.doc.getMap('shapes').set('before', new Y.Map())
    await waitFor(() => owner.doc.getMap('shapes').has('before'))
    await api.patch(`/api/boards/${cast.boardId}/participants/user/${cast.memberEditor.id}`, { token: cast.owner.token, body: { role: 'reader' } })
    expect(await editor.closed()).toBe(4009)
    // y-websocket retries 4009 by itself and comes back as a reader.
    await waitFor(() => editor.provider.wsconnected && editor.provider.synced, 5000, 'reconnect')
    await waitFor(() => owner.provider.awareness.getStates().get(editor.doc.clientID)?.user?.role === 'reader', 5000, 'new role in presence')
    editor.doc.getMap('shapes').set('after', new Y.Map())
    await waitFor(() => editor.closes.some((c) => c.code === 4422), 5000, 'refused as reader')
    expect(owner.doc.getMap('shapes').has('after')).toBe(false)
  })

  it('removal closes with 4403 and the token no longer connects', async () => {
    const cast = await castBoard(api)
    const g = connect(cast.boardId, cast.guestEditor.token)
    const m = connect(cast.boardId, cast.memberReviewer.token)
    await Promise.all([g.synced(), m.synced()])
    await api.del(`/api/boards/${cast.boardId}/participants/guest/${cast.guestEditor.id}`, { token: cast.owner.token })
    await api.del(`/api/boards/${cast.boardId}/participants/user/${cast.memberReviewer.id}`, { token: cast.owner.token })
    expect(await g.closed()).toBe(4403)
    expect(await m.closed()).toBe(4403)
    const again = await RawClient.connect(suite.server.url, cast.boardId, cast.guestEditor.token)
    expect(await again.waitClose()).toBe(4403)
  })

  it('revoking a link disconnects the guests who came through it (4403), nobody else', async () => {
    const owner = (await castBoard(api)).owner
    const board = await createBoard(api, owner.token)
    const link = await createInvite(api, owner.token, board.id, 'reviewer')
    const other = await createInvite(api, owner.token, board.id, 'reviewer')
    const viaLink = await joinAsGuest(api, link.token, 'Via link')
    const viaOther = await joinAsGuest(api, other.token, 'Via other')
    const a = connect(board.id, viaLink.token)
    const b = connect(board.id, viaOther.token)
    await Promise.all([a.synced(), b.synced()])
    await api.del(`/api/boards/${board.id}/invites/${link.id}`, { token: owner.token })
    expect(await a.closed()).toBe(4403)
    await new Promise((r) => setTimeout(r, 200))
    expect(b.closes).toEqual([])
  })

  it('specific_users disconnects guests (4403) but keeps members', async () => {
    const cast = await castBoard(api)
    const g = connect(cast.boardId, cast.guestReader.token)
    const m = connect(cast.boardId, cast.memberReader.token)
    await Promise.all([g.synced(), m.synced()])
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { accessMode: 'specific_users' } })
    expect(await g.closed()).toBe(4403)
    await new Promise((r) => setTimeout(r, 200))
    expect(m.closes).toEqual([])
  })

  it('lock leaves content to the owner; archive makes it read-only for all', async () => {
    const cast = await castBoard(api)
    const owner = connect(cast.boardId, cast.owner.token)
    const editor = connect(cast.boardId, cast.memberEditor.token)
    await Promise.all([owner.synced(), editor.synced()])
    const raw = await RawClient.connect(suite.server.url, cast.boardId, cast.memberReviewer.token)
    await raw.until(() => raw.ext.find((e) => e.kind === 'welcome'))
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { locked: true } })
    await raw.until(() => raw.ext.find((e) => e.kind === 'board' && e.locked))
    owner.doc.getMap('shapes').set('by-owner', new Y.Map())
    await waitFor(() => editor.doc.getMap('shapes').has('by-owner'))
    editor.doc.getMap('shapes').set('by-editor', new Y.Map())
    expect(await editor.closed()).toBe(4422)
    expect(owner.doc.getMap('shapes').has('by-editor')).toBe(false)
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { locked: false, archived: true } })
    await raw.until(() => raw.ext.find((e) => e.kind === 'board' && e.archived))
    owner.doc.getMap('shapes').set('while-archived', new Y.Map())
    expect(await owner.closed()).toBe(4422)
    raw.close()
  })

  it('deleting the board closes everyone with 4404', async () => {
    const cast = await castBoard(api)
    const a = connect(cast.boardId, cast.memberEditor.token)
    const b = connect(cast.boardId, cast.guestReader.token)
    await Promise.all([a.synced(), b.synced()])
    expect((await api.del(`/api/boards/${cast.boardId}`, { token: cast.owner.token })).status).toBe(204)
    expect(await a.closed()).toBe(4404)
    expect(await b.closed()).toBe(4404)
    expect(suite.server.hub.room(cast.boardId)).toBeUndefined()
  })

  it('a tier change re-checks guest editors (pro → free caps them to reviewer)', async () => {
    const owner = (await castBoard(api)).owner
    const board = await createBoard(api, owner.token)
    await makePro(api, owner.id)
    const guest = await joinAsGuest(api, (await createInvite(api, owner.token, board.id, 'editor')).token)
    const g = connect(board.id, guest.token)
    await g.synced()
    const { TEST_ADMIN_TOKEN } = await import('./helpers/server.js')
    await api.patch(`/api/admin/users/${owner.id}`, { token: TEST_ADMIN_TOKEN, body: { plan: 'free' } })
    expect(await g.closed()).toBe(4009)
  })
})
