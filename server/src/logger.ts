import pino, { type Logger } from 'pino'
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

/** Strips `token=…` from a URL before it is logged. */
export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]')
}

export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method?: string; url?: string; id?: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
      err: pino.stdSerializers.err,
    },
  })
}
