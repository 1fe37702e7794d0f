// Dot votes and private notes against a real server and modified clients:
// each person's vote count is enforced by the server (also when they race),
// ballots cannot be forged through the document, results stay hidden until
// the end; private notes reach nobody but their author (not through the
// document, not through the API) until a facilitator reveals them, then
// appear attributed to whoever wrote them.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SocketEvent } from '../../shared/events.js'
import { RawClient, waitFor } from './helpers/collab.js'
import { type Actor, castBoard } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'

const suite = useServer()
const { api } = suite

describe('dot voting', () => {
  it('enforces each person\'s votes, hides results until the end, then reveals them (named)', async () => {
    const cast = await castBoard(api)
    const watcher = await suite.events(cast.guestReader.token, cast.boardId)
    const open = (by: Actor, body: object) => api.post(`/api/boards/${cast.boardId}/votes`, { token: by.token, body })
    expect((await open(cast.memberReviewer, { votesPerPerson: 3, durationMs: 60_000 })).status).toBe(403)
    expect((await open(cast.owner, { votesPerPerson: 0, durationMs: 60_000 })).status).toBe(400)
    expect((await open(cast.owner, { votesPerPerson: 3, durationMs: 1 })).status).toBe(400)
    const started = await open(cast.memberEditor, { title: 'Which idea?', votesPerPerson: 2, anonymous: false, durationMs: 60_000 })
    expect(started.status).toBe(201)
    const vote = started.body.vote
    expect(vote).toMatchObject({ title: 'Which idea?', votesPerPerson: 2, anonymous: false, closed: false, by: { name: 'Eve Editor' } })
    expect((await watcher.next(SocketEvent.voteUpdated)).vote.id).toBe(vote.id)
    expect((await open(cast.owner, { votesPerPerson: 1, durationMs: 60_000 })).status).toBe(409)
    const cast1 = (by: Actor, elementId: string) => api.post(`/api/boards/${cast.boardId}/votes/${vote.id}/ballots`, { token: by.token, body: { elementId } })
    expect((await cast1(cast.guestReader, 'a')).status).toBe(403)
    expect((await cast1(cast.stranger, 'a')).status).toBe(403)
    const first = await cast1(cast.guestReviewer, 'a')
    expect(first.body).toMatchObject({ mine: { a: 1 }, remaining: 1, results: null })
    expect((await cast1(cast.guestReviewer, 'a')).body.remaining).toBe(0)
    const over = await cast1(cast.guestReviewer, 'b')
    expect(over.status).toBe(409)
    expect(over.body.error.message).toBe('You have used all 2 of your votes')
    // Racing its own limit: ten at once, two land.
    const racing = await Promise.all(Array.from({ length: 10 }, () => cast1(cast.memberReviewer, 'b')))
    expect(racing.filter((r) => r.status === 200)).toHaveLength(2)
    // Taking one back frees it.
    expect((await api.del(`/api/boards/${cast.boardId}/votes/${vote.id}/ballots/b`, { token: cast.memberReviewer.token })).body.remaining).toBe(1)
    expect((await cast1(cast.memberReviewer, 'c')).status).toBe(200)
    // While it runs nobody sees what others voted for, only how many ballots there are.
    const during = (await api.get(`/api/boards/${cast.boardId}/votes/current`, { token: cast.owner.token })).body
    expect(during).toMatchObject({ results: null, mine: {}, remaining: 2, vote: { ballots: 4 } })
    expect((await api.post(`/api/boards/${cast.boardId}/votes/${vote.id}/end`, { token: cast.guestReviewer.token })).status).toBe(403)
    const ended = await api.post(`/api/boards/${cast.boardId}/votes/${vote.id}/end`, { token: cast.owner.token })
    expect(ended.body.vote.closed).toBe(true)
    expect(ended.body.results).toEqual([
      { elementId: 'a', votes: 2, voters: [{ kind: 'guest', id: cast.guestReviewer.id, name: 'Gwen Guest-Reviewer', guest: true }] },
      { elementId: 'b', votes: 1, voters: [{ kind: 'user', id: cast.memberReviewer.id, name: 'Rita Reviewer', guest: false }] },
      { elementId: 'c', votes: 1, voters: [{ kind: 'user', id: cast.memberReviewer.id, name: 'Rita Reviewer', guest: false }] },
    ])
    expect((await watcher.next(SocketEvent.voteUpdated, (p) => p.results !== null)).results).toHaveLength(3)
    expect((await cast1(cast.guestReviewer, 'a')).status).toBe(409)
  })

  it('an anonymous vote ends by itself at its time and reveals counts only', async () => {
    const cast = await castBoard(api)
    const watcher = await suite.events(cast.owner.token, cast.boardId)
    const vote = (await api.post(`/api/boards/${cast.boardId}/votes`, { token: cast.owner.token, body: { votesPerPerson: 1, durationMs: 5_000 } })).body.vote
    expect(vote.anonymous).toBe(true)
    await api.post(`/api/boards/${cast.boardId}/votes/${vote.id}/ballots`, { token: cast.guestEditor.token, body: { elementId: 'x' } })
    const end = await watcher.next(SocketEvent.voteUpdated, (p) => p.results !== null, 10_000)
    expect(end.results).toEqual([{ elementId: 'x', votes: 1 }])
    expect((await api.get(`/api/boards/${cast.boardId}/votes/current`, { token: cast.guestReader.token })).body.results).toEqual([{ elementId: 'x', votes: 1 }])
  })

  it('the document has nowhere to forge ballots: a ballot root is refused', async () => {
    const cast = await castBoard(api)
    const c = suite.track(await RawClient.connect(suite.server.url, cast.boardId, cast.guestEditor.token))
    const doc = new Y.Doc()
    doc.getMap('votes').set('x', 99)
    c.sendUpdate(Y.encodeStateAsUpdate(doc))
    expect(await c.waitClose()).toBe(4422)
  })
})

describe('private notes', () => {
  const note = (id: string, text: string) => ({ id, type: 'rectangle', x: 10, y: 10, width: 100, height: 80, text })

  it('stay with their author until revealed, then appear on the board as theirs', async () => {
    const cast = await castBoard(api)
    const add = (by: Actor, element: object) => api.post(`/api/boards/${cast.boardId}/private-notes`, { token: by.token, body: { element } })
    // Off: notes go on the board as usual.
    expect((await add(cast.guestReviewer, note('n0', 'x'))).status).toBe(409)
    expect((await api.post(`/api/boards/${cast.boardId}/private-notes/mode`, { token: cast.guestReviewer.token, body: { on: true } })).status).toBe(403)
    expect((await api.post(`/api/boards/${cast.boardId}/private-notes/mode`, { token: cast.memberEditor.token, body: { on: true } })).status).toBe(204)
    expect((await api.get(`/api/boards/${cast.boardId}`, { token: cast.guestReader.token })).body.board.privateNotes).toBe(true)
    expect((await add(cast.guestReviewer, note('gwen-1', 'my secret idea'))).status).toBe(201)
    expect((await add(cast.memberEditor, note('eve-1', 'eve idea'))).status).toBe(201)
    expect((await add(cast.guestReader, note('r', 'reader'))).status).toBe(403)
    expect((await add(cast.guestReviewer, { id: 'bad id!', type: 'rectangle' })).status).toBe(400)
    expect((await add(cast.guestReviewer, { id: 'big', type: 'rectangle', text: 'x'.repeat(70_000) })).status).toBe(400)
    // Nobody else can read them: not the API, not the document, not the owner.
    const ownerView = (await api.get(`/api/boards/${cast.boardId}/private-notes`, { token: cast.owner.token })).body
    expect(ownerView).toEqual({ notes: [], others: 2 })
    const gwenView = (await api.get(`/api/boards/${cast.boardId}/private-notes`, { token: cast.guestReviewer.token })).body
    expect(gwenView.notes.map((n: any) => n.element.text)).toEqual(['my secret idea'])
    const reader = suite.track(await RawClient.connect(suite.server.url, cast.boardId, cast.guestReader.token))
    await reader.syncWithServer()
    expect(JSON.stringify(reader.docFromServer().toJSON())).not.toContain('secret')
    // Someone else's note cannot be changed or deleted (it is "not found" to them).
    const gwenNote = gwenView.notes[0].id
    expect((await api.del(`/api/boards/${cast.boardId}/private-notes/${gwenNote}`, { token: cast.owner.token })).status).toBe(404)
    expect((await api.patch(`/api/boards/${cast.boardId}/private-notes/${gwenNote}`, { token: cast.memberEditor.token, body: { element: note('gwen-1', 'hacked') } })).status).toBe(404)
    expect((await api.patch(`/api/boards/${cast.boardId}/private-notes/${gwenNote}`, { token: cast.guestReviewer.token, body: { element: note('gwen-1', 'my better idea') } })).status).toBe(200)
    // Reveal: on the board, each as its author (a reviewer's in markup), private mode off.
    const watcher = await suite.events(cast.guestReader.token, cast.boardId)
    expect((await api.post(`/api/boards/${cast.boardId}/private-notes/reveal`, { token: cast.guestReviewer.token })).status).toBe(403)
    const revealed = await api.post(`/api/boards/${cast.boardId}/private-notes/reveal`, { token: cast.owner.token })
    expect(revealed.body).toEqual({ revealed: 2, kept: 0 })
    expect((await watcher.next(SocketEvent.notesRevealed)).notes).toBe(2)
    const live = suite.provider(cast.boardId, cast.guestReader.token)
    await live.synced()
    await waitFor(() => live.doc.getMap('markup').has('gwen-1') && live.doc.getMap('shapes').has('eve-1'), 5000, 'revealed notes')
    const gwen = (live.doc.getMap('markup').get('gwen-1') as Y.Map<unknown>).toJSON()
    expect(gwen).toMatchObject({ text: 'my better idea', author: { kind: 'guest', id: cast.guestReviewer.id, name: 'Gwen Guest-Reviewer' } })
    // Written with Gwen's own client id: she may change her revealed note like any of her markup.
    const who = (await api.get(`/api/boards/${cast.boardId}/history/attribution`, { token: cast.owner.token })).body.elements
    expect(who['gwen-1'].createdBy).toMatchObject({ kind: 'guest', id: cast.guestReviewer.id })
    expect((await api.get(`/api/boards/${cast.boardId}`, { token: cast.owner.token })).body.board.privateNotes).toBe(false)
    expect((await api.get(`/api/boards/${cast.boardId}/private-notes`, { token: cast.guestReviewer.token })).body.notes).toEqual([])
  })
})
