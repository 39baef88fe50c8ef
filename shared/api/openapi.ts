import * as z from 'zod'
import { routes } from '../routes.ts'
import { contract, type RouteSpec } from './contract.ts'

const ROLE_NOTE: Record<string, string> = {
  public: 'No authentication.',
  user: 'Any authenticated user or API key.',
  support_agent: 'Role support_agent or higher.',
  admin: 'Role admin or higher.',
  superadmin: 'Superadmin only.',
}

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      required: ['code', 'message'],
    },
  },
}

const toSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' })

/** A response schema: what handlers return, with Dates as the ISO strings JSON carries. */
const toResponseSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, {
    io: 'output',
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema._zod.def.type === 'date')
        Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time' })
    },
  })

function parameters(spec: RouteSpec) {
  const out: object[] = []
  for (const [where, schema] of [
    ['path', spec.params],
    ['query', spec.query],
  ] as const) {
    if (!schema) continue
    const json = toSchema(schema) as { properties?: Record<string, object>; required?: string[] }
    for (const [name, s] of Object.entries(json.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        schema: s,
      })
    }
  }
  return out
}

/** The document without its `servers`, which depend on the request: the rest is built once. */
type OpenApiDocument = ReturnType<typeof openApiDocument>

/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas of every route's request
 * and response, with `serverUrl` (where clients reach the API; see shared/http/origin.ts) as its server.
 */
export function withServer(document: OpenApiDocument, serverUrl: string): object {
  const { openapi, info, ...rest } = document
  return { openapi, info, servers: [{ url: serverUrl }], ...rest }
}

/** {@link withServer} of a fresh document. @internal */
export const buildOpenApi = (serverUrl = '/'): object => withServer(openApiDocument(), serverUrl)

/** The document without `servers`: the same for every request, so a handler builds it once. */
export function openApiDocument() {
  const paths: Record<string, Record<string, object>> = {}
  for (const route of routes) {
    const spec = (contract as Record<string, RouteSpec>)[`${route.method} ${route.path}`]
    if (!spec) continue
    const status = String(spec.status ?? (route.method === 'POST' ? 201 : 200))
    paths[route.path] ??= {}
    paths[route.path]![route.method.toLowerCase()] = {
      summary: spec.summary,
      description: ROLE_NOTE[route.auth],
      ...(route.auth === 'public' ? { security: [] } : {}),
      parameters: parameters(spec),
      ...(spec.body
        ? {
            requestBody: { required: true, content: { 'application/json': { schema: toSchema(spec.body) } } },
          }
        : {}),
      responses: {
        [status]: {
          description: status === '204' ? 'No content' : 'Success',
          ...(status === '204'
            ? {}
            : {
                content: {
                  [spec.contentType ?? 'application/json']: { schema: toResponseSchema(spec.response) },
                },
              }),
        },
        default: { description: 'Error', content: { 'application/json': { schema: errorSchema } } },
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Draftdesk API',
      version: '1.0.0',
      description: 'AI reply copilot for WHMCS support desks.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths,
  }
}
