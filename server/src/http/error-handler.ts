import type { FastifyError } from 'fastify'
import type { App } from './types.js'
import { ErrorCode } from '../../../shared/constants.js'
import type { ApiErrorBody } from '../../../shared/types.js'
import { AppError } from '../errors.js'
import { serveShell } from './web.js'

const CODE_BY_STATUS: Record<number, string> = {
  400: ErrorCode.invalidRequest,
  401: ErrorCode.unauthenticated,
  403: ErrorCode.forbidden,
  404: ErrorCode.notFound,
  405: ErrorCode.notFound,
  409: ErrorCode.conflict,
  410: ErrorCode.gone,
  413: ErrorCode.tooLarge,
  415: ErrorCode.unsupportedMediaType,
  429: ErrorCode.rateLimited,
}

export function errorBody(code: string, message: string): ApiErrorBody {
  return { error: { code, message } }
}

/** Every error leaves as the contract's `{error: {code, message}}`, never with a stack. */
export function installErrorHandling(app: App, options: { shell?: () => boolean } = {}): void {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    if (err instanceof AppError) {
      return reply.status(err.status).send(errorBody(err.code, err.message))
    }
    if ('validation' in err && err.validation) {
      return reply.status(400).send(errorBody(ErrorCode.invalidRequest, err.message))
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500
    if (status === 429) {
      return reply.status(429).send(errorBody(ErrorCode.rateLimited, err.message || 'Too many requests'))
    }
    if (status >= 400 && status < 500) {
      let message = err.message
      if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
        message = 'The request body is not valid JSON'
      } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        message = 'The request body is larger than 1 MiB'
      } else if (err instanceof SyntaxError) {
        message = 'The request body is not valid JSON'
      }
      return reply.status(status).send(errorBody(CODE_BY_STATUS[status] ?? ErrorCode.invalidRequest, message))
    }
    request.log.error({ err }, 'request failed')
    return reply.status(500).send(errorBody(ErrorCode.internal, 'Something went wrong on our side'))
  })

  app.setNotFoundHandler((request, reply) => {
    if (options.shell?.() && serveShell(request, reply)) return
    reply.status(404).send(errorBody(ErrorCode.notFound, `No route for ${request.method} ${request.url.split('?')[0]}`))
  })
}
