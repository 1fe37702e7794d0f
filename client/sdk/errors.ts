// Errors the SDK surfaces. Every non-2xx answer of the HTTP API becomes an
// ApiError carrying the contract's `error.code`, so callers branch on codes,
// never on message text.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds to wait, from `Retry-After` on a 429. */
    readonly retryAfter: number | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** A network failure (server unreachable) is not an API answer; give it a code anyway. */
export const NETWORK_ERROR = 'network_error'
