// Names and text other people see (issue 14): invisible, blank and bidi
// characters and badge look-alikes are refused at every door with the
// contract's 400; accepted text is stored normalised.
import { describe, expect, it } from 'vitest'
import { uniqueEmail } from './helpers/api.js'
import { castBoard, createBoard, createInvite } from './helpers/fixtures.js'
import { BIDI_SAMPLES, INVISIBLE_SAMPLES } from './helpers/hostile-text.js'
import { useServer } from './helpers/suite.js'

const suite = useServer()
const { api } = suite

const BAD: [string, string][] = [...Object.entries(INVISIBLE_SAMPLES), ...Object.entries(BIDI_SAMPLES)]
const BADGE_NAMES = ['Alice\u00a0GUEST\u00a0Owner', 'Bob OWNER', 'ＧＵＥＳＴ Gus']

function expectInvalid(res: { status: number; body: any }, field: string, what: string) {
  expect(res.status, what).toBe(400)
  expect(res.body.error.code, what).toBe('invalid_request')
  expect(res.body.error.message, what).toContain(field)
}

describe('names', () => {
  it('joining as a guest refuses each invisible or bidi character and badge look-alikes', async () => {
    const owner = await suite.api.post('/api/auth/register', { body: { email: uniqueEmail(), password: 'correct horse', name: 'Olivia Owner' } })
    const board = await createBoard(api, owner.body.token)
    const link = await createInvite(api, owner.body.token, board.id, 'reviewer')
    for (const [what, c] of BAD) {
      expectInvalid(await api.post(`/api/invites/${link.token}/join`, { body: { name: `Al${c}ice` } }), 'name', what)
    }
    for (const name of BADGE_NAMES) expectInvalid(await api.post(`/api/invites/${link.token}/join`, { body: { name } }), 'name', name)
    const ok = await api.post(`/api/invites/${link.token}/join`, { body: { name: ' Ａｌｉｃｅ\u00a0\u00a0B ' } })
    expect(ok.status).toBe(201)
    expect(ok.body.guest.name).toBe('Alice B')
  })

  it('registering refuses each invisible or bidi character and badge look-alikes', async () => {
    const register = (name: string) => api.post('/api/auth/register', { body: { email: uniqueEmail(), password: 'correct horse', name } })
    for (const [what, c] of BAD) expectInvalid(await register(`Al${c}ice`), 'name', what)
    for (const name of BADGE_NAMES) expectInvalid(await register(name), 'name', name)
    const ok = await register('Ｒｏｓａ\u3000Ｌｉｍａ')
    expect(ok.status).toBe(201)
    expect(ok.body.user.name).toBe('Rosa Lima')
  })

  it('creating a temporary board refuses bad guest names and bad titles (titles have no badge rule)', async () => {
    for (const [what, c] of BAD) {
      expectInvalid(await api.post('/api/boards', { body: { guestName: `Gu${c}s` } }), 'guestName', what)
      expectInvalid(await api.post('/api/boards', { body: { guestName: 'Gus', title: `Pl${c}an` } }), 'title', what)
    }
    for (const guestName of BADGE_NAMES) expectInvalid(await api.post('/api/boards', { body: { guestName } }), 'guestName', guestName)
    const made = await api.post('/api/boards', { body: { guestName: 'Gus', title: ' GUEST  ROOM\u00a0plan ' } })
    expect(made.status).toBe(201)
    expect(made.body.board.title).toBe('GUEST ROOM plan (temporary)')
  })

  it('renaming a board refuses invisible and bidi characters', async () => {
    const cast = await castBoard(api)
    for (const [what, c] of BAD) {
      expectInvalid(await api.patch(`/api/boards/${cast.boardId}`, { token: cast.owner.token, body: { title: `Pl${c}an` } }), 'title', what)
    }
  })
})

describe('comment bodies', () => {
  it('threads, replies and edits refuse each invisible or bidi character (RLO included)', async () => {
    const cast = await castBoard(api)
    const base = `/api/boards/${cast.boardId}/comments`
    const thread = (await api.post(base, { token: cast.memberEditor.token, body: { anchor: { x: 0, y: 0 }, body: 'fine' } })).body.thread
    for (const [what, c] of BAD) {
      const body = `see ${c}this`
      expectInvalid(await api.post(base, { token: cast.memberEditor.token, body: { anchor: { x: 0, y: 0 }, body } }), 'body', what)
      expectInvalid(await api.post(`${base}/${thread.id}/replies`, { token: cast.memberEditor.token, body: { body } }), 'body', what)
      expectInvalid(await api.patch(`${base}/${thread.id}`, { token: cast.memberEditor.token, body: { body } }), 'body', what)
    }
    const listed = await api.get(base, { token: cast.owner.token })
    expect(listed.body.threads).toHaveLength(1)
    expect(listed.body.threads[0].replies).toHaveLength(0)
  })

  it('keeps newlines, tabs, script joiners and emoji, and stores NFC', async () => {
    const cast = await castBoard(api)
    const body = 'Line 1\n\tLine 2 👩\u200d💻 می\u200cخواهم cafe\u0301'
    const res = await api.post(`/api/boards/${cast.boardId}/comments`, { token: cast.memberEditor.token, body: { anchor: { x: 0, y: 0 }, body } })
    expect(res.status).toBe(201)
    expect(res.body.thread.body).toBe(body.normalize('NFC'))
    expect(res.body.thread.body.endsWith('caf\u00e9')).toBe(true)
  })
})
