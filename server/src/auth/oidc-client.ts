// The OpenID Connect relying party (openid-client): the authorization code
// flow with PKCE, a nonce and a state, the ID token checked by the library
// (issuer, audience, signature, expiry, nonce).
import type * as Oidc from 'openid-client'
import type { OidcConfig } from '../config.js'

/** What the provider says about the person who signed in. */
export interface ProviderIdentity {
  issuer: string
  subject: string
  email: string | null
  /** Only `email_verified: true` counts: an address the provider does not vouch for proves nothing. */
  emailVerified: boolean
  name: string | null
}

/** The secrets of one sign-in, kept by the browser that started it (a signed cookie) until the provider sends it back. */
export interface SignInChecks {
  state: string
  nonce: string
  verifier: string
}

/** A sign-in the provider refused or the user cancelled (`denied`), or one that could not be checked. */
export class SignInError extends Error {
  constructor(
    readonly denied: boolean,
    message: string,
  ) {
    super(message)
  }
}

const DISCOVERY_TIMEOUT_S = 10
/** The library, loaded on the first sign-in: a server without single sign-on never holds it in memory. */
const library = (): Promise<typeof Oidc> => import('openid-client')

export class OidcClient {
  private discovered: Promise<Oidc.Configuration> | null = null

  constructor(
    private readonly c: OidcConfig,
    private readonly redirectUri: string,
  ) {}

  /**
   * The provider's metadata, fetched on first use and again after a failure:
   * a provider that is down when Drawbridge boots does not stop the server,
   * only sign-ins through it until it is back.
   */
  private configuration(): Promise<Oidc.Configuration> {
    this.discovered ??= library()
      .then((oidc) =>
        oidc.discovery(
          new URL(this.c.issuer),
          this.c.clientId,
          this.c.clientSecret,
          this.c.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(this.c.clientSecret),
          { timeout: DISCOVERY_TIMEOUT_S, ...(this.c.allowHttp ? { execute: [oidc.allowInsecureRequests] } : {}) },
        ),
      )
      .catch((err: unknown) => {
        this.discovered = null
        throw err
      })
    return this.discovered
  }

  /** Where to send the browser, and what it must bring back. */
  async begin(): Promise<{ url: string; checks: SignInChecks }> {
    const [oidc, config] = await Promise.all([library(), this.configuration()])
    const checks = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() }
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.c.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    })
    return { url: url.href, checks }
  }

  /**
   * Trades the code in the provider's answer (`callback`, the URL the browser
   * came back to) for tokens and reads who signed in: from the ID token, and
   * from the userinfo endpoint when the ID token leaves out the address.
   */
  async finish(callback: URL, checks: SignInChecks): Promise<ProviderIdentity> {
    const [oidc, config] = await Promise.all([library(), this.configuration()])
    let tokens: Awaited<ReturnType<typeof Oidc.authorizationCodeGrant>>
    try {
      tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      })
    } catch (err) {
      if (err instanceof oidc.AuthorizationResponseError) {
        throw new SignInError(err.error === 'access_denied', `${this.c.name} did not sign you in (${err.error})`)
      }
      throw err
    }
    const claims = tokens.claims()
    if (!claims) throw new SignInError(false, `${this.c.name} sent no ID token`)
    let { email, email_verified: verified, name } = claims as { email?: unknown; email_verified?: unknown; name?: unknown }
    if (typeof email !== 'string' || typeof verified !== 'boolean') {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)
      email = info.email ?? email
      verified = info.email_verified ?? verified
      name = info.name ?? name
    }
    return {
      issuer: claims.iss,
      subject: claims.sub,
      email: typeof email === 'string' ? email : null,
      emailVerified: verified === true,
      name: typeof name === 'string' ? name : null,
    }
  }
}
