// Images elements refer to: registered editors upload them, the bytes decide
// their type (never the request), they are served only to who may see the
// board and only as pictures, and exports and copies carry them.
import { describe, expect, it } from 'vitest'
import { type Cast, castBoard, createInvite, joinAsGuest } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'

const suite = useServer({ MAX_FILE_BYTES: '4096', MAX_BOARD_FILE_BYTES: '8192' })
const { api } = suite

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>')

async function put(boardId: string, fileId: string, token: string | null, body: Buffer, type = 'image/png') {
  const res = await fetch(`${suite.server.url}/api/boards/${boardId}/files/${fileId}`, {
    method: 'PUT',
    headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: new Uint8Array(body),
  })
  return { status: res.status, body: (await res.json().catch(() => null)) as any }
}

async function get(boardId: string, fileId: string, token: string) {
  const res = await fetch(`${suite.server.url}/api/boards/${boardId}/files/${fileId}`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) }
}

describe('board files', () => {
  let cast: Cast
  it('an owner or member editor uploads an image; the same id again keeps the first', async () => {
    cast = await castBoard(api)
    expect(await put(cast.boardId, 'img-1', cast.owner.token, PNG)).toEqual({ status: 201, body: { file: { id: 'img-1', mimeType: 'image/png', size: PNG.length } } })
    expect((await put(cast.boardId, 'img-1', cast.memberEditor.token, PNG)).status).toBe(200)
    expect((await put(cast.boardId, 'img-2', cast.memberEditor.token, GIF)).status).toBe(201)
  })

  it('guests (even editors), reviewers, readers and strangers may not upload', async () => {
    for (const [who, code] of [
      [cast.guestEditor, 'guest_forbidden'],
      [cast.guestReviewer, 'guest_forbidden'],
      [cast.memberReviewer, 'forbidden'],
      [cast.memberReader, 'forbidden'],
      [cast.stranger, 'forbidden'],
    ] as const) {
      const res = await put(cast.boardId, `no-${who.name.length}`, who.token, PNG)
      expect(res.status, who.name).toBe(403)
      expect(res.body.error.code, who.name).toBe(code)
    }
    expect((await put(cast.boardId, 'anon', null, PNG)).status).toBe(401)
  })

  it('the bytes decide the type: an SVG or text is refused whatever it is called; a PNG called JPEG is stored as PNG', async () => {
    const svg = await put(cast.boardId, 'svg', cast.owner.token, SVG, 'image/png')
    expect(svg.status).toBe(415)
    expect(svg.body.error.code).toBe('unsupported_media_type')
    expect((await put(cast.boardId, 'txt', cast.owner.token, Buffer.from('hello'), 'image/png')).status).toBe(415)
    expect((await put(cast.boardId, 'mislabelled', cast.owner.token, PNG, 'image/jpeg')).body.file.mimeType).toBe('image/png')
  })

  it('refuses bad ids, files over the size limit and boards over their file budget', async () => {
    expect((await put(cast.boardId, 'bad.id', cast.owner.token, PNG)).status).toBe(400)
    const big = Buffer.concat([PNG, Buffer.alloc(5000)])
    const tooBig = await put(cast.boardId, 'big', cast.owner.token, big)
    expect(tooBig.status).toBe(413)
    expect(tooBig.body.error.code).toBe('too_large')
    const board = await api.post('/api/boards', { token: cast.owner.token, body: { title: 'Budget' } })
    const fill = Buffer.concat([PNG, Buffer.alloc(3500)])
    expect((await put(board.body.board.id, 'a', cast.owner.token, fill)).status).toBe(201)
    expect((await put(board.body.board.id, 'b', cast.owner.token, fill)).status).toBe(201)
    const over = await put(board.body.board.id, 'c', cast.owner.token, fill)
    expect(over.status).toBe(413)
  })

  it('is served only to those who may see the board, only as a picture', async () => {
    const ok = await get(cast.boardId, 'img-1', cast.guestReader.token)
    expect(ok.status).toBe(200)
    expect(ok.bytes.equals(PNG)).toBe(true)
    expect(ok.headers.get('content-type')).toBe('image/png')
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff')
    expect(ok.headers.get('content-security-policy')).toContain('sandbox')
    expect(ok.headers.get('cache-control')).toContain('private')
    expect((await get(cast.boardId, 'img-1', cast.stranger.token)).status).toBe(403)
    expect((await get(cast.boardId, 'missing', cast.owner.token)).status).toBe(404)
    // Another board's guest token does not reach this board's files.
    const other = await api.post('/api/boards', { token: cast.owner.token, body: { title: 'Other' } })
    const outsider = await joinAsGuest(api, (await createInvite(api, cast.owner.token, other.body.board.id, 'reader')).token, 'Olaf Outsider')
    expect((await get(cast.boardId, 'img-1', outsider.token)).status).toBe(403)
  })

  it('lock leaves uploads to the owner; archive to nobody', async () => {
    const board = (await api.post('/api/boards', { token: cast.owner.token, body: { title: 'Locked' } })).body.board
    const editor = (await api.post(`/api/invites/${(await createInvite(api, cast.owner.token, board.id, 'editor')).token}/join`, { token: cast.memberEditor.token })).status
    expect(editor).toBe(200)
    await api.patch(`/api/boards/${board.id}`, { token: cast.owner.token, body: { locked: true } })
    expect((await put(board.id, 'l1', cast.memberEditor.token, PNG)).body.error.code).toBe('board_locked')
    expect((await put(board.id, 'l1', cast.owner.token, PNG)).status).toBe(201)
    await api.patch(`/api/boards/${board.id}`, { token: cast.owner.token, body: { locked: false, archived: true } })
    expect((await put(board.id, 'l2', cast.owner.token, PNG)).body.error.code).toBe('board_archived')
  })

  it('JSON export carries the images as data URLs; import and duplicate bring them along', async () => {
    const exported = await api.get(`/api/boards/${cast.boardId}/export?format=json`, { token: cast.owner.token })
    expect(exported.status).toBe(200)
    expect(exported.body.files['img-1']).toEqual({ mimeType: 'image/png', dataURL: `data:image/png;base64,${PNG.toString('base64')}` })
    const imported = await api.post('/api/boards/import', { token: cast.owner.token, body: exported.body })
    expect(imported.status).toBe(201)
    expect((await get(imported.body.board.id, 'img-1', cast.owner.token)).bytes.equals(PNG)).toBe(true)
    const copy = await api.post(`/api/boards/${cast.boardId}/duplicate`, { token: cast.owner.token })
    expect(copy.status).toBe(201)
    expect((await get(copy.body.board.id, 'img-2', cast.owner.token)).bytes.equals(GIF)).toBe(true)
  })

  it('an import whose image is not one (an SVG as a data URL) is refused whole', async () => {
    const before = (await api.get('/api/boards', { token: cast.owner.token })).body.boards.length
    const bad = await api.post('/api/boards/import', {
      token: cast.owner.token,
      body: {
        format: 'drawbridge.board',
        version: 1,
        board: { title: 'Sneaky' },
        document: { shapes: {}, markup: {}, meta: {} },
        files: { x: { mimeType: 'image/png', dataURL: `data:image/png;base64,${SVG.toString('base64')}` } },
      },
    })
    expect(bad.status).toBe(400)
    expect((await api.get('/api/boards', { token: cast.owner.token })).body.boards.length).toBe(before)
  })
})
