// The one place that reads the environment. Everything else gets `Config`.
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import proxyAddr from 'proxy-addr'
import ipaddr from 'ipaddr.js'
import { parseDuration } from '../../shared/duration.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface Limits {
  /** Largest single WebSocket message; bigger closes 4413. Full-document syncs of big boards must fit. */
  maxMessageBytes: number
  /** Largest board document; an update that would grow it past this closes 4413. */
  maxDocBytes: number
  /** Time a socket may take to authenticate before we give up on it. */
  preAuthTimeoutMs: number
  /** Messages a socket may queue while it is being authenticated. */
  preAuthMaxMessages: number
  /** Interval between pings; a socket that missed one pong is dropped. */
  pingIntervalMs: number
  /** Updates in the log before the board is compacted into a snapshot. */
  compactAfterUpdates: number
  /** Open WebSocket / socket.io connections per client address. */
  connectionsPerIp: number
  /** A client must send its request headers within this (slowloris). */
  headersTimeoutMs: number
  /** A client must send its whole request within this (slow bodies). */
  requestTimeoutMs: number
  /** Largest import (JSON or Yjs). */
  maxImportBytes: number
  /** Structs one Yjs update may hold (checked before it is decoded). */
  maxUpdateStructs: number
  /** Update work per second per client address (structs, deletions, KiB), and its burst. */
  updateWorkRate: number
  updateWorkBurst: number
  /** Live markup one reviewer may have on a board, and all markup on a board before reviewers are stopped. */
  markupQuotaBytes: number
  markupBoardQuotaBytes: number
  /** Largest file (image) an element may refer to, and all of one board's files together. */
  maxFileBytes: number
  maxBoardFileBytes: number
  /** Largest presence (awareness) state, and presence messages per second per connection. */
  presenceMaxBytes: number
  presenceRate: number
}

export interface Config {
  port: number
  host: string
  publicUrl: string
  dataDir: string
  databaseUrl: string | undefined
  databasePoolSize: number
  redisUrl: string | undefined
  redisPrefix: string
  tokenSecret: Uint8Array
  adminToken: string | undefined
  metricsToken: string | undefined
  ownerlessTtlMs: number
  sweepIntervalMs: number
  /** How long board history (versions, the log behind them) is kept. */
  historyRetentionMs: number
  /** A board quiet this long after edits gets an automatic version. */
  historyQuietMs: number
  /** People at once on a board with their own role, unless the board sets its own. */
  boardCapacity: number
  /** How long a ban also refuses the banned guest's address. */
  banAddressMs: number
  logLevel: LogLevel
  authRateLimit: number
  commentRateLimit: number
  /** Temporary (account-less) boards one client address may create per hour. */
  guestBoardsPerIpPerHour: number
  /** Temporary boards the whole server (all instances) creates per hour. */
  guestBoardsPerHour: number
  wsRate: number
  wsBurst: number
  userTokenTtlSeconds: number
  guestTokenTtlSeconds: number
  guestsEnabled: boolean
  corsOrigins: string[]
  /** Behind a load balancer: which X-Forwarded-For entries to believe (see TrustProxy). */
  trustProxy: TrustProxy
  /** Serve the built web app from dist/web when it exists. */
  serveWeb: boolean
  /** Outgoing mail (smtp:// or smtps://); unset: mail is kept in the outbox and logged (docs/SECURITY.md). */
  smtpUrl: string | undefined
  /** The From of every mail. */
  mailFrom: string
  /** `optional`: register sends a verification link; `required`: unverified users are also limited (docs/API.md). */
  emailVerification: EmailVerification
  /** How long a password reset link works. */
  passwordResetTtlMs: number
  webhooks: WebhookConfig
  /** Single sign-on with an OpenID Connect provider; null: off. */
  oidc: OidcConfig | null
  limits: Limits
}

export interface OidcConfig {
  /** The provider's issuer URL (its discovery document is under it). */
  issuer: string
  clientId: string
  /** Unset: a public client (PKCE alone proves the code is ours). */
  clientSecret: string | undefined
  /** What the sign-in button says: "Sign in with <name>". */
  name: string
  scopes: string
  /** Plain http, only for an issuer on this machine (development, tests). */
  allowHttp: boolean
}

export interface WebhookConfig {
  /** CIDRs, addresses or host names a webhook may reach although they are private or loopback (docs/SECURITY.md). */
  allowPrivate: string[]
  /** The waits between attempts; attempts = waits + 1. */
  retryDelaysMs: number[]
  /** How long one attempt may take. */
  timeoutMs: number
}

export const EMAIL_VERIFICATION_MODES = ['off', 'optional', 'required'] as const
export type EmailVerification = (typeof EMAIL_VERIFICATION_MODES)[number]

/**
 * Whose word on the client address to take. `false`: nobody's, the socket's
 * peer is the client. `hops`: that many proxies in front of every request
 * (the client is the entry that many places from the right of
 * X-Forwarded-For, counting the peer). `addresses`: peers and entries in
 * these addresses/CIDRs are proxies; the client is the first one that is not.
 */
export type TrustProxy = false | { hops: number } | { addresses: string[] }

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

function str(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === '' ? undefined : value
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`)
  return value
}

function duration(env: Env, name: string, fallback: number, minMs: number): number {
  const raw = str(env, name)
  if (raw === undefined) return fallback
  const ms = parseDuration(raw)
  if (ms === null) throw new ConfigError(name, `expected a duration such as 24h, 90s or 500ms, got "${raw}"`)
  if (ms < minMs) throw new ConfigError(name, `must be at least ${minMs} ms`)
  return ms
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name)?.toLowerCase()
  if (raw === undefined) return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(name, `expected true or false, got "${raw}"`)
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = str(env, name)
  if (raw === undefined) return undefined
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(name, `not a valid URL: "${raw}"`)
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${parsed.protocol}"`)
  }
  return raw
}

/**
 * TRUST_PROXY: false (default), a hop count, or addresses/CIDRs. `true` is
 * one hop: with X-Forwarded-For overwritten by the one proxy in front, its
 * only entry is the client; the leftmost entry of a longer header is what the
 * client itself sent, so it is never taken on trust.
 */
function trustProxy(env: Env): TrustProxy {
  const raw = str(env, 'TRUST_PROXY')
  if (raw === undefined) return false
  const lower = raw.toLowerCase()
  if (['0', 'false', 'no', 'off'].includes(lower)) return false
  if (['true', 'yes', 'on'].includes(lower)) return { hops: 1 }
  if (/^\d+$/.test(raw)) return { hops: int(env, 'TRUST_PROXY', 0, 1, 100) }
  const addresses = raw
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
  for (const a of addresses) {
    try {
      proxyAddr.compile(a)
    } catch {
      throw new ConfigError('TRUST_PROXY', `expected false, true, a hop count or addresses/CIDRs separated by commas; "${a}" is none of these`)
    }
  }
  return { addresses }
}

/** Reads TOKEN_SECRET, or the one kept in DATA_DIR, generating it on first boot. */
function tokenSecret(env: Env, dataDir: string): Uint8Array {
  const given = str(env, 'TOKEN_SECRET')
  if (given !== undefined) {
    if (given.length < 32) throw new ConfigError('TOKEN_SECRET', 'must be at least 32 characters')
    return new TextEncoder().encode(given)
  }
  const file = join(dataDir, 'token-secret')
  try {
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true })
      writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' })
    }
    chmodSync(file, 0o600)
    const secret = readFileSync(file, 'utf8').trim()
    if (secret.length < 32) throw new Error(`${file} holds a secret shorter than 32 characters`)
    return new TextEncoder().encode(secret)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError('TOKEN_SECRET', `unset, and no secret could be kept in DATA_DIR: ${(err as Error).message}`)
  }
}

export function loadConfig(env: Env): Config {
  const port = int(env, 'PORT', 3000, 0, 65535)
  const host = str(env, 'HOST') ?? '127.0.0.1'
  const dataDir = resolve(str(env, 'DATA_DIR') ?? './data')
  const publicUrl = (url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/+$/, '')
  const logLevel = (str(env, 'LOG_LEVEL') ?? 'info') as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  }
  const adminToken = str(env, 'ADMIN_TOKEN')
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('ADMIN_TOKEN', 'must be at least 16 characters')
  }
  const corsOrigins = (str(env, 'CORS_ORIGINS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return {
    port,
    host,
    publicUrl,
    dataDir,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: str(env, 'REDIS_PREFIX') ?? 'drawbridge:',
    tokenSecret: tokenSecret(env, dataDir),
    adminToken,
    metricsToken: str(env, 'METRICS_TOKEN'),
    ownerlessTtlMs: duration(env, 'OWNERLESS_TTL', 24 * 3_600_000, 1000),
    sweepIntervalMs: duration(env, 'SWEEP_INTERVAL', 60_000, 100),
    historyRetentionMs: duration(env, 'HISTORY_RETENTION', 30 * 86_400_000, 1000),
    historyQuietMs: duration(env, 'HISTORY_QUIET', 60_000, 50),
    boardCapacity: int(env, 'BOARD_CAPACITY', 100, 1, 100_000),
    banAddressMs: duration(env, 'BAN_ADDRESS_FOR', 24 * 3_600_000, 0),
    logLevel,
    authRateLimit: int(env, 'AUTH_RATE_LIMIT', 20, 1, 1_000_000),
    commentRateLimit: int(env, 'COMMENT_RATE_LIMIT', 30, 1, 1_000_000),
    guestBoardsPerIpPerHour: int(env, 'GUEST_BOARDS_PER_IP_PER_HOUR', 10, 1, 1_000_000),
    guestBoardsPerHour: int(env, 'GUEST_BOARDS_PER_HOUR', 500, 1, 10_000_000),
    wsRate: int(env, 'WS_RATE', 200, 1, 1_000_000),
    wsBurst: int(env, 'WS_BURST', 2000, 1, 10_000_000),
    userTokenTtlSeconds: int(env, 'USER_TOKEN_TTL_SECONDS', 30 * 86_400, 60, 365 * 86_400),
    guestTokenTtlSeconds: int(env, 'GUEST_TOKEN_TTL_SECONDS', 30 * 86_400, 60, 365 * 86_400),
    guestsEnabled: bool(env, 'GUESTS_ENABLED', true),
    corsOrigins,
    trustProxy: trustProxy(env),
    serveWeb: bool(env, 'SERVE_WEB', true),
    smtpUrl: smtpUrl(env),
    mailFrom: mailFrom(env, publicUrl),
    emailVerification: emailVerification(env),
    passwordResetTtlMs: duration(env, 'PASSWORD_RESET_TTL', 3_600_000, 1000),
    webhooks: webhookConfig(env),
    oidc: oidcConfig(env),
    limits: {
      maxMessageBytes: int(env, 'WS_MAX_MESSAGE_BYTES', 2 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxDocBytes: int(env, 'MAX_DOC_BYTES', 64 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
      preAuthTimeoutMs: 10_000,
      preAuthMaxMessages: 64,
      pingIntervalMs: duration(env, 'WS_PING_INTERVAL', 30_000, 50),
      compactAfterUpdates: int(env, 'COMPACT_AFTER_UPDATES', 500, 1, 10_000_000),
      connectionsPerIp: int(env, 'CONNECTIONS_PER_IP', 200, 1, 1_000_000),
      headersTimeoutMs: duration(env, 'HTTP_HEADERS_TIMEOUT', 15_000, 100),
      requestTimeoutMs: duration(env, 'HTTP_REQUEST_TIMEOUT', 120_000, 100),
      maxImportBytes: int(env, 'MAX_IMPORT_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      ...workLimits(env),
    },
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/** OIDC_ISSUER turns single sign-on on; the client secret is never repeated in an error. */
function oidcConfig(env: Env): OidcConfig | null {
  const issuer = url(env, 'OIDC_ISSUER', ['http:', 'https:'])
  const clientId = str(env, 'OIDC_CLIENT_ID')
  if (issuer === undefined) {
    if (clientId !== undefined) throw new ConfigError('OIDC_ISSUER', 'unset while OIDC_CLIENT_ID is set: single sign-on needs both')
    return null
  }
  if (clientId === undefined) throw new ConfigError('OIDC_CLIENT_ID', 'unset while OIDC_ISSUER is set: single sign-on needs both')
  const parsed = new URL(issuer)
  const allowHttp = parsed.protocol === 'http:'
  if (allowHttp && !LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw new ConfigError('OIDC_ISSUER', 'must be https: (plain http is accepted only for an issuer on localhost)')
  }
  const scopes = str(env, 'OIDC_SCOPES') ?? 'openid email profile'
  if (!scopes.split(/\s+/u).includes('openid')) throw new ConfigError('OIDC_SCOPES', 'must include openid')
  return { issuer, clientId, clientSecret: str(env, 'OIDC_CLIENT_SECRET'), name: str(env, 'OIDC_NAME') ?? parsed.hostname, scopes, allowHttp }
}

/** SMTP_URL may hold a password: a bad value is described, never repeated. */
function smtpUrl(env: Env): string | undefined {
  const raw = str(env, 'SMTP_URL')
  if (raw === undefined) return undefined
  let protocol: string
  try {
    protocol = new URL(raw).protocol
  } catch {
    throw new ConfigError('SMTP_URL', 'not a valid URL (expected smtp://user:password@host:587 or smtps://…:465)')
  }
  if (protocol !== 'smtp:' && protocol !== 'smtps:') throw new ConfigError('SMTP_URL', `expected an smtp: or smtps: URL, got "${protocol}"`)
  return raw
}

/** MAIL_FROM: an address, optionally with a display name (`Drawbridge <noreply@example.com>`). */
function mailFrom(env: Env, publicUrl: string): string {
  const raw = str(env, 'MAIL_FROM')
  if (raw === undefined) return `Drawbridge <noreply@${new URL(publicUrl).hostname}>`
  // One line only: a newline would let the value add headers of its own.
  if (/[\r\n]/.test(raw) || !/^(?:[^<>@]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(raw)) {
    throw new ConfigError('MAIL_FROM', `expected an address such as noreply@example.com or "Drawbridge <noreply@example.com>", got "${raw}"`)
  }
  return raw
}

function emailVerification(env: Env): EmailVerification {
  const raw = (str(env, 'EMAIL_VERIFICATION') ?? 'off').toLowerCase() as EmailVerification
  if (!EMAIL_VERIFICATION_MODES.includes(raw)) {
    throw new ConfigError('EMAIL_VERIFICATION', `expected one of ${EMAIL_VERIFICATION_MODES.join(', ')}, got "${raw}"`)
  }
  return raw
}

/** The limits that bound what one participant can cost a board and the server (docs/SECURITY.md). */
function workLimits(env: Env) {
  const maxDocBytes = int(env, 'MAX_DOC_BYTES', 64 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024)
  const markupBoardQuotaBytes = int(env, 'MARKUP_BOARD_QUOTA_BYTES', Math.min(16 * 1024 * 1024, Math.floor(maxDocBytes / 4)), 1024, maxDocBytes)
  return {
    maxUpdateStructs: int(env, 'MAX_UPDATE_STRUCTS', 50_000, 100, 10_000_000),
    updateWorkRate: int(env, 'UPDATE_WORK_RATE', 20_000, 100, 100_000_000),
    updateWorkBurst: int(env, 'UPDATE_WORK_BURST', 100_000, 100, 1_000_000_000),
    markupQuotaBytes: int(env, 'MARKUP_QUOTA_BYTES', Math.min(4 * 1024 * 1024, markupBoardQuotaBytes), 1024, markupBoardQuotaBytes),
    markupBoardQuotaBytes,
    maxFileBytes: int(env, 'MAX_FILE_BYTES', 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxBoardFileBytes: int(env, 'MAX_BOARD_FILE_BYTES', 100 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
    presenceMaxBytes: int(env, 'PRESENCE_MAX_BYTES', 32 * 1024, 256, 16 * 1024 * 1024),
    presenceRate: int(env, 'PRESENCE_RATE', 30, 1, 10_000),
  }
}

function webhookConfig(env: Env): WebhookConfig {
  const allowPrivate = (str(env, 'WEBHOOK_ALLOW_PRIVATE') ?? '').split(',').map((e) => e.trim()).filter(Boolean)
  for (const entry of allowPrivate) {
    const address = entry.replace(/^\[(.*)\]$/, '$1')
    const valid = entry.includes('/') ? isCidr(entry) : ipaddr.isValid(address) || /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(entry)
    if (!valid) throw new ConfigError('WEBHOOK_ALLOW_PRIVATE', `expected CIDRs, addresses or host names, got "${entry}"`)
  }
  const rawDelays = str(env, 'WEBHOOK_RETRY_DELAYS') ?? '10s,1m,10m,1h'
  const retryDelaysMs = rawDelays === 'none' ? [] : rawDelays.split(',').map((d) => parseDuration(d.trim()))
  if (retryDelaysMs.length > 20 || retryDelaysMs.some((d) => d === null || d < 10)) {
    throw new ConfigError('WEBHOOK_RETRY_DELAYS', `expected up to 20 durations of 10ms or more, such as 10s,1m,10m,1h (or none), got "${rawDelays}"`)
  }
  return { allowPrivate, retryDelaysMs: retryDelaysMs as number[], timeoutMs: duration(env, 'WEBHOOK_TIMEOUT', 10_000, 100) }
}

function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value)
    return true
  } catch {
    return false
  }
}
