import { createSecretKey, type KeyObject } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'

/**
 * `tokenVersion` is the user's `token_version` when the token was issued;
 * bumping it (sign out everywhere, password change) voids every older token.
 */
export type TokenClaims = { kind: 'user'; id: string; tokenVersion: number } | { kind: 'guest'; id: string; boardId: string }

const ISSUER = 'drawbridge'
/** Verified tokens remembered (see TokenService.verified). */
const VERIFIED_MAX = 1_000

/** Signs and verifies the opaque bearer tokens (HS256 JWTs). */
export class TokenService {
  // A KeyObject made once: jose would otherwise import the raw secret on
  // every verification, and every WebSocket connect verifies a token.
  private readonly secret: KeyObject
  /**
   * Tokens already verified, with their expiry: one client presents the same
   * token to the API, socket.io and each /collab connect, and each check is an
   * HMAC run through the thread pool (4% of the server's CPU when boards are
   * opened and left in a loop). Only the identical string hits, and only
   * until it expires; whether its principal still has access is checked
   * against the database every time, as before.
   */
  private readonly verified = new Map<string, { claims: TokenClaims; exp: number }>()

  constructor(
    secret: Uint8Array,
    private readonly ttl: { userSeconds: number; guestSeconds: number },
  ) {
    this.secret = createSecretKey(secret)
  }

  async issue(claims: TokenClaims): Promise<string> {
    const jwt = new SignJWT(claims.kind === 'guest' ? { knd: 'g', bid: claims.boardId } : { knd: 'u', ver: claims.tokenVersion })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.id)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(
        `${claims.kind === 'guest' ? this.ttl.guestSeconds : this.ttl.userSeconds}s`,
      )
    return jwt.sign(this.secret)
  }

  /** The claims of a well-formed, correctly signed, unexpired token; otherwise null. */
  async verify(token: string): Promise<TokenClaims | null> {
    if (token.length > 4096) return null
    const known = this.verified.get(token)
    if (known) {
      this.verified.delete(token)
      if (Math.floor(Date.now() / 1000) >= known.exp) return null
      this.verified.set(token, known)
      return known.claims
    }
    const claims = await this.check(token)
    if (claims) {
      this.verified.set(token, claims)
      if (this.verified.size > VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!)
    }
    return claims?.claims ?? null
  }

  private async check(token: string): Promise<{ claims: TokenClaims; exp: number } | null> {
    try {
      // jose checks `exp` only when present: without `requiredClaims` a
      // token signed without one would never expire.
      const { payload } = await jwtVerify(token, this.secret, { issuer: ISSUER, algorithms: ['HS256'], requiredClaims: ['exp'] })
      if (typeof payload.sub !== 'string' || payload.sub === '') return null
      if (payload.knd === 'u') {
        // Tokens issued before versions existed carry none: version 0, the column's default.
        const ver = payload.ver ?? 0
        if (typeof ver !== 'number' || !Number.isSafeInteger(ver) || ver < 0) return null
        return { claims: { kind: 'user', id: payload.sub, tokenVersion: ver }, exp: payload.exp! }
      }
      if (payload.knd === 'g' && typeof payload.bid === 'string') {
        return { claims: { kind: 'guest', id: payload.sub, boardId: payload.bid }, exp: payload.exp! }
      }
      return null
    } catch (err) {
      if (err instanceof errors.JOSEError) return null
      throw err
    }
  }
}
