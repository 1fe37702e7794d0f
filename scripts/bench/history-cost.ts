// Board history on a big board, through the real server and HTTP API: an
// owner draws 10,000 elements, a guest then makes 1,000 edits (adds, moves,
// deletes). Times the preview of the 10,000-element version, its diff against
// now, who-did-what, the revert of the guest (plan, then for real) and a
// restore; and what history stores per 1,000 edits (PostgreSQL: the log
// table's growth; always: the update bytes logged).
import pg from 'pg'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { round, summarize } from './lean-client.js'
import type { BenchServer } from './server-proc.js'

const ELEMENTS = 10_000
/** The guest's edits: 1,100 new markup elements, 200 moves, 100 deletes (1,000 of its elements stay for the revert). */
const CREATES = 1_100
const MOVES = 200
const EDITS = CREATES + MOVES + 100

async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`)
  return { body: text ? JSON.parse(text) : null, bytes: text.length }
}

function connect(url: string, boardId: string, token: string): Promise<{ doc: Y.Doc; provider: WebsocketProvider }> {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(url.replace(/^http/, 'ws') + '/collab', boardId, doc, {
    params: { token },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  return new Promise((resolve) => provider.once('sync', () => resolve({ doc, provider })))
}

async function until(check: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now()
  const value = await fn()
  return { ms: performance.now() - t, value }
}

/** `db`: the server's PostgreSQL database when it runs on one (storage is then measured in the database). */
export async function historyCost(server: BenchServer, db: string | null) {
  const base = server.url
  const email = `history-${Date.now()}@bench.io`
  const owner = (await call(base, 'POST', '/api/auth/register', undefined, { email, password: 'benchmark-pass-1', name: 'Owner' })).body
  const board = (await call(base, 'POST', '/api/boards', owner.token, { title: 'History bench' })).body.board
  const link = (await call(base, 'POST', `/api/boards/${board.id}/invites`, owner.token, { role: 'reviewer' })).body.invite
  const guest = (await call(base, 'POST', `/api/invites/${link.token}/join`, undefined, { name: 'Guest' })).body
  const o = await connect(base, board.id, owner.token)
  const shapes = o.doc.getMap<Y.Map<unknown>>('shapes')
  for (let i = 0; i < ELEMENTS; i += 500) {
    o.doc.transact(() => {
      for (let j = i; j < i + 500; j++) shapes.set(`e${j}`, new Y.Map(Object.entries({ type: 'rectangle', x: j, y: j, width: 100, height: 60, strokeColor: '#1e1e1e' })))
    })
  }
  // The guest's first sync holds only what the server stored: all of it, once it has 10,000 shapes.
  const g = await connect(base, board.id, guest.token)
  await until(() => g.doc.getMap('shapes').size === ELEMENTS)
  const version = (await call(base, 'POST', `/api/boards/${board.id}/versions`, owner.token, { name: 'big' })).body.version
  // The guest edits as a reviewer may: its own markup (adds, moves, deletes).
  const markup = g.doc.getMap<Y.Map<unknown>>('markup')
  const pgc = db ? new pg.Client({ connectionString: db }) : null
  await pgc?.connect()
  const logSize = async () => Number((await pgc!.query("SELECT pg_total_relation_size('doc_updates') AS n")).rows[0].n)
  const sizeBefore = pgc ? await logSize() : 0
  let sent = 0
  g.doc.on('update', (u: Uint8Array, origin: unknown) => {
    if (origin !== g.provider) sent += u.length
  })
  for (let i = 0; i < EDITS; i++) {
    if (i < CREATES) g.doc.transact(() => markup.set(`m${i}`, new Y.Map(Object.entries({ type: 'freedraw', x: i, y: i, points: [[0, 0], [5, 5], [10, 3]] }))))
    else if (i < CREATES + MOVES) g.doc.transact(() => markup.get(`m${i - CREATES}`)!.set('x', i * 2))
    else g.doc.transact(() => markup.delete(`m${i - CREATES - MOVES}`))
    if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1))
  }
  await until(() => o.doc.getMap('markup').size === g.doc.getMap('markup').size)
  await new Promise((r) => setTimeout(r, 500))
  const storedPer1000 = pgc ? Math.round((((await logSize()) - sizeBefore) * 1000) / EDITS) : null
  await pgc?.end()
  g.provider.destroy()

  const repeat = async (fn: () => Promise<unknown>, n = 5) => {
    const ms: number[] = []
    for (let i = 0; i < n; i++) ms.push((await timed(fn)).ms)
    return round(summarize(ms.sort((a, b) => a - b)).p50, 1)
  }
  const preview = await timed(() => call(base, 'GET', `/api/boards/${board.id}/versions/${version.id}`, owner.token))
  const previewMs = await repeat(() => call(base, 'GET', `/api/boards/${board.id}/versions/${version.id}`, owner.token))
  const diffMs = await repeat(() => call(base, 'GET', `/api/boards/${board.id}/versions/${version.id}/diff`, owner.token))
  const attributionMs = await repeat(() => call(base, 'GET', `/api/boards/${board.id}/history/attribution`, owner.token))
  const person = { kind: 'guest', id: guest.guest.id }
  const plan = await timed(() => call(base, 'POST', `/api/boards/${board.id}/history/revert`, owner.token, { person, dryRun: true }))
  const revert = await timed(() => call(base, 'POST', `/api/boards/${board.id}/history/revert`, owner.token, { person }))
  await until(() => o.doc.getMap('markup').size === 0)
  const restore = await timed(() => call(base, 'POST', `/api/boards/${board.id}/versions/${version.id}/restore`, owner.token))
  o.provider.destroy()
  return {
    scenario: 'history',
    elements: ELEMENTS,
    guestEdits: EDITS,
    previewMsFirst: round(preview.ms, 1),
    previewMsP50: previewMs,
    previewKB: round(preview.value.bytes / 1024, 0),
    diffMsP50: diffMs,
    attributionMsP50: attributionMs,
    revertPlanMs: round(plan.ms, 1),
    revertMs: round(revert.ms, 1),
    revertedElements: revert.value.body.removed.length + revert.value.body.recreated.length + revert.value.body.reset.length,
    restoreMs: round(restore.ms, 1),
    updateBytesPer1000Edits: Math.round((sent * 1000) / EDITS),
    logTableBytesPer1000Edits: storedPer1000,
    serverRssMB: round(server.rssBytes() / 1e6, 0),
  }
}
