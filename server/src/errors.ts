import { ErrorCode } from '../../shared/constants.js'

/** An error with a contract error code; the HTTP layer turns it into JSON. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const badRequest = (message: string) => new AppError(400, ErrorCode.invalidRequest, message)
export const unauthenticated = (message = 'A valid token is required') =>
  new AppError(401, ErrorCode.unauthenticated, message)
export const forbidden = (message = 'You may not do that', code: string = ErrorCode.forbidden) =>
  new AppError(403, code, message)
export const guestForbidden = (message = 'Guests may not do that') =>
  new AppError(403, ErrorCode.guestForbidden, message)
export const notFound = (what = 'Resource') => new AppError(404, ErrorCode.notFound, `${what} not found`)
export const conflict = (message: string, code: string = ErrorCode.conflict) => new AppError(409, code, message)
export const gone = (code: string, message: string) => new AppError(410, code, message)
