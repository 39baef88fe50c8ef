import httpJsonBodyParser from '@middy/http-json-body-parser'
import { describe, expect, it } from 'vitest'
import { HttpError, NotFoundError, TooManyRequestsError, toHttpError } from '#shared/errors'
import { TransitionError } from '#shared/tickets/status'

/** The error middy's JSON body parser really throws for a body with this content type. */
async function parserError(contentType: string, body: string): Promise<unknown> {
  const request = { event: { headers: { 'content-type': contentType }, body }, context: {} }
  try {
    await (httpJsonBodyParser().before as (r: unknown) => unknown)(request)
  } catch (error) {
    return error
  }
  throw new Error('the parser accepted the body')
}

describe('Function: toHttpError', () => {
  it('keeps an HttpError as it is', () => {
    // Prepare
    const error = new TooManyRequestsError('slow down', 30)

    // Act / Assess
    expect(toHttpError(error)).toBe(error)
    expect(toHttpError(new NotFoundError('ticket'))).toMatchObject({ statusCode: 404, code: 'not_found' })
  })

  it('maps a domain error by what it declares: an illegal transition is a 409 conflict with from and to', () => {
    // Act
    const mapped = toHttpError(new TransitionError('closed', 'in_progress'))

    // Assess
    expect(mapped).toBeInstanceOf(HttpError)
    expect(mapped).toMatchObject({
      statusCode: 409,
      code: 'conflict',
      details: { from: 'closed', to: 'in_progress' },
    })
    expect(mapped?.message).toContain('closed')
  })

  it("keeps the meaning of middy's own errors: 415 for the media type, 400 invalid_json for bad JSON", async () => {
    // Act
    const mediaType = toHttpError(await parserError('text/plain', 'hello'))
    const malformed = toHttpError(await parserError('application/json', '{"oops": '))

    // Assess
    expect(mediaType).toMatchObject({ statusCode: 415, code: 'unsupported_media_type' })
    expect(malformed).toMatchObject({ statusCode: 400, code: 'invalid_json' })
  })

  it('gives any other declared client error the code of its status', () => {
    // Prepare
    const gone = Object.assign(new Error('article archived'), { statusCode: 404, expose: true as const })

    // Act / Assess
    expect(toHttpError(gone)).toMatchObject({
      statusCode: 404,
      code: 'not_found',
      message: 'article archived',
    })
  })

  it('leaves everything else to the generic 500: plain errors, unexposed and server errors', () => {
    // Prepare
    const unexposed = Object.assign(new Error('db password wrong'), { statusCode: 400 })

    // Act / Assess
    expect(toHttpError(new Error('boom'))).toBeUndefined()
    expect(toHttpError(unexposed)).toBeUndefined()
    expect(
      toHttpError(Object.assign(new Error('upstream'), { statusCode: 503, expose: true })),
    ).toBeUndefined()
    expect(toHttpError('a string')).toBeUndefined()
    expect(toHttpError(null)).toBeUndefined()
  })
})
