// Guest limits the host sets, enforced per update by the guard against
// modified clients (raw sockets sending what the app would not offer):
// which element types guests may create, whether they may comment, and
// locked frames whose contents only members may change.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { Actor } from './helpers/fixtures.js'
import { castBoard } from './helpers/fixtures.js'
import { rawJoin, tryWrite } from './helpers/rule-boards.js'
import { useServer } from './helpers/suite.js'

const suite = useServer()
const { api } = suite

const shapes = (d: Y.Doc) => d.getMap<Y.Map<unknown>>('shapes')
const element = (fields: Record<string, unknown>) => new Y.Map(Object.entries(fields))

async function join(boardId: string, who: Actor) {
  return suite.track(await rawJoin(suite.server.url, boardId, who.token))
}

describe('guest tools', () => {
  it('guests create only the element types the host allows, however they write them; members are not limited', async () => {
    const cast = await castBoard(api)
    const set = await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { guestTools: ['rectangle', 'text'], guestComments: false } })
    expect(set.body.board).toMatchObject({ guestTools: ['rectangle', 'text'], guestComments: false })
    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.memberEditor.token, body: { guestTools: null } })).status).toBe(403)
    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.guestEditor.token, body: { guestTools: null } })).body.error.code).toBe('guest_forbidden')
    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { guestTools: ['Rect angle'] } })).status).toBe(400)

    expect(await tryWrite(await join(cast.boardId, cast.guestEditor), (d) => shapes(d).set('r', element({ type: 'rectangle', x: 1 })))).toBe('accepted')
    expect(await tryWrite(await join(cast.boardId, cast.guestEditor), (d) => shapes(d).set('f', element({ type: 'freedraw' })))).toBe('tool_not_allowed')
    // As one plain object instead of a map.
    expect(await tryWrite(await join(cast.boardId, cast.guestEditor), (d) => (shapes(d) as Y.Map<unknown>).set('f2', { type: 'freedraw' }))).toBe('tool_not_allowed')
    // Turning an allowed element into another type.
    expect(await tryWrite(await join(cast.boardId, cast.guestEditor), (d) => shapes(d).get('r')!.set('type', 'arrow'))).toBe('tool_not_allowed')
    // Reviewers' markup too.
    expect(await tryWrite(await join(cast.boardId, cast.guestReviewer), (d) => d.getMap<Y.Map<unknown>>('markup').set('m', element({ type: 'freedraw' })))).toBe('tool_not_allowed')
    expect(await tryWrite(await join(cast.boardId, cast.memberEditor), (d) => shapes(d).set('mf', element({ type: 'freedraw' })))).toBe('accepted')
    // Comments off for guests, not for members.
    const comment = (who: Actor) => api.post(`/api/boards/${cast.boardId}/comments`, { token: who.token, body: { anchor: { x: 0, y: 0 }, body: 'hi' } })
    const refused = await comment(cast.guestReviewer)
    expect(refused.status).toBe(403)
    expect(refused.body.error).toEqual({ code: 'guest_forbidden', message: 'The host turned comments off for guests' })
    expect((await comment(cast.memberReviewer)).status).toBe(201)
    // Lifted: a connection that is already open follows the new setting.
    const open = await join(cast.boardId, cast.guestEditor)
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { guestTools: null, guestComments: true } })
    await new Promise((r) => setTimeout(r, 200))
    expect(await tryWrite(open, (d) => shapes(d).set('f3', element({ type: 'freedraw' })))).toBe('accepted')
  })
})

describe('locked frames', () => {
  it('guests cannot change, delete, replace, move into or add to a locked frame; members can; outside it guests work as before', async () => {
    const cast = await castBoard(api)
    const owner = await join(cast.boardId, cast.owner)
    expect(
      await tryWrite(owner, (d) => {
        shapes(d).set('F', element({ type: 'frame', x: 0, y: 0 }))
        shapes(d).set('inside', element({ type: 'rectangle', x: 10, frameId: 'F' }))
        shapes(d).set('outside', element({ type: 'rectangle', x: 900 }))
      }),
    ).toBe('accepted')
    expect((await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { lockedFrames: ['F'] } })).body.board.lockedFrames).toEqual(['F'])
    await new Promise((r) => setTimeout(r, 100))
    const attempts: [string, (d: Y.Doc) => void][] = [
      ['change an element in it', (d) => shapes(d).get('inside')!.set('x', 11)],
      ['delete an element in it', (d) => shapes(d).delete('inside')],
      ['change the frame', (d) => shapes(d).get('F')!.set('x', 5)],
      ['delete the frame', (d) => shapes(d).delete('F')],
      ['replace an element in it', (d) => shapes(d).set('inside', element({ type: 'rectangle' }))],
      ['add an element to it', (d) => shapes(d).set('new', element({ type: 'rectangle', frameId: 'F' }))],
      ['add one as a plain object', (d) => (shapes(d) as Y.Map<unknown>).set('new2', { type: 'rectangle', frameId: 'F' })],
      ['move an element into it', (d) => shapes(d).get('outside')!.set('frameId', 'F')],
      ['take a field out of an element in it', (d) => shapes(d).get('inside')!.delete('frameId')],
    ]
    for (const [what, change] of attempts) {
      expect(await tryWrite(await join(cast.boardId, cast.guestEditor), change), what).toBe('locked_frame')
    }
    expect(await tryWrite(await join(cast.boardId, cast.guestEditor), (d) => shapes(d).get('outside')!.set('x', 901))).toBe('accepted')
    expect(await tryWrite(await join(cast.boardId, cast.memberEditor), (d) => shapes(d).get('inside')!.set('x', 12))).toBe('accepted')
    // Unlocked: guests may again.
    await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { lockedFrames: [] } })
    await new Promise((r) => setTimeout(r, 100))
    expect(await tryWrite(await join(cast.boardId, cast.guestEditor), (d) => shapes(d).get('inside')!.set('x', 13))).toBe('accepted')
  })
})
