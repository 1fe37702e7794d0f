// Fuzzing the WebSocket protocol and the JSON API with random and mutated
// inputs (fast-check): the process never crashes, answers stay in the
// contract, and other boards are never affected.
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { encodeAwarenessMessage, encodeAwarenessUpdate, encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate } from '../../shared/protocol.js'
import { registerUser } from './helpers/api.js'
import { providerClient, type ProviderClient, RawClient, waitFor } from './helpers/collab.js'
import { castBoard, type Cast } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'

let cast: Cast
let bystander: ProviderClient
let otherBoard: string

const suite = useServer({ WS_MAX_MESSAGE_BYTES: String(64 * 1024) })
const { api } = suite

beforeAll(async () => {
  cast = await castBoard(api)
  // Another board with content and a live client: it must never notice.
  const owner = await registerUser(api)
  otherBoard = (await api.post('/api/boards', { token: owner.token, body: { title: 'Bystander' } })).body.board.id
  bystander = suite.provider(otherBoard, owner.token)
  await bystander.synced()
  bystander.doc.getMap('shapes').set('safe', new Y.Map([['type', 'rect']]))
  await waitFor(() => suite.server.hub.room(otherBoard)?.doc.getMap('shapes').has('safe'))
})

/** Valid messages to start mutations from. */
function seeds(): Uint8Array[] {
  const d = new Y.Doc()
  const updates: Uint8Array[] = []
  d.on('update', (u: Uint8Array) => updates.push(u))
  const m = new Y.Map<unknown>()
  d.getMap('shapes').set('s', m)
  m.set('text', new Y.Text('hello'))
  d.getMap('markup').set('k', 1)
  d.getMap('shapes').delete('s')
  return [
    ...updates.map(encodeSyncUpdate),
    encodeSyncStep2(Y.encodeStateAsUpdate(d)),
    encodeSyncStep1(Y.encodeStateVector(d)),
    encodeAwarenessMessage(encodeAwarenessUpdate([{ clientId: 5, clock: 1, state: '{"cursor":{"x":1}}' }])),
    new Uint8Array([3]),
  ]
}

const mutated = fc
  .tuple(fc.constantFrom(...seeds()), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), { minLength: 1, maxLength: 6 }))
  .map(([seed, edits]) => {
    let bytes = Array.from(seed)
    for (const [pos, value, kind] of edits) {
      const i = bytes.length === 0 ? 0 : pos % bytes.length
      if (kind === 'flip') bytes[i] = value
      else if (kind === 'cut') bytes = bytes.slice(0, i)
      else bytes.splice(i, 0, value)
    }
    return new Uint8Array(bytes)
  })
const frames = fc.array(fc.oneof(mutated, fc.uint8Array({ maxLength: 200 })), { minLength: 1, maxLength: 8 })

describe('WebSocket protocol fuzzing', () => {
  it('never crashes, closes only with contract codes, and never touches another board', async () => {
    const tokens = [cast.memberEditor.token, cast.guestReviewer.token, cast.memberReader.token]
    await fc.assert(
      fc.asyncProperty(frames, fc.nat(2), async (messages, who) => {
        const raw = await RawClient.connect(suite.server.url, cast.boardId, tokens[who]!)
        await raw.until(() => raw.messages.length > 0)
        for (const m of messages) raw.send(m)
        raw.sendStep1()
        // Either the server answers the step 1 or it closed the socket.
        await raw.until(() => raw.closeCode !== null || raw.syncPayloads().length > 0, 5000)
        if (raw.closeCode !== null) expect([4422, 4413, 4429, 1002, 1007]).toContain(raw.closeCode)
        raw.close()
      }),
      { numRuns: 150 },
    )
    expect((await fetch(`${suite.server.url}/healthz`)).status).toBe(200)
    expect(bystander.closes).toEqual([])
    expect((suite.server.hub.room(otherBoard)?.doc.getMap('shapes').get('safe') as Y.Map<unknown>).get('type')).toBe('rect')
    expect(suite.server.hub.room(otherBoard)?.doc.store.pendingStructs).toBeNull()
    // The fuzzed board still works for honest clients.
    const ok = providerClient(suite.server.url, cast.boardId, cast.owner.token)
    await ok.synced()
    ok.doc.getMap('meta').set('after-fuzz', true)
    await waitFor(() => suite.server.hub.room(cast.boardId)?.doc.getMap('meta').get('after-fuzz') === true)
    ok.destroy()
  }, 120_000)
})

describe('JSON API fuzzing', () => {
  const json = fc.jsonValue({ maxDepth: 3 })
  const endpoints = () => [
    ['POST', '/api/auth/register', null],
    ['POST', '/api/auth/login', null],
    ['POST', '/api/boards', cast.owner.token],
    ['PATCH', `/api/boards/${cast.boardId}`, cast.owner.token],
    ['POST', `/api/boards/${cast.boardId}/invites`, cast.owner.token],
    ['POST', `/api/boards/${cast.boardId}/comments`, cast.guestReviewer.token],
    ['PATCH', `/api/boards/${cast.boardId}/participants/guest/${cast.guestReader.id}`, cast.owner.token],
    ['POST', '/api/notifications/read', cast.owner.token],
    ['POST', '/api/boards/import', cast.owner.token],
    ['POST', '/api/invites/nope/join', null],
  ] as const

  it('answers random and mutated bodies with the contract error format, never a 500', async () => {
    const mutate = (s: string, pos: number, ch: string) => s.slice(0, pos % (s.length + 1)) + ch + s.slice((pos % (s.length + 1)) + 1)
    await fc.assert(
      fc.asyncProperty(fc.nat(9), json, fc.nat(), fc.string({ maxLength: 3 }), fc.boolean(), async (which, value, pos, ch, garble) => {
        const [method, path, token] = endpoints()[which]!
        const text = JSON.stringify(value)
        const res = await api.call(method, path, { token, rawBody: garble ? mutate(text, pos, ch) : text })
        expect(res.status, `${method} ${path} ${text}`).toBeLessThan(500)
        if (res.status >= 400) {
          expect(typeof res.body.error.code).toBe('string')
          expect(typeof res.body.error.message).toBe('string')
        }
      }),
      { numRuns: 300 },
    )
    expect((await fetch(`${suite.server.url}/healthz`)).status).toBe(200)
    expect(bystander.closes).toEqual([])
  }, 120_000)
})
