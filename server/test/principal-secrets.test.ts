// A principal lives as long as what it opened: a /collab connection or a
// socket.io session keeps its principal for hours. The user's row in it must
// not carry the password hash, which only a sign-in and a password change
// need (and read for themselves). Every way the server turns a credential
// into a principal is checked here against the real embedded database: a
// signed token over HTTP, an API key, a /collab connect (one joined
// statement, where the user is read through an alias next to the board's
// owner), and a live connection's re-check.
import { describe, expect, it } from 'vitest'
import { refreshPrincipal, type ResolvedPrincipal, PrincipalResolver } from '../src/auth/principals.js'
import { TokenService } from '../src/auth/tokens.js'
import { lookUpConnect } from '../src/boards/connect-lookup.js'
import { registerUser } from './helpers/api.js'
import { castBoard } from './helpers/fixtures.js'
import { useServer } from './helpers/suite.js'

const suite = useServer()

function resolver() {
  const { config, store } = suite.server
  const tokens = new TokenService(config.tokenSecret, { userSeconds: config.userTokenTtlSeconds, guestSeconds: config.guestTokenTtlSeconds })
  return new PrincipalResolver(store.db, tokens)
}

/** The user a principal names, asserted to be `id` and to hold no password hash. */
function expectUserWithoutSecret(p: ResolvedPrincipal, id: string) {
  if (p.kind !== 'user') throw new Error(`expected a user, got a ${p.kind}`)
  expect(p.user.id).toBe(id)
  expect(Object.keys(p.user)).not.toContain('passwordHash')
  expect(JSON.stringify(p)).not.toContain('scrypt$')
}

describe('a principal', () => {
  it('resolved from a user token holds the account without its password hash', async () => {
    const { user, token } = await registerUser(suite.api, 'Token Holder')
    const check = await resolver().resolve(token)
    if (!check.ok) throw new Error(`token refused: ${check.why}`)
    expectUserWithoutSecret(check.principal, user.id)
    expect(check.principal.kind === 'user' && check.principal.user.name).toBe('Token Holder')
  })

  it('resolved from an API key holds the account without its password hash', async () => {
    const { user, token } = await registerUser(suite.api, 'Key Holder')
    const res = await suite.api.post('/api/api-keys', { token, body: { name: 'script', scope: 'read' } })
    expect(res.status).toBe(201)
    const check = await resolver().resolve(res.body.secret as string)
    if (!check.ok) throw new Error(`key refused: ${check.why}`)
    expectUserWithoutSecret(check.principal, user.id)
  })

  it("opened by a /collab connect is the member's own account, without its password hash, not the owner's", async () => {
    const cast = await castBoard(suite.api)
    const r = resolver()
    for (const actor of [cast.memberEditor, cast.owner]) {
      const claims = await r.claims(actor.token)
      if (!claims) throw new Error('claims refused')
      const found = await lookUpConnect(suite.server.store.db, r, cast.boardId, claims)
      if (!found?.check.ok) throw new Error('connect refused')
      expectUserWithoutSecret(found.check.principal, actor.id)
      expect(found.check.principal.kind === 'user' && found.check.principal.user.name).toBe(actor.name)
    }
  })

  it("re-read for a live connection's re-check stays without the password hash", async () => {
    const { user, token } = await registerUser(suite.api, 'Long Session')
    const check = await resolver().resolve(token)
    if (!check.ok) throw new Error(`token refused: ${check.why}`)
    const again = await refreshPrincipal(suite.server.store.db, check.principal)
    if (!again.ok) throw new Error(`refresh refused: ${again.why}`)
    expectUserWithoutSecret(again.principal, user.id)
  })

  it('still signs in with the right password and refuses a wrong one', async () => {
    const { user } = await registerUser(suite.api, 'Returning User')
    const ok = await suite.api.post('/api/auth/login', { body: { email: user.email, password: 'correct horse' } })
    expect(ok.status).toBe(200)
    expect(ok.body.user.id).toBe(user.id)
    const wrong = await suite.api.post('/api/auth/login', { body: { email: user.email, password: 'wrong horse!' } })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error.code).toBe('invalid_credentials')
  })
})
