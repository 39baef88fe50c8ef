import middy from '@middy/core'
import httpCors from '@middy/http-cors'
import httpEventNormalizer from '@middy/http-event-normalizer'
import httpHeaderNormalizer from '@middy/http-header-normalizer'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import httpSecurityHeaders from '@middy/http-security-headers'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda'
import type { z } from 'zod'
import { contract, type RouteKey } from '../api/contract.ts'
import { authenticate } from '../auth/authenticate.ts'
import { type AuthContext, hasRole } from '../auth/roles.ts'
import { type Deps, getDeps } from '../deps.ts'
import { ForbiddenError, PayloadTooLargeError, toHttpError, ValidationError } from '../errors.ts'
import { findUnsafeInput } from '../http/safe-input.ts'
import { addLogKeys, inLogScope, logger } from '../logger.ts'
import { handlerMiddlewares } from '../observability.ts'
import { type ClaimedJob, publishJobs } from '../queue/outbox.ts'
import { routeKey, routes } from '../routes.ts'

export const MAX_BODY_BYTES = 1024 * 1024

type Schemas = (typeof contract)[RouteKey]
type Parsed<S, K extends string> = S extends { [P in K]: z.ZodType } ? z.output<S[K]> : undefined

export interface RouteInput<K extends RouteKey> {
  params: Parsed<(typeof contract)[K], 'params'>
  query: Parsed<(typeof contract)[K], 'query'>
  body: Parsed<(typeof contract)[K], 'body'>
  /** The caller; `null` only on public routes. */
  auth: (typeof contract)[K] extends { public: true } ? null : AuthContext
  deps: Deps
  event: APIGatewayProxyEventV2
  /**
   * The outbox jobs this request enqueues: the handler passes it to the service that writes them, and
   * httpRoute publishes exactly these once the handler returned (its transactions committed).
   */
  jobs: ClaimedJob[]
}

/** A response with a status other than the route's default, or extra headers. */
class Reply {
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** A success body that is not JSON (an SVG diagram), sent as is with its media type. */
export class TextReply {
  constructor(
    readonly contentType: string,
    readonly text: string,
  ) {}
}

/** The raw body is kept beside the parsed one: webhook signatures are computed over the exact bytes. */
export type Event = APIGatewayProxyEventV2 & { rawBody?: string }
type Request = {
  event: Event
  context: Context
  response?: APIGatewayProxyStructuredResultV2 | null
  error?: unknown
}

/**
 * Builds the Lambda handler of one route. Auth level comes from the route table (shared/routes.ts),
 * schemas from the API contract (shared/api/contract.ts): a handler states only what it does.
 *
 * Middleware order follows middy's guidance: Powertools (logger context, metrics flush) → normalise →
 * size limit → JSON body → security headers → CORS → error mapper; the handler then authenticates and
 * validates with zod.
 *
 * Each request runs in its own log scope (shared/logger.ts), so every line written while it is handled,
 * by any module and any middleware, says whose it is: `route` and `requestId`, `tenantId` (null until the
 * caller is known) and `userId` once authenticated, `params` once validated.
 */
export function httpRoute<K extends RouteKey>(key: K, fn: (input: RouteInput<K>) => Promise<unknown>) {
  const route = routes.find((r) => routeKey(r) === key)
  if (!route) throw new Error(`route ${key} is not in shared/routes.ts`)
  const spec = contract[key] as Schemas & {
    params?: z.ZodType
    query?: z.ZodType
    body?: z.ZodType
    status?: number
  }
  const successStatus = spec.status ?? (route.method === 'POST' ? 201 : 200)

  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({
    timeoutEarlyInMillis: 0,
  })
    .use(handlerMiddlewares('http'))
    .use(httpHeaderNormalizer())
    .use(httpEventNormalizer())
    .use(bodyLimit(Boolean(spec.body)))
    // Routes without a body schema ignore whatever body is sent, rather than failing on its media type.
    .use(spec.body ? [httpJsonBodyParser()] : [])
    .use(httpSecurityHeaders())
    .use(corsFromConfig())
    // Registered last so its onError runs first and the CORS/security middlewares decorate its response.
    .use(errorMapper())
    .handler(async (event: Event) => {
      const deps = await getDeps()
      let auth: AuthContext | null = null
      if (route.auth !== 'public') {
        auth = await authenticate(deps, event.headers)
        addLogKeys({ tenantId: auth.tenantId, userId: auth.userId })
        if (!hasRole(auth.role, route.auth)) throw new ForbiddenError()
      }
      const jobs: ClaimedJob[] = []
      const input = {
        params: parse(spec.params, event.pathParameters ?? {}, 'path'),
        query: parse(spec.query, event.queryStringParameters ?? {}, 'query'),
        // A JSON `null` body stays null (a 400 from the schema), not `{}` that an all-optional schema accepts.
        body: parse(spec.body, event.body, 'body'),
        auth,
        deps,
        event,
        jobs,
      } as unknown as RouteInput<K>
      if (input.params !== undefined) addLogKeys({ params: input.params })
      // Published even when the handler failed after a transaction of it committed; a failed publish is
      // logged and left to the outbox sweep, never the request's error.
      const result = await fn(input).finally(() => publishJobs(deps, jobs))
      if (result instanceof Reply) return json(result.statusCode, result.body, result.headers)
      if (result instanceof TextReply)
        return {
          statusCode: successStatus,
          headers: { 'content-type': result.contentType },
          body: result.text,
        }
      return json(successStatus, result)
    })
  return (event: APIGatewayProxyEventV2, context: Context) =>
    inLogScope({ route: key, requestId: event.requestContext?.requestId, tenantId: null }, () =>
      handler(event, context),
    )
}

/**
 * @middy/http-cors with the origins of the configuration this process runs with (`CORS_ORIGINS`, parsed
 * in shared/config.ts): Lambda's environment, or the local runtime's own, which tests set per runtime.
 * The configuration is known once the deps are, after the handler is built; one middleware per
 * distinct setting.
 */
function corsFromConfig(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  const byOrigins = new Map<string, middy.MiddlewareObj>()
  const cors = async () => {
    const origins = (await getDeps()).config.CORS_ORIGINS
    let middleware = byOrigins.get(origins)
    if (!middleware) {
      middleware = httpCors({ origins: origins.split(','), headers: 'authorization,content-type,x-api-key' })
      byOrigins.set(origins, middleware)
    }
    return middleware
  }
  return {
    before: async (request) => (await cors()).before?.(request as middy.Request),
    after: async (request) => (await cors()).after?.(request as middy.Request),
    // A failed cold start (no deps, no config) still gets its error response, without CORS headers.
    onError: async (request) => (await cors().catch(() => undefined))?.onError?.(request as middy.Request),
  }
}

/**
 * Validates one part of the request. Text Postgres cannot store and over-deep structures are refused
 * first, whatever the schema says (free-form fields such as tenant settings included); then the schema.
 */
function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined
  const unsafe = findUnsafeInput(value)
  if (unsafe.length > 0) {
    throw new ValidationError(
      unsafe.map((i) => ({ in: where, path: i.path.join('.'), message: i.message, code: i.code })),
    )
  }
  const result = schema.safeParse(value)
  if (!result.success) {
    throw new ValidationError(
      result.error.issues.map((i) => ({
        in: where,
        path: i.path.join('.'),
        message: i.message,
        code: i.code,
      })),
    )
  }
  return result.data
}

function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  if (statusCode === 204) return { statusCode, headers }
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }
}

/**
 * Keeps the raw body (webhook signatures need the exact bytes) and rejects bodies over 1 MiB. A route that
 * takes a body but got none is validated as `{}`: an empty POST then passes when every field is optional
 * and fails with the zod issues otherwise, instead of a content-type error.
 */
function bodyLimit(takesBody: boolean): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: (request) => {
      const event = request.event as Event
      if (takesBody && (event.body === undefined || event.body === '')) {
        event.body = '{}'
        event.isBase64Encoded = false
        event.headers['content-type'] ??= 'application/json'
      }
      if (typeof event.body !== 'string') return
      const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body
      if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES)
      event.rawBody = raw
    },
  }
}

/**
 * The one place errors become responses: `{ error: { code, message, details? } }`. Whatever declares
 * itself a client error keeps its status (see `toHttpError`); anything else is a logged, generic 500.
 * Written here instead of @middy/http-error-handler because that one answers in plain text.
 */
function errorMapper(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: (request) => {
      const { error } = request as Request
      const mapped = toHttpError(error)
      if (!mapped || mapped.statusCode >= 500)
        logger.error('unhandled error', { error: error as Error, path: request.event?.rawPath })
      const status = mapped?.statusCode ?? 500
      const body = mapped
        ? {
            code: mapped.code,
            message: mapped.message,
            ...(mapped.details ? { details: mapped.details } : {}),
          }
        : { code: 'internal_error', message: 'internal server error' }
      const headers: Record<string, string> = {}
      if (mapped && 'retryAfterSeconds' in mapped) headers['retry-after'] = String(mapped.retryAfterSeconds)
      request.response = json(status, { error: body }, headers)
    },
  }
}
