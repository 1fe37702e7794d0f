// A full board is not the end of the session: the SDK is told why (the
// `too_large` refusal before the 4413 close), starts over from the server's
// state, and the owner can make room and keep working.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { refusalMessages } from '../../shared/constants.js'
import { uniqueEmail } from '../../server/test/helpers/api.js'
import { waitFor } from '../../server/test/helpers/collab.js'
import { useServer } from '../../server/test/helpers/suite.js'
import { ApiClient, connectBoard } from './index.js'

const suite = useServer({ MAX_DOC_BYTES: '8192' })

describe('a full board', () => {
  it('resets instead of ending, says how to make room, and works again once there is room', async () => {
    const anon = new ApiClient({ baseUrl: suite.server.url })
    const { token } = await anon.register({ email: uniqueEmail('full'), password: 'correct horse', name: 'Olivia' })
    const board = await anon.withToken(token).createBoard('Full')
    const c = suite.track(connectBoard({ baseUrl: suite.server.url, boardId: board.id, token, WebSocket, maxBackoffTime: 200 }))
    await c.whenSynced()
    const refusals: string[] = []
    c.on('refused', (r) => refusals.push(r.message))
    const reset = new Promise<Y.Doc>((resolve) => c.on('reset', (fresh) => resolve(fresh)))
    for (let i = 0; i < 12; i++) {
      c.doc.getMap('shapes').set(`big${i}`, new Y.Map<unknown>([['type', 'text'], ['text', 't'.repeat(1000)]]))
      await waitFor(() => c.saveState === 'saved' || refusals.length > 0, 5000, 'saved or refused')
      if (refusals.length > 0) break
    }
    const fresh = await reset
    expect(refusals).toEqual([refusalMessages.too_large])
    expect(c.ended).toBeNull()
    await c.whenSynced()
    expect(c.doc).toBe(fresh)
    // Make room, then keep working.
    await waitFor(() => c.doc.getMap('shapes').has('big0'), 5000, 'resynced')
    c.doc.getMap('shapes').delete('big0')
    c.doc.getMap('shapes').delete('big1')
    await waitFor(() => c.saveState === 'saved', 5000, 'delete saved')
    ;(c.doc.getMap('shapes').get('big2') as Y.Map<unknown>).set('x', 5)
    await waitFor(() => c.saveState === 'saved', 5000, 'move saved')
    expect(c.ended).toBeNull()
  })
})
