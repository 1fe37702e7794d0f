// Tries a running Drawbridge with the unmodified y-websocket client, as a new
// user would:  node scripts/examples/stock-client.mjs [http://localhost:3000]
// An editor edits, a reader is refused (4422), a reviewer adds and changes
// only its own markup.
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const base = process.argv[2] ?? 'http://localhost:3000'
const api = async (method, path, body, token) => {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  return res.json()
}
const connect = (boardId, token) => {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(base.replace(/^http/, 'ws') + '/collab', boardId, doc, {
    params: { token },
    WebSocketPolyfill: WebSocket,
    disableBc: true,
  })
  const closed = new Promise((resolve) => provider.on('connection-close', (e) => e && resolve(e.code)))
  const synced = new Promise((resolve) => provider.once('sync', resolve))
  return { doc, provider, closed, synced }
}
const wait = (ms) => new Promise((r) => setTimeout(r, ms))

const owner = await api('POST', '/api/auth/register', { email: `owner${Date.now()}@example.com`, password: 'correct horse', name: 'Owner' })
const { board } = await api('POST', '/api/boards', { title: 'Stock client demo' }, owner.token)
const link = async (role) => (await api('POST', `/api/boards/${board.id}/invites`, { role }, owner.token)).invite.token
const guest = async (role, name) => (await api('POST', `/api/invites/${await link(role)}/join`, { name })).token

const editor = connect(board.id, owner.token)
const reviewer = connect(board.id, await guest('reviewer', 'Rae'))
const reader = connect(board.id, await guest('reader', 'Reid'))
await Promise.all([editor.synced, reviewer.synced, reader.synced])

const shape = new Y.Map([['type', 'rect'], ['x', 10]])
editor.doc.getMap('shapes').set('rect-1', shape)
await wait(300)
console.log('editor added a shape; the reader sees:', reader.doc.getMap('shapes').toJSON())

const note = new Y.Map([['kind', 'sticky'], ['text', 'Looks good']])
reviewer.doc.getMap('markup').set('note-1', note)
note.set('text', 'Looks great')
await wait(300)
console.log("reviewer's own markup, as the editor sees it:", editor.doc.getMap('markup').toJSON())

reviewer.doc.getMap('shapes').get('rect-1').set('x', 999)
console.log("reviewer changing the editor's shape → closed with", await reviewer.closed)

reader.doc.getMap('shapes').set('sneaky', new Y.Map())
console.log('reader writing → closed with', await reader.closed)
await wait(200)
console.log('the board is unchanged:', JSON.stringify(editor.doc.getMap('shapes').toJSON()))
for (const c of [editor, reviewer, reader]) c.provider.destroy()
process.exit(0)
