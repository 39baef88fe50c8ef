import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda'
import { MAX_BODY_BYTES } from '#shared/handlers/http-route'
import { logger, withLogKeys } from '#shared/logger'
import type { RouteDef } from '#shared/routes'

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>

interface CompiledRoute {
  def: RouteDef
  pattern: RegExp
  params: string[]
}

/** Compiles `/tickets/{id}` into a matcher; literal segments win over parameters when both match. */
function compile(def: RouteDef): CompiledRoute {
  const params: string[] = []
  const source = def.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    params.push(name)
    return '([^/]+)'
  })
  return { def, pattern: new RegExp(`^${source}$`), params }
}

/**
 * The local API Gateway: turns Node HTTP requests into payload-v2 events for the same Lambda handlers that
 * run in AWS, and their results back into responses.
 */
export function createApiServer(
  routes: readonly RouteDef[],
  load: (def: RouteDef) => Promise<HttpHandler>,
  corsOrigins = '*',
  /** Paths served before the API's (the console under /app/); true when it answered the request. */
  serveStatic?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean,
): Server {
  const compiled = routes.map(compile).sort((a, b) => a.params.length - b.params.length)
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now()
    const requestId = randomUUID()
    try {
      const url = new URL(req.url ?? '/', 'http://local')
      const method = req.method ?? 'GET'
      if (serveStatic?.(req, res, url)) return
      if (method === 'OPTIONS') return preflight(res, corsOrigins)
      const matches = compiled.filter((r) => r.pattern.test(url.pathname))
      const route = matches.find((r) => r.def.method === method)
      if (!route) {
        const status = matches.length ? 405 : 404
        const code = status === 404 ? 'not_found' : 'method_not_allowed'
        return send(res, errorResult(status, code, `no route for ${method} ${url.pathname}`), requestId)
      }
      const values = route.pattern.exec(url.pathname)!.slice(1)
      const pathValues = decodePath(values)
      if (!pathValues) {
        const message = 'the path is not valid percent-encoded UTF-8'
        return send(res, errorResult(400, 'bad_request', message), requestId)
      }
      const body = await readBody(req)
      const event = toEvent(req, url, route, pathValues, body, requestId)
      const handler = await load(route.def)
      const result = await handler(event, httpContext(requestId))
      send(res, result, requestId)
    } catch (error) {
      logger.error('local server error', { error: error as Error })
      send(res, errorResult(500, 'internal_error', 'internal server error'), requestId)
    } finally {
      logger.debug('request', {
        method: req.method,
        url: req.url,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      })
    }
  }
  // One log scope per request; the route's handler joins it, so this file's lines carry its tenant too.
  return createServer((req, res) => withLogKeys({ tenantId: null }, () => serve(req, res)))
}

/** Percent-decoded path parameters, or null when one is not valid percent-encoded UTF-8 (`%E0%A4%A`). */
function decodePath(values: string[]): string[] | null {
  try {
    return values.map((v) => decodeURIComponent(v))
  } catch {
    return null
  }
}

/** An error answered by the local gateway itself, in the API's error format. */
const errorResult = (
  statusCode: number,
  code: string,
  message: string,
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  body: JSON.stringify({ error: { code, message } }),
  headers: { 'content-type': 'application/json' },
})

/**
 * Reads at most 1 MiB + 1 byte: enough for the handler to see "too large" and answer 413 in the usual
 * error format, without buffering whatever a client chooses to send.
 */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    if (size > MAX_BODY_BYTES) continue // drain the rest, keep nothing
    chunks.push(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  if (size === 0) return undefined
  return Buffer.concat(chunks)
    .subarray(0, MAX_BODY_BYTES + 1)
    .toString('utf8')
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  route: CompiledRoute,
  values: string[],
  body: string | undefined,
  requestId: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v
  const query: Record<string, string> = {}
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`
  const pathParameters = Object.fromEntries(route.params.map((p, i) => [p, values[i]!]))
  const now = Date.now()
  return {
    version: '2.0',
    routeKey: `${route.def.method} ${route.def.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(route.params.length ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: route.def.method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: `${route.def.method} ${route.def.path}`,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
  }
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2, requestId: string): void {
  res.statusCode = result.statusCode ?? 200
  // A header set to undefined means "none" (middy's security headers unset Server and X-Powered-By that
  // way); API Gateway drops it when it serialises the result, so must we, not send "undefined".
  for (const [k, v] of Object.entries(result.headers ?? {})) {
    if (v !== undefined && v !== null) res.setHeader(k, String(v))
  }
  res.setHeader('x-request-id', requestId)
  res.end(result.body ?? '')
}

function preflight(res: ServerResponse, corsOrigins: string): void {
  res.writeHead(204, {
    'access-control-allow-origin': corsOrigins,
    'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
    'access-control-allow-headers': 'authorization,content-type,x-api-key',
    'access-control-max-age': '600',
  })
  res.end()
}

function httpContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'draftdesk-local-http',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:http',
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: '/local/http',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 29_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  }
}
