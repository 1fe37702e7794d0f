// Comments that come with an imported board (issue 14): checked like new
// ones, authored by the importer (the file's author name kept as display text
// only), no mentions, nobody outside the board notified, and a bad file
// refused whole before anything is written.
import { count } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { boards, comments, notifications } from '../src/store/schema.js'
import { registerUser } from './helpers/api.js'
import { castBoard } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'

const suite = useServer()
const { api } = suite

const comment = (over: Record<string, unknown> = {}) => ({
  author: { kind: 'user', id: 'someone', name: 'Alice', guest: false },
  body: 'hello',
  mentions: [],
  createdAt: '2024-05-01T10:00:00.000Z',
  ...over,
})
const thread = (over: Record<string, unknown> = {}, replies: unknown[] = []) => ({ ...comment(), anchor: { x: 1, y: 2 }, resolved: false, replies, ...over })
const file = (threads: unknown[]) => ({
  format: 'drawbridge.board',
  version: 1,
  exportedAt: '2024-05-02T10:00:00.000Z',
  board: { title: 'Imported' },
  document: { shapes: {}, markup: {}, meta: {} },
  comments: threads,
})
const importFile = (token: string, body: unknown) => api.post('/api/boards/import', { token, body })
const inbox = async (token: string) => (await api.get('/api/notifications', { token })).body.notifications as any[]

async function rowCounts() {
  const db = suite.server.store.db
  const [b] = await db.select({ n: count() }).from(boards)
  const [c] = await db.select({ n: count() }).from(comments)
  const [n] = await db.select({ n: count() }).from(notifications)
  return { boards: b!.n, comments: c!.n, notifications: n!.n }
}

/** The import must answer 400 invalid_request naming `field`, and write nothing. */
async function expectRefused(token: string, body: unknown, field: string) {
  const before = await rowCounts()
  const res = await importFile(token, body)
  expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(400)
  expect(res.body.error.code).toBe('invalid_request')
  expect(res.body.error.message).toContain(field)
  expect(await rowCounts()).toEqual(before)
}

describe('imported comments', () => {
  it('are authored by the importer; the claimed author survives only as importedAuthor text', async () => {
    const victim = await registerUser(api, 'Victoria Victim')
    const attacker = await registerUser(api, 'Mallory')
    const claimed = { kind: 'user', id: victim.user.id, name: 'Victoria Victim', guest: false }
    const res = await importFile(attacker.token, file([thread({ author: claimed }, [comment({ author: { kind: 'guest', id: 'g', name: 'Gus', guest: true } })])]))
    expect(res.status).toBe(201)
    const [t] = (await api.get(`/api/boards/${res.body.board.id}/comments`, { token: attacker.token })).body.threads
    const me = { kind: 'user', id: attacker.user.id, name: 'Mallory', guest: false }
    expect(t).toMatchObject({ author: me, importedAuthor: 'Victoria Victim', body: 'hello', createdAt: '2024-05-01T10:00:00.000Z', anchor: { x: 1, y: 2 } })
    expect(t.replies[0]).toMatchObject({ author: me, importedAuthor: 'Gus' })
    // New comments carry no importedAuthor; exporting and re-importing keeps the original name.
    const fresh = await api.post(`/api/boards/${res.body.board.id}/comments`, { token: attacker.token, body: { anchor: { x: 0, y: 0 }, body: 'mine' } })
    expect(fresh.body.thread).not.toHaveProperty('importedAuthor')
    const exported = (await api.get(`/api/boards/${res.body.board.id}/export?format=json`, { token: attacker.token })).body
    const again = await importFile(victim.token, exported)
    expect(again.status).toBe(201)
    const threads = (await api.get(`/api/boards/${again.body.board.id}/comments`, { token: victim.token })).body.threads
    expect(threads.map((x: any) => [x.author.id, x.importedAuthor])).toEqual([
      [victim.user.id, 'Victoria Victim'],
      [victim.user.id, 'Mallory'],
    ])
  })

  it('a reply to an imported thread notifies nobody outside the board', async () => {
    const victim = await registerUser(api, 'Victoria Victim')
    const attacker = await registerUser(api, 'Mallory')
    const claimed = { kind: 'user', id: victim.user.id, name: 'Victoria Victim', guest: false }
    const res = await importFile(attacker.token, file([thread({ author: claimed, body: 'Your account is locked, visit evil.example' })]))
    expect(res.status).toBe(201)
    const [t] = (await api.get(`/api/boards/${res.body.board.id}/comments`, { token: attacker.token })).body.threads
    const reply = await api.post(`/api/boards/${res.body.board.id}/comments/${t.id}/replies`, { token: attacker.token, body: { body: 'Urgent: log in at evil.example' } })
    expect(reply.status).toBe(201)
    expect(await inbox(victim.token)).toEqual([])
  })

  it('a reply to a thread whose file author id is no user answers 201, not 500', async () => {
    const attacker = await registerUser(api, 'Mallory')
    const res = await importFile(attacker.token, file([thread({ author: { kind: 'user', id: 'no-such-user', name: 'Ghost', guest: false } })]))
    expect(res.status).toBe(201)
    const [t] = (await api.get(`/api/boards/${res.body.board.id}/comments`, { token: attacker.token })).body.threads
    const reply = await api.post(`/api/boards/${res.body.board.id}/comments/${t.id}/replies`, { token: attacker.token, body: { body: 'hi' } })
    expect(reply.status).toBe(201)
    const after = (await api.get(`/api/boards/${res.body.board.id}/comments`, { token: attacker.token })).body.threads
    expect(after[0].replies).toHaveLength(1)
  })

  it('carry no mentions, whatever the file lists', async () => {
    const victim = await registerUser(api, 'Victoria Victim')
    const attacker = await registerUser(api, 'Mallory')
    const body = `ping @[Victoria](user:${victim.user.id})`
    const res = await importFile(attacker.token, file([thread({ body, mentions: [victim.user.id] }, [comment({ body, mentions: [victim.user.id] })])]))
    expect(res.status).toBe(201)
    const [t] = (await api.get(`/api/boards/${res.body.board.id}/comments`, { token: attacker.token })).body.threads
    expect(t.body).toBe(body)
    expect(t.mentions).toEqual([])
    expect(t.replies[0].mentions).toEqual([])
    await api.post(`/api/boards/${res.body.board.id}/comments/${t.id}/replies`, { token: attacker.token, body: { body: 'again' } })
    expect(await inbox(victim.token)).toEqual([])
  })
})

describe('a bad import file is refused whole, with nothing written', () => {
  it('refuses a createdAt that is not a time, or not a plausible one', async () => {
    const { token } = await registerUser(api, 'Importer')
    for (const createdAt of ['not a date', '2024-13-01T00:00:00Z', '2024-05-01', '0001-01-01T00:00:00Z', '2999-01-01T00:00:00Z']) {
      // A good first thread: the bad second one must stop the whole file.
      await expectRefused(token, file([thread(), thread({ createdAt })]), 'comments[1].createdAt')
      await expectRefused(token, file([thread({}, [comment({ createdAt })])]), 'comments[0].replies[0].createdAt')
    }
  })

  it('refuses author names that are huge, carry control, invisible or bidi characters, or imitate a badge', async () => {
    const { token } = await registerUser(api, 'Importer')
    const name = (n: string) => ({ kind: 'user', id: 'x', name: n, guest: false })
    await expectRefused(token, file([thread({ author: name('A'.repeat(200_000)) })]), 'author')
    for (const bad of ['Al\u0007ice', 'Al\u3164ice', 'Al\u202eice', 'Alice GUEST', '', 'x'.repeat(65)]) {
      await expectRefused(token, file([thread(), thread({}, [comment({ author: name(bad) })])]), 'comments[1].replies[0].author.name')
    }
    await expectRefused(token, file([thread({ importedAuthor: 'Al\u200bice' })]), 'comments[0].importedAuthor')
  })

  it('refuses bodies the comment routes refuse', async () => {
    const { token } = await registerUser(api, 'Importer')
    for (const body of ['', '   ', 'bell\u0007', 'x'.repeat(10_001), 'see \u202ethis', 'a\u2800', '\u3164']) {
      await expectRefused(token, file([thread(), thread({ body })]), 'comments[1].body')
      await expectRefused(token, file([thread({}, [comment({ body })])]), 'comments[0].replies[0].body')
    }
  })

  it('refuses unknown anchor shapes', async () => {
    const { token } = await registerUser(api, 'Importer')
    for (const anchor of [{ x: 1, y: 2, shapeId: 's' }, { x: 1, y: 2, html: '<b>' }, { shapeId: '' }, { shapeId: 'x'.repeat(129) }, { x: 1 }, {}, null, 'here']) {
      await expectRefused(token, file([thread(), thread({ anchor })]), 'comments')
    }
  })

  it('refuses too many threads, replies or comments in all', async () => {
    const { token } = await registerUser(api, 'Importer')
    const tiny = { author: { kind: 'user', id: 'x', name: 'A', guest: false }, body: 'b', mentions: [], createdAt: '2024-05-01T10:00:00Z' }
    const tinyThread = (replies: unknown[] = []) => ({ ...tiny, anchor: { x: 0, y: 0 }, replies })
    await expectRefused(token, file(Array.from({ length: 5_001 }, () => tinyThread())), 'comments')
    await expectRefused(token, file([tinyThread(Array.from({ length: 1_001 }, () => tiny))]), 'replies')
    const full = Array.from({ length: 1_000 }, () => tiny)
    await expectRefused(token, file(Array.from({ length: 20 }, () => tinyThread(full))), 'at most 20000 comments')
    // At the caps it is accepted.
    const ok = await importFile(token, file([...Array.from({ length: 19 }, () => tinyThread(full)), tinyThread(full.slice(0, 980))]))
    expect(ok.status).toBe(201)
  })
})

describe('reply notifications', () => {
  it('go to writers of the thread who are still members, not to removed ones', async () => {
    const cast = await castBoard(api)
    const base = `/api/boards/${cast.boardId}/comments`
    const t = (await api.post(base, { token: cast.memberEditor.token, body: { anchor: { x: 0, y: 0 }, body: 'first' } })).body.thread
    await api.post(`${base}/${t.id}/replies`, { token: cast.memberReviewer.token, body: { body: 'second' } })
    expect((await api.del(`/api/boards/${cast.boardId}/participants/user/${cast.memberReviewer.id}`, { token: cast.owner.token })).status).toBe(204)
    const before = (await inbox(cast.memberReviewer.token)).length
    expect((await api.post(`${base}/${t.id}/replies`, { token: cast.owner.token, body: { body: 'third' } })).status).toBe(201)
    expect((await inbox(cast.memberEditor.token)).map((n) => n.data.excerpt)).toContain('third')
    expect(await inbox(cast.memberReviewer.token)).toHaveLength(before)
  })
})
