// A real OpenID Connect provider (the `oidc-provider` package) on
// 127.0.0.1, port 0, for single sign-on tests. Its login screen is replaced
// by one that signs in whoever the test names (`signInAs`), or refuses
// (`refuseNext`), with no page to fill in, so an HTTP client and a browser
// both go through the provider's real authorization, token and userinfo
// endpoints. `drive` plays the browser for HTTP tests: it follows redirects,
// keeps the provider's cookies, and stops where the provider sends the
// browser back to Drawbridge.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'

export interface TestPerson {
  sub: string
  email?: string
  email_verified?: boolean
  name?: string
}

export interface TestIdp {
  issuer: string
  clientId: string
  clientSecret: string
  /** Who the next sign-in is; they stay signed in until `signInAs` names someone else. */
  signInAs(person: TestPerson): void
  /** The next sign-in is refused by the provider (as if the person pressed Cancel). */
  refuseNext(): void
  /** Lets the provider's client send the browser to these callback URLs (set before the first sign-in). */
  allowRedirects(uris: string[]): void
  /** From Drawbridge's /start redirect to the callback URL the provider sends the browser to, as a fresh browser. */
  drive(authorizationUrl: string): Promise<URL>
  close(): Promise<void>
}

export async function startIdp(redirectUris: string[] = []): Promise<TestIdp> {
  const people = new Map<string, TestPerson>()
  let next: TestPerson | null = null
  let refuse = false
  let provider: Provider | null = null
  const uris = [...redirectUris]
  const clientId = 'drawbridge-test'
  const clientSecret = 'idp-client-secret-0123456789abcdef'

  const interaction = async (req: IncomingMessage, res: ServerResponse, p: Provider) => {
    const details = await p.interactionDetails(req, res)
    if (refuse || !next) {
      refuse = false
      await p.interactionFinished(req, res, { error: 'access_denied', error_description: 'The person cancelled' }, { mergeWithLastSubmission: false })
      return
    }
    const person = next
    people.set(person.sub, person)
    const grant = new p.Grant({ accountId: person.sub, clientId: String(details.params.client_id) })
    grant.addOIDCScope(String(details.params.scope))
    const grantId = await grant.save()
    await p.interactionFinished(req, res, { login: { accountId: person.sub }, consent: { grantId } }, { mergeWithLastSubmission: false })
  }

  const server: Server = createServer((req, res) => {
    if (!provider) {
      res.writeHead(503).end()
      return
    }
    const p = provider
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res, p).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err))
      })
      return
    }
    void p.callback()(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  // Its own signing key, so ID tokens are signed as a real provider's are (and it does not warn about dev keys).
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-idp', alg: 'RS256', use: 'sig' }
  const build = () =>
    new Provider(issuer, {
      jwks: { keys: [signingKey] },
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: uris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      async findAccount(_ctx, sub) {
        const person = people.get(sub)
        if (!person) return undefined
        return { accountId: sub, claims: async () => ({ ...person }) }
      },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      cookies: { keys: ['test-idp-cookie-key-0123456789'] },
      // Set, so the provider does not warn about its defaults in every test's output.
      ttl: { Interaction: 600, Grant: 600, Session: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    })

  provider = build()
  const jar = new Map<string, string>()
  const keepCookies = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair!.indexOf('=')
      jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1))
    }
  }

  return {
    issuer,
    clientId,
    clientSecret,
    signInAs(person) {
      next = person
    },
    refuseNext() {
      refuse = true
    },
    allowRedirects(more) {
      uris.push(...more)
      provider = build()
    },
    async drive(authorizationUrl) {
      // A fresh browser each time: a provider session left by the last person would make the next sign-in a sign-out first.
      jar.clear()
      let url = new URL(authorizationUrl)
      for (let hop = 0; hop < 10; hop++) {
        if (url.origin !== issuer) return url
        const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } })
        keepCookies(res)
        const location = res.headers.get('location')
        if (!location) throw new Error(`the provider answered ${res.status} at ${url.pathname}: ${await res.text()}`)
        url = new URL(location, url)
      }
      throw new Error('the provider redirected more than 10 times')
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
