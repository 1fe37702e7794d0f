// A room that other instances share: a client whose last instance died
// re-sends, in its sync step 2, what it got there. What that instance stored
// but this one has not heard of yet (Redis is behind) has client ids this
// room does not know, which the guard counts as the sender's own: a
// reviewer re-sending an editor's shape looked like a reviewer writing shapes
// (refused, 4422; found by the kill -9 loop on two instances). The database
// decides first. What nobody stored is still refused.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode } from '../../shared/constants.js'
import { decodeExt, encodeSyncStep2, encodeSyncUpdate } from '../../shared/protocol.js'
import { waitFor } from './helpers/collab.js'
import { enterRoom, useRooms } from './helpers/rooms.js'

const rooms = useRooms()

/** An editor's shape, as another instance stored it: in the log, its client id claimed there; this room has seen neither. */
async function storedElsewhere(boardId: string): Promise<Uint8Array> {
  const editor = new Y.Doc()
  const shape = new Y.Map<unknown>()
  shape.set('type', 'rectangle')
  shape.set('x', 10)
  editor.getMap('shapes').set('from-the-editor', shape)
  const update = Y.encodeStateAsUpdate(editor)
  await rooms.log.claim(boardId, [editor.clientID], { kind: 'user', id: 'editor' })
  await rooms.log.append(boardId, update)
  return update
}

const until = (check: () => boolean, what: string) => waitFor(check, 2000, what)
const refusals = (sent: Uint8Array[]) => sent.map(decodeExt).filter((e) => e?.kind === 'refused')

describe('a re-sent update that another instance stored', () => {
  for (const role of ['reviewer', 'reader'] as const) {
    it(`from a ${role}: the room catches up from the database and takes it as already known, not as the ${role}'s own write`, async () => {
      const room = await rooms.newRoom({ shared: true })
      const update = await storedElsewhere(room.boardId)
      const { peer, conn } = enterRoom(room, role, `user:${role}`)
      conn.receive(encodeSyncStep2(update))
      await until(() => room.doc.getMap('shapes').has('from-the-editor'), 'the room caught up')
      await new Promise((r) => setTimeout(r, 20))
      expect(peer.closedWith).toBeNull()
      expect(refusals(peer.sent)).toEqual([])
    })
  }

  it('a reviewer writing a shape nobody stored is still refused, after the one catch-up', async () => {
    const room = await rooms.newRoom({ shared: true })
    await storedElsewhere(room.boardId)
    const { peer, conn } = enterRoom(room, 'reviewer', 'user:reviewer')
    const own = new Y.Doc()
    own.getMap('shapes').set('mine', 'not allowed')
    conn.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(own)))
    await until(() => peer.closedWith !== null, 'the refusal')
    expect(peer.closedWith).toBe(CloseCode.updateRefused)
    expect(refusals(peer.sent).map((r) => r?.kind === 'refused' && r.reason)).toEqual(['not_own_markup'])
    // The catch-up ran (the editor's shape is here), and it did not let the write through.
    expect(room.doc.getMap('shapes').has('from-the-editor')).toBe(true)
    expect(room.doc.getMap('shapes').has('mine')).toBe(false)
  })
})
