import { beforeAll, describe, expect, it } from 'vitest'
import { registerUser } from './helpers/api.js'
import { useServer } from './helpers/suite.js'

let token: string

const suite = useServer()
const { api } = suite

beforeAll(async () => {
  token = (await registerUser(api)).token
})

const isContractError = (body: any) =>
  typeof body?.error?.code === 'string' && typeof body?.error?.message === 'string' && !JSON.stringify(body).includes('    at ')

describe('error format', () => {
  it('404s unknown routes with the contract body', async () => {
    for (const [method, path] of [['GET', '/api/nothing'], ['POST', '/api/boards/x/nothing'], ['GET', '/nope']]) {
      const res = await api.call(method!, path!)
      expect(res.status).toBe(404)
      expect(res.body.error.code).toBe('not_found')
      expect(isContractError(res.body)).toBe(true)
    }
  })

  it.each(['{', '{"title": }', 'nul', '[1,2', '{"a":1}}'])('400s malformed JSON %j', async (raw) => {
    const res = await api.post('/api/boards', { token, rawBody: raw })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('invalid_request')
    expect(isContractError(res.body)).toBe(true)
  })

  it('400s JSON that is not an object', async () => {
    for (const raw of ['[]', '"title"', '42', 'null']) {
      const res = await api.post('/api/boards', { token, rawBody: raw })
      expect(res.status, raw).toBe(400)
      expect(res.body.error.code).toBe('invalid_request')
    }
  })

  it('413s bodies over 1 MiB', async () => {
    const res = await api.post('/api/boards', { token, rawBody: JSON.stringify({ title: 'x'.repeat(1024 * 1024 + 10) }) })
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('too_large')
  })

  it('400s schema violations naming the field', async () => {
    const res = await api.post('/api/boards', { token, body: { title: 123 } })
    expect(res.status).toBe(400)
    expect(res.body.error.message).toContain('title')
    const patch = await api.patch('/api/boards/x', { token, body: { locked: 'yes' } })
    expect(patch.status).toBe(400)
    expect(patch.body.error.message).toContain('locked')
  })

  it('shrugs off prototype pollution attempts', async () => {
    const res = await api.post('/api/boards', { token, rawBody: '{"__proto__": {"admin": true}, "title": "p"}' })
    expect(res.status).toBe(400)
    expect(({} as any).admin).toBeUndefined()
  })

  it('accepts an empty body with a JSON content type', async () => {
    const res = await api.post('/api/boards', { token, rawBody: '' })
    expect(res.status).toBe(201)
    expect(res.body.board.title).toBe('Untitled')
  })
})
