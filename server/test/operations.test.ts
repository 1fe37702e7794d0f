// Operating Drawbridge: metrics, logs without tokens, export/import, the
// global guest switch, security headers, CORS, connection caps, slow clients.
import { rm } from 'node:fs/promises'
import { connect as tcpConnect } from 'node:net'
import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { loadConfig } from '../src/config.js'
import { REDACT_PATHS } from '../src/logger.js'
import { startDrawbridge } from '../src/server.js'
import { apiClient, registerUser } from './helpers/api.js'
import { providerClient, RawClient, waitFor } from './helpers/collab.js'
import { freshDataDir } from './helpers/data-dir.js'
import { castBoard, createBoard, createInvite, joinAsGuest } from './helpers/fixtures.js'
import { startServer, TEST_ADMIN_TOKEN } from './helpers/server.js'
import { useServer } from './helpers/suite.js'
import { connectError, eventSocket } from './helpers/sockets.js'


const suite = useServer({ METRICS_TOKEN: 'metrics-secret-token', CORS_ORIGINS: 'https://allowed.example' })
const { api } = suite

const metric = (text: string, name: string, labels = '') => {
  const line = text.split('\n').find((l) => l.startsWith(name + (labels ? `{${labels}}` : '')) && !l.startsWith('#'))
  return line ? Number(line.split(' ').pop()) : undefined
}

describe('metrics', () => {
  it('are protected by METRICS_TOKEN and report collaboration, sweeper and HTTP figures', async () => {
    expect((await fetch(`${suite.server.url}/metrics`)).status).toBe(401)
    const cast = await castBoard(api)
    const c = suite.provider(cast.boardId, cast.memberEditor.token)
    await c.synced()
    c.doc.getMap('shapes').set('m', new Y.Map())
    const reader = suite.provider(cast.boardId, cast.guestReader.token)
    await reader.synced()
    reader.doc.getMap('shapes').set('no', 1)
    await reader.closed()
    await waitFor(() => suite.server.hub.connectionCount === 1)
    await suite.server.sweeper.sweep()
    const res = await fetch(`${suite.server.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret-token' } })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(metric(text, 'drawbridge_collab_connections')).toBe(1)
    expect(metric(text, 'drawbridge_rooms_open')).toBeGreaterThanOrEqual(1)
    expect(metric(text, 'drawbridge_updates_total', 'result="accepted"')).toBeGreaterThanOrEqual(1)
    expect(metric(text, 'drawbridge_updates_refused_total', 'reason="read_only"')).toBe(1)
    expect(metric(text, 'drawbridge_presence_messages_total')).toBeGreaterThanOrEqual(0)
    for (const name of [
      'drawbridge_log_batch_size_count',
      'drawbridge_log_lag_seconds_count',
      'drawbridge_log_commit_seconds_count',
      'drawbridge_compactions_total',
      'drawbridge_sweeper_deleted_total',
      'drawbridge_sweeper_warnings_total',
      'nodejs_eventloop_lag_seconds',
      'process_resident_memory_bytes',
      'drawbridge_socketio_connections',
    ]) {
      expect(text, name).toContain(name)
    }
    expect(text).toMatch(/drawbridge_http_request_duration_seconds_bucket\{[^}]*route="\/api\/boards\/:id\/invites"/)
    c.destroy()
    reader.destroy()
  })
})

describe('logs', () => {
  it('never contain tokens, even from query strings, and carry request and board ids', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString())
        cb()
      },
    })
    // From the run's template: a DATA_DIR of its own with no cluster made initdb run (18 s of the suite).
    const dataDir = await freshDataDir('drawbridge-oplogs-')
    const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'debug', SERVE_WEB: 'false', ADMIN_TOKEN: TEST_ADMIN_TOKEN })
    const logger = pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink)
    const running = await startDrawbridge(config, logger)
    try {
      const a = apiClient(running.url)
      const owner = await registerUser(a)
      const board = await createBoard(a, owner.token)
      await a.get(`/api/boards/${board.id}?token=${owner.token}`, { token: owner.token, headers: { 'x-request-id': 'req-from-lb' } })
      const raw = await RawClient.connect(running.url, board.id, owner.token)
      raw.close()
      const bad = await RawClient.connect(running.url, 'no-such-board', owner.token)
      await bad.waitClose()
      await new Promise((r) => setTimeout(r, 200))
      const all = lines.join('')
      expect(all.length).toBeGreaterThan(0)
      expect(all).not.toContain(owner.token)
      expect(all).not.toContain(owner.token.split('.')[2]!)
      const entry = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request' && l.url?.includes(board.id))
      expect(entry).toMatchObject({ reqId: 'req-from-lb', boardId: board.id })
      expect(entry.url).toContain('token=[redacted]')
    } finally {
      await running.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('export and import', () => {
  async function richBoard() {
    const cast = await castBoard(api)
    const c = providerClient(suite.server.url, cast.boardId, cast.owner.token)
    await c.synced()
    c.doc.transact(() => {
      const s = new Y.Map<unknown>()
      c.doc.getMap('shapes').set('rect-1', s)
      s.set('type', 'rect')
      s.set('x', 10.5)
      s.set('points', [1, 2, 3])
      s.set('style', { fill: '#fff', stroke: null })
      c.doc.getMap('markup').set('note-1', new Y.Map<unknown>([['text', 'Ünïcödé ✓'], ['done', false]]))
      c.doc.getMap('meta').set('background', 'dots')
    })
    await waitFor(() => suite.server.hub.room(cast.boardId)?.doc.getMap('meta').get('background') === 'dots')
    const t = (await api.post(`/api/boards/${cast.boardId}/comments`, { token: cast.guestReviewer.token, body: { anchor: { shapeId: 'rect-1' }, body: 'Nice <b>' } })).body.thread
    await api.post(`/api/boards/${cast.boardId}/comments/${t.id}/replies`, { token: cast.owner.token, body: { body: 'Thanks' } })
    await api.patch(`/api/boards/${cast.boardId}/comments/${t.id}`, { token: cast.owner.token, body: { resolved: true } })
    c.destroy()
    return cast
  }
  const strip = (threads: any[]) => threads.map(({ id: _i, replies, ...t }) => ({ ...t, replies: replies.map(({ id: _r, ...r }: any) => r) }))

  it('round-trips JSON losslessly (document and comments)', async () => {
    const cast = await richBoard()
    const first = await api.get(`/api/boards/${cast.boardId}/export?format=json`, { token: cast.memberEditor.token })
    expect(first.status).toBe(200)
    expect(first.headers.get('content-disposition')).toContain('Cast%20board.json')
    expect(first.body).toMatchObject({ format: 'drawbridge.board', version: 1, board: { title: 'Cast board' } })
    expect(first.body.document.shapes['rect-1']).toEqual({ type: 'rect', x: 10.5, points: [1, 2, 3], style: { fill: '#fff', stroke: null } })
    const imported = await api.post('/api/boards/import', { token: cast.memberEditor.token, body: first.body })
    expect(imported.status).toBe(201)
    expect(imported.body.board).toMatchObject({ title: 'Cast board', ownerId: cast.memberEditor.id })
    const second = await api.get(`/api/boards/${imported.body.board.id}/export?format=json`, { token: cast.memberEditor.token })
    expect(second.body.document).toEqual(first.body.document)
    // Comments come back authored by the importer, the original author kept as text.
    const importer = { kind: 'user', id: cast.memberEditor.id, name: cast.memberEditor.name, guest: false }
    const restamp = (c: any) => ({ ...c, author: importer, importedAuthor: c.author.name })
    expect(strip(second.body.comments)).toEqual(strip(first.body.comments.map((t: any) => ({ ...restamp(t), replies: t.replies.map(restamp) }))))
  })

  it('round-trips the binary Yjs state losslessly', async () => {
    const cast = await richBoard()
    const res = await fetch(`${suite.server.url}/api/boards/${cast.boardId}/export?format=yjs`, { headers: { authorization: `Bearer ${cast.owner.token}` } })
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    const bytes = new Uint8Array(await res.arrayBuffer())
    const imp = await fetch(`${suite.server.url}/api/boards/import?title=Binary%20copy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cast.owner.token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from(bytes),
    })
    expect(imp.status).toBe(201)
    const board = ((await imp.json()) as any).board
    expect(board.title).toBe('Binary copy')
    const again = new Uint8Array(await (await fetch(`${suite.server.url}/api/boards/${board.id}/export?format=yjs`, { headers: { authorization: `Bearer ${cast.owner.token}` } })).arrayBuffer())
    const a = new Y.Doc()
    const b = new Y.Doc()
    Y.applyUpdate(a, bytes)
    Y.applyUpdate(b, again)
    expect(Y.encodeStateVector(b)).toEqual(Y.encodeStateVector(a))
    for (const root of ['shapes', 'markup', 'meta']) expect(b.getMap(root).toJSON()).toEqual(a.getMap(root).toJSON())
    // The importer owns the imported client ids: it can keep editing.
    const c = providerClient(suite.server.url, board.id, cast.owner.token)
    await c.synced()
    ;(c.doc.getMap('shapes').get('rect-1') as Y.Map<unknown>).set('x', 1)
    await waitFor(() => (suite.server.hub.room(board.id)?.doc.getMap('shapes').get('rect-1') as Y.Map<unknown>)?.get('x') === 1)
    c.destroy()
  })

  it('checks who may export and import, and what', async () => {
    const cast = await castBoard(api)
    for (const who of [cast.memberReviewer, cast.guestEditor, cast.stranger]) {
      expect((await api.get(`/api/boards/${cast.boardId}/export`, { token: who.token })).status).toBe(403)
    }
    // On a temporary board the guest that made it may keep its work.
    const made = (await api.post('/api/boards', { body: { guestName: 'Keeper' } })).body
    expect((await api.get(`/api/boards/${made.board.id}/export`, { token: made.token })).status).toBe(200)
    expect((await api.post('/api/boards/import', { token: made.token, body: {} })).body.error.code).toBe('guest_forbidden')
    const bad = await api.post('/api/boards/import', { token: cast.owner.token, body: { format: 'drawbridge.board', version: 1, board: { title: 'x' }, document: { shapes: 1 } } })
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('document')
    const evil = new Y.Doc()
    evil.getMap('secrets').set('x', 1)
    const refused = await fetch(`${suite.server.url}/api/boards/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cast.owner.token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from(Y.encodeStateAsUpdate(evil)),
    })
    expect(refused.status).toBe(400)
    const garbage = await fetch(`${suite.server.url}/api/boards/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cast.owner.token}`, 'content-type': 'application/octet-stream' },
      body: new Uint8Array([1, 2, 3, 4, 5]),
    })
    expect(garbage.status).toBe(400)
  })
})

describe('the global guest switch', () => {
  it('GUESTS_ENABLED=false refuses guest joins and guest boards', async () => {
    const off = await startServer({ GUESTS_ENABLED: 'false' })
    try {
      const a = apiClient(off.url)
      const owner = await registerUser(a)
      const board = await createBoard(a, owner.token)
      const link = await createInvite(a, owner.token, board.id, 'reader')
      expect((await a.get(`/api/invites/${link.token}`)).body.guestsAllowed).toBe(false)
      const join = await a.post(`/api/invites/${link.token}/join`, { body: { name: 'G' } })
      expect(join.status).toBe(403)
      expect(join.body.error.code).toBe('guests_not_allowed')
      expect((await a.post('/api/boards', { body: { guestName: 'G' } })).body.error.code).toBe('guests_not_allowed')
    } finally {
      await off.stop()
    }
  })

  it('the admin switch ends every guest session at once (4403, socket.io, HTTP) and can be turned back on', async () => {
    const cast = await castBoard(api)
    const g = providerClient(suite.server.url, cast.boardId, cast.guestEditor.token)
    const m = providerClient(suite.server.url, cast.boardId, cast.memberEditor.token)
    await Promise.all([g.synced(), m.synced()])
    const gs = await eventSocket(suite.server.url, cast.guestReader.token)
    expect(await gs.subscribe(cast.boardId)).toEqual({ ok: true })
    const off = await api.call('PUT', '/api/admin/guests', { token: TEST_ADMIN_TOKEN, body: { enabled: false } })
    expect(off.body).toEqual({ enabled: false })
    expect(await g.closed()).toBe(4403)
    expect(await gs.next('board:unsubscribed')).toMatchObject({ reason: 'guests_not_allowed' })
    const me = await api.get('/api/me', { token: cast.guestReader.token })
    expect(me.status).toBe(403)
    expect(me.body.error.code).toBe('guests_not_allowed')
    expect((await connectError(suite.server.url, cast.guestReader.token))?.data.code).toBe('guests_not_allowed')
    expect((await api.post(`/api/invites/${(await createInvite(api, cast.owner.token, cast.boardId, 'reader')).token}/join`, { body: { name: 'x' } })).status).toBe(403)
    expect(m.closes).toEqual([])
    await api.call('PUT', '/api/admin/guests', { token: TEST_ADMIN_TOKEN, body: { enabled: true } })
    expect((await api.get('/api/me', { token: cast.guestReader.token })).status).toBe(200)
    g.destroy()
    m.destroy()
    gs.disconnect()
  })
})

describe('hardening', () => {
  it('sends security headers', async () => {
    const res = await fetch(`${suite.server.url}/api/me`)
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    // A plain-HTTP install (a LAN address) must not send its own scripts to https.
    expect(res.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests')
    expect(res.headers.get('strict-transport-security')).toBeNull()
  })

  it('asks browsers to stay on HTTPS when the public URL is https', async () => {
    const tls = await startServer({ PUBLIC_URL: 'https://board.example.com' })
    try {
      const res = await fetch(`${tls.url}/api/me`)
      expect(res.headers.get('content-security-policy')).toContain('upgrade-insecure-requests')
      expect(res.headers.get('strict-transport-security')).toContain('max-age=')
    } finally {
      await tls.stop()
    }
  })

  it('answers CORS only for allowed origins', async () => {
    const ok = await fetch(`${suite.server.url}/api/me`, { method: 'OPTIONS', headers: { origin: 'https://allowed.example', 'access-control-request-method': 'GET' } })
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://allowed.example')
    const no = await fetch(`${suite.server.url}/api/me`, { headers: { origin: 'https://evil.example' } })
    expect(no.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('caps WebSocket and socket.io connections per address', async () => {
    const capped = await startServer({ CONNECTIONS_PER_IP: '3' })
    try {
      const a = apiClient(capped.url)
      const owner = await registerUser(a)
      const board = await createBoard(a, owner.token)
      const open = await Promise.all([0, 1, 2].map(() => RawClient.connect(capped.url, board.id, owner.token)))
      const fourth = await RawClient.connect(capped.url, board.id, owner.token)
      expect(await fourth.waitClose()).toBe(1013)
      expect((await connectError(capped.url, owner.token))?.message).toBeTruthy()
      open[0]!.close()
      await open[0]!.waitClose()
      await new Promise((r) => setTimeout(r, 50))
      const again = await RawClient.connect(capped.url, board.id, owner.token)
      await again.until(() => again.messages.length > 0)
      expect(again.closeCode).toBeNull()
      for (const c of [...open, again]) c.close()
    } finally {
      await capped.stop()
    }
  })

  it('drops clients that send their headers too slowly (slowloris)', async () => {
    const strict = await startServer({ HTTP_HEADERS_TIMEOUT: '500ms' })
    try {
      const port = Number(new URL(strict.url).port)
      const started = Date.now()
      const closedAfter = await new Promise<number>((resolve) => {
        const sock = tcpConnect(port, '127.0.0.1')
        let drip: NodeJS.Timeout | undefined
        sock.on('connect', () => {
          sock.write('GET /api/me HTTP/1.1\r\nHost: x\r\n')
          drip = setInterval(() => sock.write('X-Slow: 1\r\n'), 100)
        })
        sock.on('close', () => {
          clearInterval(drip)
          resolve(Date.now() - started)
        })
        sock.on('error', () => {})
      })
      // Closed at all (an honest request would have been answered and kept alive).
      expect(closedAfter).toBeGreaterThan(0)
      // Honest clients are not affected.
      expect((await fetch(`${strict.url}/healthz`)).status).toBe(200)
    } finally {
      await strict.stop()
    }
  })

  it('keeps the guest token of one board off every other board', async () => {
    const cast = await castBoard(api)
    const other = await createBoard(api, cast.owner.token)
    const g = await joinAsGuest(api, (await createInvite(api, cast.owner.token, cast.boardId, 'editor')).token)
    expect((await api.get(`/api/boards/${other.id}/export`, { token: g.token })).status).toBe(403)
  })
})
