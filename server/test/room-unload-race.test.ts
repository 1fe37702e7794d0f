// A join that arrives while its board's room is unloading: the last person
// left (or was sent away to resync, 4422) and the room is being written out
// and dropped, while the next connection, already past its checks, waits for
// the presence registry. It must end up in a room with the board, never be
// told the board is gone (4404, which the web app shows as "deleted").
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { waitFor } from './helpers/collab.js'
import { castBoard } from './helpers/fixtures.js'
import { holdOnlineLookup } from './helpers/hold.js'
import { useServer } from './helpers/suite.js'

const suite = useServer()
const { api, provider: connect } = suite

describe('a join while the room unloads', () => {
  it('gets the board, not 4404, when the last connection leaves between its room and its seat', async () => {
    const cast = await castBoard(api)
    const owner = connect(cast.boardId, cast.owner.token)
    await owner.synced()
    const shape = new Y.Map<unknown>()
    owner.doc.getMap('shapes').set('kept', shape)
    shape.set('x', 10)
    const room = suite.server.hub.room(cast.boardId)!
    await waitFor(() => room.doc?.getMap('shapes').has('kept'), 5000, 'the shape reached the room')

    // The guest editor's join has its room and is asking who is online (its seat).
    const hold = holdOnlineLookup(suite.server, cast.boardId)
    try {
      const guest = connect(cast.boardId, cast.guestEditor.token)
      await hold.reached
      owner.destroy()
      // The room is empty now. Give its unload every chance to run to the end.
      await waitFor(() => suite.server.hub.room(cast.boardId) !== room, 1000, 'room unloaded').catch(() => undefined)
      hold.release()
      await waitFor(() => guest.provider.synced || guest.closes.length > 0, 5000, 'the guest synced or was closed')
      expect(guest.closes).toEqual([])
      expect(guest.doc.getMap('shapes').has('kept')).toBe(true)
      // And it is a live room: what the guest writes is stored and served to the next one.
      guest.doc.getMap('shapes').set('after', new Y.Map())
      const reader = connect(cast.boardId, cast.guestReader.token)
      await waitFor(() => reader.provider.synced, 5000, 'the reader synced')
      await waitFor(() => reader.doc.getMap('shapes').has('after'), 5000, 'the next joiner sees the guest')
      expect(reader.doc.getMap('shapes').has('kept')).toBe(true)
    } finally {
      hold.release()
    }
  })
})
