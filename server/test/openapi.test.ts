// The OpenAPI spec at /api/openapi.json: valid, complete (every API route the
// running server registered, with its method and path parameters), and honest
// about errors: every error status a route is seen to answer is documented,
// in the contract's format. The docs page at /api/docs loads nothing from
// elsewhere.
import { Validator } from '@seriousme/openapi-schema-validator'
import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../shared/constants.js'
import { hasChromium, launch } from '../../client/web/test/browser.js'
import { DOCUMENTED_EXCEPTIONS } from '../src/http/openapi.js'
import type { App } from '../src/http/types.js'
import { type ApiResponse, registerUser } from './helpers/api.js'
import { useServer } from './helpers/suite.js'

const suite = useServer()
const { api } = suite

interface Route {
  method: string
  url: string
}

/**
 * Every route the server registered, read from Fastify's own route tree
 * (printRoutes without common prefixes: a node's key is its path after its
 * parent route's).
 */
function registeredRoutes(app: App): Route[] {
  const routes: Route[] = []
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!m) continue
    expect(m[2], 'two parameter names at one place').not.toContain('|')
    stack.length = m[1]!.length / 4
    stack.push(m[2]!)
    for (const method of m[3]?.split(', ') ?? []) routes.push({ method, url: stack.join('') })
  }
  return routes
}

const isApi = (url: string) => (url.startsWith('/api/') || /^\/(healthz|readyz|metrics)$/.test(url)) && url !== '/api/openapi.json' && !url.startsWith('/api/docs')
const specPath = (url: string) => url.replace(/:(\w+)/g, '{$1}')
const paramsOf = (url: string) => [...url.matchAll(/:(\w+)/g)].map((m) => m[1]!)
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])
const ERROR_REF = '#/components/schemas/ErrorResponse'

let spec: any
let routes: Route[]
let token: string

beforeAll(async () => {
  const res = await api.get('/api/openapi.json')
  expect(res.status).toBe(200)
  spec = res.body
  routes = registeredRoutes(suite.server.fastify).filter((r) => r.method !== 'HEAD' && isApi(r.url))
  token = (await registerUser(api)).token
})

const operation = (r: Route) => spec.paths[specPath(r.url)]?.[r.method.toLowerCase()]

describe('the OpenAPI spec', () => {
  it('is a valid OpenAPI 3.1 document with the package name and version', async () => {
    const result = await new Validator().validate(spec)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(spec.openapi).toMatch(/^3\.1\./)
    expect(spec.info).toMatchObject({ title: 'drawbridge', version: expect.stringMatching(/^\d+\.\d+\.\d+/) })
  })

  it('has every API route the server registered, with its method and path parameters', () => {
    // Sanity: the route list is really the server's.
    expect(routes.length).toBeGreaterThan(50)
    expect(routes).toContainEqual({ method: 'PATCH', url: '/api/boards/:id/participants/:kind/:pid' })
    const missing = routes.filter((r) => !operation(r)).map((r) => `${r.method} ${r.url}`)
    expect(missing).toEqual([])
    for (const r of routes) {
      const path = (operation(r).parameters ?? []).filter((p: any) => p.in === 'path')
      expect(path.map((p: any) => p.name).sort(), `${r.method} ${r.url}`).toEqual(paramsOf(r.url).sort())
      for (const p of path) expect(p.required).toBe(true)
    }
  })

  it('has nothing else: no web app files, no docs assets, no colon paths', () => {
    const documented = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`))
    const registered = new Set(routes.map((r) => `${r.method} ${specPath(r.url)}`))
    expect(documented.filter((op) => !registered.has(op))).toEqual([])
    expect(Object.keys(spec.paths).filter((p) => p.includes(':') || p.startsWith('/api/docs'))).toEqual([])
  })

  it('describes the contract error body once, exactly as the server sends it', () => {
    expect(spec.components.schemas.ErrorResponse).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          additionalProperties: false,
          required: ['code', 'message'],
          properties: { code: { type: 'string', enum: Object.values(ErrorCode) }, message: { type: 'string' } },
        },
      },
    })
  })

  it('gives every route its error responses, in the contract format', () => {
    for (const r of routes) {
      const where = `${r.method} ${r.url}`
      const responses = operation(r).responses
      const errors = Object.keys(responses).filter((s) => /^[45]\d\d$/.test(s) && !(r.url === '/readyz' && s === '503'))
      for (const status of errors) {
        expect(responses[status].content?.['application/json']?.schema, `${where} ${status}`).toEqual({ $ref: ERROR_REF })
        expect(responses[status].description, `${where} ${status}`).not.toBe('Default Response')
      }
      const expected = ['500']
      if (BODY_METHODS.has(r.method)) expected.push('400', '413', '415')
      if (paramsOf(r.url).length > 0) expected.push('400', '404')
      // Which routes read a token (401, 403) the probes below find out.
      expect(errors, where).toEqual(expect.arrayContaining(expected))
    }
  })

  it('names each exception it makes to the common rules after a route that exists', () => {
    const registered = new Set(routes.map((r) => `${r.method} ${r.url}`))
    expect(DOCUMENTED_EXCEPTIONS.filter((name) => !registered.has(name))).toEqual([])
  })
})

describe('what the routes really answer', () => {
  /** A request to `r` with every path parameter filled in with something that does not exist. */
  const probe = (r: Route, options: { token?: string; rawBody?: string }) => {
    const url = r.url.replace(/:(\w+)/g, (_m, name: string) => (name === 'kind' ? 'user' : 'nope'))
    return api.call(r.method, url, { token: options.token, rawBody: BODY_METHODS.has(r.method) ? (options.rawBody ?? '{}') : undefined })
  }

  /** What is wrong with `res` as an answer of `r`: an undocumented status, or a body not in the contract's format. */
  function undocumented(r: Route, res: ApiResponse, what: string): string[] {
    const where = `${r.method} ${r.url} (${what}) answered ${res.status}`
    const statuses = Object.keys(operation(r).responses)
    const wrong: string[] = []
    if (res.status >= 400) {
      if (!statuses.includes(String(res.status))) wrong.push(`${where}: not documented`)
      // Exactly the contract's body: the response schema dropped nothing, added nothing.
      const error = res.body?.error
      const exact = Object.keys(res.body ?? {}).join() === 'error' && Object.keys(error ?? {}).sort().join() === 'code,message'
      if (!exact || !(Object.values(ErrorCode) as string[]).includes(error.code)) wrong.push(`${where}: body ${JSON.stringify(res.body)}`)
    }
    if (res.headers.get('x-ratelimit-limit') !== null && !statuses.includes('429')) wrong.push(`${where}: rate limited, 429 not documented`)
    // A route that wants a token may also refuse one (a removed guest's).
    if (res.status === 401 && what === 'no token' && !statuses.includes('403') && !r.url.startsWith('/api/admin/')) wrong.push(`${where}: 403 not documented`)
    return wrong
  }

  it('every error a route answers without a token, with a forged one, or with bad JSON is documented', async () => {
    const wrong: string[] = []
    for (const r of routes) {
      wrong.push(...undocumented(r, await probe(r, {}), 'no token'))
      wrong.push(...undocumented(r, await probe(r, { token: 'forged.token.value' }), 'forged token'))
      if (BODY_METHODS.has(r.method)) wrong.push(...undocumented(r, await probe(r, { token, rawBody: '{"a": ' }), 'bad JSON'))
    }
    expect(wrong).toEqual([])
  })

  it('every error a route answers for ids that do not exist is documented', async () => {
    const wrong: string[] = []
    for (const r of routes.filter((r) => paramsOf(r.url).length > 0)) {
      const res = await probe(r, { token })
      if (res.status < 400) wrong.push(`${r.method} ${r.url}: answered ${res.status} for ids that do not exist`)
      wrong.push(...undocumented(r, res, 'unknown ids'))
    }
    expect(wrong).toEqual([])
  })
})

describe('the docs page', () => {
  it('is served with every script, style and icon from the server itself', async () => {
    const page = await fetch(`${suite.server.url}/api/docs`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self';")
    const html = await page.text()
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(assets.length).toBeGreaterThanOrEqual(5)
    for (const asset of assets) {
      const url = new URL(asset, `${suite.server.url}/api/docs`)
      expect(url.origin, asset).toBe(suite.server.url)
      const res = await fetch(url)
      expect(res.status, asset).toBe(200)
      if (asset.endsWith('swagger-initializer.js')) {
        const js = await res.text()
        // No online validator, no other outside address (comments aside).
        expect(js.replace(/\/\/ .*$/gm, '')).not.toMatch(/https?:\/\//)
        expect(js).toContain('validatorUrl: null')
      }
    }
    // The page reads the same spec.
    expect((await api.get('/api/docs/json')).body).toEqual(spec)
  })

  it.skipIf(!hasChromium)('renders in a browser without a request elsewhere or a console error', async () => {
    const browser = await launch()
    try {
      const page = await browser.newPage()
      const external: string[] = []
      const errors: string[] = []
      page.on('request', (request) => {
        if (!request.url().startsWith(suite.server.url) && !request.url().startsWith('data:')) external.push(request.url())
      })
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text())
      })
      page.on('pageerror', (err) => errors.push(err.message))
      await page.goto(`${suite.server.url}/api/docs`)
      await page.locator('.opblock').first().waitFor({ timeout: 15_000 })
      expect(await page.locator('.opblock').count()).toBeGreaterThan(50)
      expect(external).toEqual([])
      expect(errors).toEqual([])
    } finally {
      await browser.close()
    }
  })
})

describe('with the web app served', () => {
  const web = useServer({ SERVE_WEB: 'true' })

  it('leaves the web app out of the spec', async () => {
    const res = await web.api.get('/api/openapi.json')
    expect(res.status).toBe(200)
    expect(Object.keys(res.body.paths).filter((p) => !p.startsWith('/api/') && !/^\/(healthz|readyz|metrics)$/.test(p))).toEqual([])
    expect(await new Validator().validate(res.body)).toMatchObject({ valid: true })
  })
})
