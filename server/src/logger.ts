import pino, { type DestinationStream, type Logger } from 'pino'
import type { LogLevel } from './config.js'

// Tokens travel in headers and in the /collab query string; neither may
// reach a log line.
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
]

/**
 * Strips `token=…` and invite tokens (`/api/invites/<token>…`,
 * `/join/<token>`: whoever holds one joins the board) from a URL before it
 * is logged.
 */
export function redactUrl(url: string | undefined): string | undefined {
  return url
    ?.replace(/([?&](?:token|code|state)=)[^&#]*/gi, '$1[redacted]')
    .replace(/^((?:\/api\/invites|\/join)\/)[^/?#]+/i, '$1[redacted]')
}

/** Longest log line written, in bytes (newline included). */
export const MAX_LOG_LINE_BYTES = 16 * 1024

interface Shrink {
  strings: number
  items: number
}

function shrink(value: unknown, limits: Shrink, depth: number): unknown {
  if (typeof value === 'string') {
    return value.length <= limits.strings ? value : `${value.slice(0, limits.strings)}…[${value.length - limits.strings} more characters]`
  }
  if (value === null || typeof value !== 'object') return value
  if (depth > 8) return '[too deep]'
  if (Array.isArray(value)) {
    const kept = value.slice(0, limits.items).map((v) => shrink(v, limits, depth + 1))
    if (value.length > limits.items) kept.push(`…[${value.length - limits.items} more items]`)
    return kept
  }
  const entries = Object.entries(value)
  const out: Record<string, unknown> = {}
  for (const [k, v] of entries.slice(0, limits.items)) out[k.slice(0, 200)] = shrink(v, limits, depth + 1)
  if (entries.length > limits.items) out['…'] = `${entries.length - limits.items} more keys`
  return out
}

/**
 * Keeps every line under MAX_LOG_LINE_BYTES and valid JSON: one oversized
 * value (a database error quoting 20,000 parameters was 6.2 MB) must not fill
 * the disk or choke the log shipper. Long strings, arrays and objects are
 * shortened, harder until the line fits, and the line says `truncated: true`.
 */
export function capLine(line: string): string {
  // At most 3 bytes per UTF-16 unit: most lines are decided without counting.
  if (line.length * 3 <= MAX_LOG_LINE_BYTES || Buffer.byteLength(line) <= MAX_LOG_LINE_BYTES) return line
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(line) as Record<string, unknown>
  } catch {
    parsed = { msg: line }
  }
  // What every line must keep, however many other fields crowd it.
  const { level, time, pid, hostname, msg, ...rest } = parsed
  for (let limits: Shrink = { strings: 4096, items: 64 }; limits.strings >= 16; limits = { strings: limits.strings / 2, items: Math.max(4, limits.items / 2) }) {
    const fields = shrink(rest, limits, 0) as object
    const out = `${JSON.stringify({ level, time, pid, hostname, msg: shrink(msg, { strings: 1024, items: 4 }, 0), ...fields, truncated: true })}\n`
    if (Buffer.byteLength(out) <= MAX_LOG_LINE_BYTES) return out
  }
  return `${JSON.stringify({ level, time, pid, hostname, msg: shrink(msg, { strings: 1024, items: 4 }, 0), truncated: true })}\n`
}

/** `destination`: where lines go (stdout by default; tests capture them). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method?: string; url?: string; id?: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
      err: pino.stdSerializers.err,
    },
    hooks: { streamWrite: capLine },
  }
  return destination ? pino(options, destination) : pino(options)
}
