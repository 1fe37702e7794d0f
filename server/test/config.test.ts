import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'
import { parseDuration } from '../../shared/duration.js'

const dir = () => mkdtempSync(join(tmpdir(), 'drawbridge-config-'))

describe('configuration', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({ DATA_DIR: dir() })
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:3000',
      databaseUrl: undefined,
      redisUrl: undefined,
      adminToken: undefined,
      ownerlessTtlMs: 24 * 3600_000,
      sweepIntervalMs: 60_000,
      authRateLimit: 20,
      wsRate: 200,
      wsBurst: 2000,
    })
  })

  it('parses durations', () => {
    expect(parseDuration('24h')).toBe(86_400_000)
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('1.5m')).toBe(90_000)
    expect(parseDuration('250')).toBe(250)
    expect(parseDuration('soon')).toBeNull()
    const c = loadConfig({ DATA_DIR: dir(), OWNERLESS_TTL: '90s', SWEEP_INTERVAL: '500ms' })
    expect(c.ownerlessTtlMs).toBe(90_000)
    expect(c.sweepIntervalMs).toBe(500)
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['OWNERLESS_TTL', 'tomorrow'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['AUTH_RATE_LIMIT', '-1'],
    ['WS_RATE', '0'],
    ['TOKEN_SECRET', 'short'],
    ['PUBLIC_URL', 'ftp://x'],
    ['GUESTS_ENABLED', 'maybe'],
    ['TRUST_PROXY', 'sometimes'],
    ['TRUST_PROXY', '10.0.0.0/8, 300.1.1.1'],
    ['TRUST_PROXY', '101'],
  ])('names %s when it is %j', (variable, value) => {
    try {
      loadConfig({ DATA_DIR: dir(), [variable]: value })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).variable).toBe(variable)
      expect((err as Error).message).toContain(variable)
    }
  })

  it('reads TRUST_PROXY as off, a hop count (true = 1 hop) or proxy addresses, never "trust every hop"', () => {
    const trust = (value?: string) => loadConfig({ DATA_DIR: dir(), ...(value === undefined ? {} : { TRUST_PROXY: value }) }).trustProxy
    expect(trust()).toBe(false)
    expect(trust('false')).toBe(false)
    expect(trust('0')).toBe(false)
    expect(trust('true')).toEqual({ hops: 1 })
    expect(trust('1')).toEqual({ hops: 1 })
    expect(trust('2')).toEqual({ hops: 2 })
    expect(trust('10.0.0.0/8, 192.168.1.5 ,loopback')).toEqual({ addresses: ['10.0.0.0/8', '192.168.1.5', 'loopback'] })
    expect(trust('::1, fd00::/8')).toEqual({ addresses: ['::1', 'fd00::/8'] })
  })

  it('sets up single sign-on only with an issuer and a client id, over https (http only on localhost), never repeating the secret', () => {
    expect(loadConfig({ DATA_DIR: dir() }).oidc).toBeNull()
    const on = loadConfig({ DATA_DIR: dir(), OIDC_ISSUER: 'https://login.example.com/realms/acme', OIDC_CLIENT_ID: 'drawbridge', OIDC_CLIENT_SECRET: 'top-secret-value' })
    expect(on.oidc).toEqual({
      issuer: 'https://login.example.com/realms/acme',
      clientId: 'drawbridge',
      clientSecret: 'top-secret-value',
      name: 'login.example.com',
      scopes: 'openid email profile',
      allowHttp: false,
    })
    expect(loadConfig({ DATA_DIR: dir(), OIDC_ISSUER: 'http://localhost:8080', OIDC_CLIENT_ID: 'x', OIDC_NAME: 'Dev' }).oidc).toMatchObject({ allowHttp: true, name: 'Dev', clientSecret: undefined })
    const refused: [Record<string, string>, string][] = [
      [{ OIDC_ISSUER: 'https://login.example.com' }, 'OIDC_CLIENT_ID'],
      [{ OIDC_CLIENT_ID: 'x', OIDC_CLIENT_SECRET: 'top-secret-value' }, 'OIDC_ISSUER'],
      [{ OIDC_ISSUER: 'http://login.example.com', OIDC_CLIENT_ID: 'x', OIDC_CLIENT_SECRET: 'top-secret-value' }, 'OIDC_ISSUER'],
      [{ OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_ID: 'x', OIDC_SCOPES: 'email profile' }, 'OIDC_SCOPES'],
    ]
    for (const [env, variable] of refused) {
      try {
        loadConfig({ DATA_DIR: dir(), ...env })
        expect.unreachable()
      } catch (err) {
        expect((err as ConfigError).variable).toBe(variable)
        expect((err as Error).message).not.toContain('top-secret-value')
      }
    }
  })

  it('generates TOKEN_SECRET once, mode 0600, and reuses it', () => {
    const d = dir()
    const a = loadConfig({ DATA_DIR: d })
    const file = join(d, 'token-secret')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const b = loadConfig({ DATA_DIR: d })
    expect(Buffer.from(b.tokenSecret).toString()).toBe(Buffer.from(a.tokenSecret).toString())
    expect(readFileSync(file, 'utf8').length).toBeGreaterThanOrEqual(32)
    const given = loadConfig({ DATA_DIR: dir(), TOKEN_SECRET: 's'.repeat(40) })
    expect(Buffer.from(given.tokenSecret).toString()).toBe('s'.repeat(40))
  })

  it('makes the process exit non-zero with a message naming the variable', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      env: { ...process.env, PORT: 'eighty', DATA_DIR: dir() },
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(res.status).toBe(2)
    expect(res.stderr).toContain('PORT')
    expect(res.stderr).not.toContain('    at ')
  })
})
