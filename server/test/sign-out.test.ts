// Tokens, attacked: a correctly signed token without an expiry, and tokens
// that outlive a password change or "sign out everywhere" (HTTP, /collab,
// socket.io, and the connections they already opened).
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { registerUser } from './helpers/api.js'
import { RawClient } from './helpers/collab.js'
import { createBoard, createInvite, joinAsGuest } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'
import { connectError, type EventSocket } from './helpers/sockets.js'

const suite = useServer()
const { api } = suite

/** How the /collab endpoint answers a token: 'open' when it welcomes it, else the close code. */
async function collabAnswer(boardId: string, token: string): Promise<'open' | number> {
  const c = suite.track(await RawClient.connect(suite.server.url, boardId, token))
  await c.until(() => c.ext.some((e) => e.kind === 'welcome') || c.closeCode !== null)
  return c.closeCode ?? 'open'
}

function disconnected(socket: EventSocket): Promise<string> {
  return new Promise((resolve) => {
    if (!socket.connected) return resolve('already')
    socket.once('disconnect', (reason) => resolve(reason))
  })
}

describe('tokens without an expiry', () => {
  it('are refused even when correctly signed (HTTP 401, /collab 4401, socket.io)', async () => {
    const { user, token } = await registerUser(api)
    const board = await createBoard(api, token)
    const guest = await joinAsGuest(api, (await createInvite(api, token, board.id, 'editor')).token)
    const sign = (claims: Record<string, unknown>, subject: string) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setIssuer('drawbridge').setIssuedAt().sign(suite.server.config.tokenSecret)
    const forever = await sign({ knd: 'u', ver: 0 }, user.id)
    const foreverGuest = await sign({ knd: 'g', bid: board.id }, guest.id)
    for (const t of [forever, foreverGuest]) {
      const res = await api.get('/api/me', { token: t })
      expect(res.status).toBe(401)
      expect(res.body.error.code).toBe('unauthenticated')
      expect(await collabAnswer(board.id, t)).toBe(4401)
      expect((await connectError(suite.server.url, t))?.message).toBe('unauthenticated')
    }
    // The same claims with an expiry are fine: only the missing `exp` is refused.
    const bounded = await new SignJWT({ knd: 'u', ver: 0 }).setProtectedHeader({ alg: 'HS256' }).setSubject(user.id).setIssuer('drawbridge').setIssuedAt().setExpirationTime('1h').sign(suite.server.config.tokenSecret)
    expect((await api.get('/api/me', { token: bounded })).status).toBe(200)
    expect(await collabAnswer(board.id, bounded)).toBe('open')
  })
})

/** A user with a board, and live connections opened with its current token. */
async function signedInEverywhere() {
  const { user, token } = await registerUser(api)
  const board = await createBoard(api, token)
  const provider = suite.provider(board.id, token)
  await provider.synced()
  const events = await suite.events(token, board.id)
  return { user, token, board, provider, events }
}

async function expectRefusedEverywhere(boardId: string, token: string) {
  const me = await api.get('/api/me', { token })
  expect(me.status).toBe(401)
  expect(me.body.error.code).toBe('unauthenticated')
  expect(await collabAnswer(boardId, token)).toBe(4401)
  expect((await connectError(suite.server.url, token))?.message).toBe('unauthenticated')
}

async function expectAcceptedEverywhere(boardId: string, token: string) {
  expect((await api.get('/api/me', { token })).status).toBe(200)
  expect(await collabAnswer(boardId, token)).toBe('open')
  expect(await connectError(suite.server.url, token)).toBeNull()
}

describe('POST /api/auth/password', () => {
  it('checks the current password and the new one like register does', async () => {
    const { token } = await registerUser(api)
    const wrong = await api.post('/api/auth/password', { token, body: { currentPassword: 'not it at all', newPassword: 'a new password' } })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error.code).toBe('invalid_credentials')
    const short = await api.post('/api/auth/password', { token, body: { currentPassword: 'correct horse', newPassword: 'short' } })
    expect(short.status).toBe(400)
    expect(short.body.error.code).toBe('invalid_request')
    expect(short.body.error.message).toContain('newPassword')
    const missing = await api.post('/api/auth/password', { token, body: { newPassword: 'a new password' } })
    expect(missing.status).toBe(400)
    expect((await api.post('/api/auth/password', { body: { currentPassword: 'correct horse', newPassword: 'a new password' } })).status).toBe(401)
    // Nothing changed: the token still works.
    expect((await api.get('/api/me', { token })).status).toBe(200)
  })

  it('voids every earlier token: HTTP 401, /collab 4401, socket.io refused, live connections closed; the new token works', async () => {
    const { user, token, board, provider, events } = await signedInEverywhere()
    const gone = disconnected(events)
    const res = await api.post('/api/auth/password', { token, body: { currentPassword: 'correct horse', newPassword: 'battery staple' } })
    expect(res.status).toBe(200)
    expect(res.body.user).toMatchObject({ id: user.id, email: user.email })
    expect(res.body.token).not.toBe(token)
    expect(await provider.closed()).toBe(4401)
    expect(await gone).toBe('io server disconnect')
    await expectRefusedEverywhere(board.id, token)
    await expectAcceptedEverywhere(board.id, res.body.token)
    expect((await api.post('/api/auth/login', { body: { email: user.email, password: 'correct horse' } })).status).toBe(401)
    expect((await api.post('/api/auth/login', { body: { email: user.email, password: 'battery staple' } })).status).toBe(200)
  })
})

describe('POST /api/auth/logout-all', () => {
  it('voids every token issued so far, this one included, and closes what they opened; a new login works', async () => {
    const { user, token, board, provider, events } = await signedInEverywhere()
    const second = (await api.post('/api/auth/login', { body: { email: user.email, password: 'correct horse' } })).body.token as string
    const gone = disconnected(events)
    const res = await api.post('/api/auth/logout-all', { token })
    expect(res.status).toBe(204)
    expect(await provider.closed()).toBe(4401)
    expect(await gone).toBe('io server disconnect')
    await expectRefusedEverywhere(board.id, token)
    await expectRefusedEverywhere(board.id, second)
    const fresh = (await api.post('/api/auth/login', { body: { email: user.email, password: 'correct horse' } })).body.token as string
    await expectAcceptedEverywhere(board.id, fresh)
  })

  it('is for users: guests get 403 guest_forbidden, no token 401', async () => {
    const { token } = await registerUser(api)
    const board = await createBoard(api, token)
    const guest = await joinAsGuest(api, (await createInvite(api, token, board.id, 'editor')).token)
    for (const path of ['/api/auth/logout-all', '/api/auth/password']) {
      const res = await api.post(path, { token: guest.token, body: { currentPassword: 'x'.repeat(8), newPassword: 'y'.repeat(8) } })
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe('guest_forbidden')
    }
    expect((await api.post('/api/auth/logout-all')).status).toBe(401)
  })
})
