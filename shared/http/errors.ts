/**
 * Error classes with an HTTP status. Services throw these; the error middleware in shared/http/route.ts
 * is the one place that turns them into responses. 5xx details never reach the client.
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
