// The HTTP core the SDK's clients share: one bearer token, JSON in and out,
// non-2xx answers as ApiError (docs/WEB.md, "SDK").
import { ApiError, NETWORK_ERROR } from './errors.js'

export interface ApiClientOptions {
  /** Origin of the server, e.g. `https://draw.example.com` (no trailing `/api`). */
  baseUrl: string
  token?: string | null
  fetch?: typeof fetch
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export const enc = encodeURIComponent

export class ApiBase {
  readonly baseUrl: string
  token: string | null
  protected readonly fetchImpl: typeof fetch

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.token = options.token ?? null
    // Bound, because browsers throw "Illegal invocation" for an unbound fetch.
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis)
  }

  async request<T>(method: Method, path: string, body?: unknown, token: string | null = this.token): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (token) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Response
    try {
      res = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (err) {
      throw new ApiError(0, NETWORK_ERROR, `Could not reach the server (${(err as Error).message})`)
    }
    const text = await res.text()
    let parsed: unknown = null
    if (text) {
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = null
      }
    }
    if (!res.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error
      const retry = res.headers.get('retry-after')
      throw new ApiError(
        res.status,
        typeof error?.code === 'string' ? error.code : `http_${res.status}`,
        typeof error?.message === 'string' ? error.message : `Request failed with status ${res.status}`,
        retry !== null && Number.isFinite(Number(retry)) ? Number(retry) : null,
      )
    }
    return parsed as T
  }
}
