// The SDK, pointed at the server that served this page.
// Straight from its modules: the SDK's index also brings Yjs and socket.io, which only board pages need.
import { ApiClient } from '../../../sdk/api-client.js'
import { ApiError } from '../../../sdk/errors.js'

export const baseUrl = location.origin

export function apiFor(token: string | null): ApiClient {
  return new ApiClient({ baseUrl, token })
}

/** A message for people: the server's own text for known answers, a fallback otherwise. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'network_error') return 'Cannot reach the server. Check your connection and try again.'
    if (err.code === 'rate_limited') return `Too many attempts; try again in ${err.retryAfter ?? 60} s.`
    return err.message
  }
  return 'Something went wrong. Please try again.'
}

export { ApiError }
