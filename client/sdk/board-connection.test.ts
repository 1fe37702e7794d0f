// The SDK's live board connection against a real server: role, presence,
// saved state, role changes (4009), refusals (4422 → fresh doc) and the
// permanent closes that end a session.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { refusalMessages } from '../../shared/constants.js'
import { uniqueEmail } from '../../server/test/helpers/api.js'
import { waitFor } from '../../server/test/helpers/collab.js'
import { useServer } from '../../server/test/helpers/suite.js'
import { ApiClient, type BoardConnection, connectBoard, type SaveState } from './index.js'

const suite = useServer()
let anon: ApiClient

beforeAll(() => {
  anon = new ApiClient({ baseUrl: suite.server.url })
})
function connect(boardId: string, token: string): BoardConnection {
  return suite.track(connectBoard({ baseUrl: suite.server.url, boardId, token, WebSocket, maxBackoffTime: 200 }))
}

async function ownerWithBoard() {
  const { token } = await anon.register({ email: uniqueEmail('conn'), password: 'correct horse', name: 'Olivia' })
  const owner = anon.withToken(token)
  const board = await owner.createBoard('Live')
  return { owner, token, board }
}

async function guestOf(owner: ApiClient, boardId: string, role: 'editor' | 'reviewer' | 'reader', name: string) {
  const invite = await owner.createInvite(boardId, { role })
  return { invite, ...(await anon.joinAsGuest(invite.token, name)) }
}

describe('connecting', () => {
  it('reports role, flags and a saved state that follows the server', async () => {
    const { token, board } = await ownerWithBoard()
    const c = connect(board.id, token)
    const saves: SaveState[] = []
    c.on('save', (s) => saves.push(s))
    await c.whenSynced()
    await waitFor(() => c.role, 5000, 'welcome')
    expect(c.role).toBe('owner')
    expect(c.welcome?.principal.name).toBe('Olivia')
    expect(c.flags).toEqual({ locked: false, archived: false })
    expect(c.saveState).toBe('saved')

    const shape = new Y.Map<unknown>([['type', 'rect'], ['x', 1]])
    c.doc.getMap('shapes').set('s1', shape)
    expect(c.saveState).toBe('saving')
    await waitFor(() => c.saveState === 'saved', 5000, 'saved')
    expect(saves).toContain('saving')

    // Offline edits show "offline" and are saved after reconnecting.
    c.provider.disconnect()
    await waitFor(() => c.saveState === 'offline', 5000, 'offline')
    shape.set('x', 2)
    expect(c.saveState).toBe('offline')
    c.provider.connect()
    await waitFor(() => c.saveState === 'saved', 5000, 'saved after reconnect')
    const other = connect(board.id, token)
    await other.whenSynced()
    expect((other.doc.getMap('shapes').get('s1') as Y.Map<unknown>).get('x')).toBe(2)
  })

  it('shows presence with the server-stamped user', async () => {
    const { owner, token, board } = await ownerWithBoard()
    const guest = await guestOf(owner, board.id, 'reader', 'Greta')
    const a = connect(board.id, token)
    const b = connect(board.id, guest.token)
    // A client cannot choose its own name or badge.
    b.setPresence({ cursor: { x: 5, y: 6 }, user: { name: 'Not Greta', guest: false } })
    await waitFor(() => a.presence().find((p) => p.user.name === 'Greta' && p.cursor), 5000, 'guest presence')
    const seen = a.presence().find((p) => p.user.name === 'Greta')!
    expect(seen.user).toMatchObject({ guest: true, kind: 'guest', role: 'reader' })
    expect(seen.cursor).toEqual({ x: 5, y: 6 })
    expect(typeof seen.user.color).toBe('string')
    await waitFor(() => b.presence().some((p) => p.user.name === 'Olivia'), 5000, 'owner presence')
    expect(a.presence().some((p) => p.user.name === 'Not Greta')).toBe(false)
  })
})

describe('role changes and refusals', () => {
  it('picks up a new role after 4009 without losing the document', async () => {
    const { owner, board } = await ownerWithBoard()
    const guest = await guestOf(owner, board.id, 'reader', 'Rex')
    const c = connect(board.id, guest.token)
    await waitFor(() => c.role === 'reader', 5000, 'reader role')
    const doc = c.doc
    const roles: string[] = []
    c.on('role', (r) => roles.push(r))
    await owner.changeRole(board.id, 'guest', guest.guest.id, 'reviewer')
    await waitFor(() => c.role === 'reviewer', 5000, 'reviewer role')
    expect(roles).toEqual(['reviewer'])
    expect(c.doc).toBe(doc)
    expect(c.ended).toBeNull()
  })

  it('starts from a fresh document after a refused update (4422)', async () => {
    const { owner, token, board } = await ownerWithBoard()
    const editor = connect(board.id, token)
    await editor.whenSynced()
    editor.doc.getMap('shapes').set('keep', new Y.Map<unknown>([['type', 'rect']]))
    const guest = await guestOf(owner, board.id, 'reviewer', 'Rita')
    const c = connect(board.id, guest.token)
    await c.whenSynced()
    await waitFor(() => c.doc.getMap('shapes').has('keep'), 5000, 'shape synced')

    const refusals: string[] = []
    c.on('refused', (r) => refusals.push(r.message))
    const reset = new Promise<[Y.Doc, Y.Doc]>((resolve) => c.on('reset', (d, old) => resolve([d, old])))
    const old = c.doc
    // A reviewer may not touch the editor's shapes.
    ;(c.doc.getMap('shapes').get('keep') as Y.Map<unknown>).set('x', 99)
    const [fresh, previous] = await reset
    expect(previous).toBe(old)
    expect(fresh).not.toBe(old)
    expect(c.doc).toBe(fresh)
    expect(refusals).toEqual([refusalMessages.not_own_markup])
    await c.whenSynced()
    await waitFor(() => c.doc.getMap('shapes').has('keep'), 5000, 'resynced')
    expect((c.doc.getMap('shapes').get('keep') as Y.Map<unknown>).get('x')).toBeUndefined()
    expect(c.ended).toBeNull()

    // Own markup still works on the fresh document.
    c.doc.getMap('markup').set('m1', new Y.Map<unknown>([['type', 'scribble']]))
    await waitFor(() => editor.doc.getMap('markup').has('m1'), 5000, 'markup arrives')
    await waitFor(() => c.saveState === 'saved', 5000, 'markup saved')
  })
})

describe('sessions that end', () => {
  it('ends with unauthenticated for a bad token', async () => {
    const { board } = await ownerWithBoard()
    const c = connect(board.id, 'not-a-token')
    await expect(c.whenSynced()).rejects.toThrow()
    expect(c.ended).toMatchObject({ code: 4401, reason: 'unauthenticated' })
    expect(c.status).toBe('ended')
  })

  it('ends with forbidden when the link is revoked', async () => {
    const { owner, board } = await ownerWithBoard()
    const guest = await guestOf(owner, board.id, 'reviewer', 'Gil')
    const c = connect(board.id, guest.token)
    await c.whenSynced()
    const ended = new Promise((resolve) => c.on('ended', resolve))
    await owner.revokeInvite(board.id, guest.invite.id)
    expect(await ended).toMatchObject({ code: 4403, reason: 'forbidden' })
  })

  it('ends with not_found when the board is deleted', async () => {
    const { owner, token, board } = await ownerWithBoard()
    const c = connect(board.id, token)
    await c.whenSynced()
    const ended = new Promise((resolve) => c.on('ended', resolve))
    await owner.deleteBoard(board.id)
    expect(await ended).toMatchObject({ code: 4404, reason: 'not_found' })
    expect(c.saveState).not.toBe('saving')
  })
})
