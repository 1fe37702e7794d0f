// A tiny HTTP client for tests: raw status, headers and JSON, no magic.
export interface ApiResponse<T = any> {
  status: number
  headers: Headers
  body: T
}

export interface CallOptions {
  token?: string | null
  body?: unknown
  /** Sent as-is (for malformed JSON tests). */
  rawBody?: string
  headers?: Record<string, string>
}

/** `baseUrl` may be a function, for a client made before its server starts. */
export function apiClient(baseUrl: string | (() => string)) {
  const base = typeof baseUrl === 'string' ? () => baseUrl : baseUrl
  async function call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    let body: string | undefined
    if (options.rawBody !== undefined) {
      body = options.rawBody
      headers['content-type'] ??= 'application/json'
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
    }
    const res = await fetch(base() + path, { method, headers, body })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      // leave as text
    }
    return { status: res.status, headers: res.headers, body: parsed as T }
  }
  return {
    call,
    get: <T = any>(path: string, o?: CallOptions) => call<T>('GET', path, o),
    post: <T = any>(path: string, o?: CallOptions) => call<T>('POST', path, o),
    patch: <T = any>(path: string, o?: CallOptions) => call<T>('PATCH', path, o),
    del: <T = any>(path: string, o?: CallOptions) => call<T>('DELETE', path, o),
  }
}
export type Api = ReturnType<typeof apiClient>

let counter = 0
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}.${process.pid}.${Date.now()}.${counter++}@example.test`
}

export async function registerUser(api: Api, name = 'Test User') {
  const res = await api.post('/api/auth/register', { body: { email: uniqueEmail(), password: 'correct horse', name } })
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body as { user: { id: string; email: string; name: string; plan: string }; token: string }
}
