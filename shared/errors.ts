/**
 * Error classes with an HTTP status. Services throw these; the error middleware in shared/handlers/http-route.ts
 * is the one place that turns them into responses (through {@link toHttpError}). 5xx details never reach
 * the client.
 */
export class HttpError extends Error {
  readonly expose = true
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = new.target.name
  }
}

export class BadRequestError extends HttpError {
  constructor(message = 'bad request', details?: unknown) {
    super(400, 'bad_request', message, details)
  }
}

export class ValidationError extends HttpError {
  constructor(details: unknown, message = 'request validation failed') {
    super(400, 'validation_failed', message, details)
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'authentication required') {
    super(401, 'unauthorized', message)
  }
}

export class ForbiddenError extends HttpError {
  constructor(message = 'your role does not allow this') {
    super(403, 'forbidden', message)
  }
}

export class NotFoundError extends HttpError {
  constructor(what = 'resource') {
    super(404, 'not_found', `${what} not found`)
  }
}

/** The row a lookup found, or a 404 naming what is missing: `found(await sql\`SELECT …\`, 'ticket')`. */
export function found<T>(rows: readonly T[], what: string): T {
  const [row] = rows
  if (row === undefined) throw new NotFoundError(what)
  return row
}

export class ConflictError extends HttpError {
  constructor(message: string, details?: unknown) {
    super(409, 'conflict', message, details)
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limit: number) {
    super(413, 'payload_too_large', `request body exceeds ${limit} bytes`)
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'too_many_requests', message)
  }
}

/** The response `code` of each status a client error can carry. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
}

/** What a client error from outside this module looks like: domain errors and middy's own both do. */
interface ExposedError {
  statusCode: number
  expose: true
  message: string
  details?: unknown
}

function isExposed(error: unknown): error is ExposedError {
  const e = error as Partial<ExposedError> | null
  return (
    typeof e === 'object' &&
    e !== null &&
    e.expose === true &&
    typeof e.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500
  )
}

/**
 * The HttpError a thrown value stands for, or `undefined` for a 500. HttpErrors are themselves. Errors of
 * other layers map by what they declare: `expose: true` with a 4xx `statusCode` (and maybe `details`), as
 * domain errors such as `TransitionError` (409) and middy's own errors (415 for the media type) do; the
 * code is the one of that status. Middy reports malformed JSON as a 415 too, but it is bad input: 400
 * `invalid_json`.
 */
export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error
  if (!isExposed(error)) return undefined
  if (/malformed JSON/i.test(error.message)) return new HttpError(400, 'invalid_json', error.message)
  const code = CODE_BY_STATUS[error.statusCode] ?? 'bad_request'
  return new HttpError(error.statusCode, code, error.message, error.details)
}
