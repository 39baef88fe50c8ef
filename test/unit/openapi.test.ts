import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { buildOpenApi } from '#shared/api/openapi'
import { publicOrigin } from '#shared/http/origin'
import { routes } from '#shared/routes'

interface JsonSchema {
  properties?: Record<string, JsonSchema & { deprecated?: boolean; description?: string }>
}
interface Operation {
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>
}
interface Document {
  servers: Array<{ url: string }>
  paths: Record<string, Record<string, Operation>>
}

const doc = (url?: string) => buildOpenApi(url) as Document
const okSchema = (path: string, method: string, status: string) =>
  doc().paths[path]![method]!.responses[status]!.content!['application/json']!.schema

describe('The OpenAPI document', () => {
  it('describes the success body of every route, and none for a 204', () => {
    // Act
    const { paths } = doc()
    // Assess
    for (const route of routes) {
      const responses = paths[route.path]![route.method.toLowerCase()]!.responses
      const [status, ok] = Object.entries(responses).find(([s]) => s !== 'default')!
      const label = `${route.method} ${route.path}`
      if (status === '204') expect(ok.content, label).toBeUndefined()
      else {
        // JSON, or the one other media type a route declares (the reliability diagram's SVG)
        const [media, body] = Object.entries(ok.content ?? {})[0] ?? []
        expect(media, label).toBe(route.path.endsWith('.svg') ? 'image/svg+xml' : 'application/json')
        const schema = body?.schema ?? {}
        expect(
          ['type', 'anyOf', 'oneOf'].filter((k) => k in schema),
          label,
        ).not.toEqual([])
      }
    }
  })

  it('names the server it is served from', () => {
    expect(doc('https://desk.example.com').servers).toEqual([{ url: 'https://desk.example.com' }])
  })

  it('names the approval’s similarity editSimilarity and marks the old editDistance deprecated', () => {
    // Act
    const approval = okSchema('/drafts/{id}/approve', 'post', '201')
    // Assess
    expect(approval.properties!.editSimilarity!.description).toMatch(/1 = unchanged/)
    expect(approval.properties!.editSimilarity!.deprecated).toBeUndefined()
    expect(approval.properties!.editDistance!.deprecated).toBe(true)
  })
})

describe('Function: publicOrigin (the OpenAPI server)', () => {
  const event = (headers: Record<string, string>, domainName?: string) =>
    ({ headers, requestContext: { domainName } }) as unknown as APIGatewayProxyEventV2

  it('is PUBLIC_URL when the operator set it', () => {
    expect(publicOrigin(event({ host: '127.0.0.1:3000' }), 'https://desk.example.com')).toBe(
      'https://desk.example.com',
    )
  })

  it('is the request’s own origin otherwise, with the scheme the edge saw', () => {
    expect(publicOrigin(event({ host: '127.0.0.1:3000' }), undefined)).toBe('http://127.0.0.1:3000')
    expect(
      publicOrigin(
        event({ 'x-forwarded-proto': 'https', host: 'x' }, 'abc.execute-api.eu-west-1.amazonaws.com'),
        undefined,
      ),
    ).toBe('https://abc.execute-api.eu-west-1.amazonaws.com')
    expect(publicOrigin(event({ host: '[::1]:3000' }), undefined)).toBe('http://[::1]:3000')
  })

  it('falls back to the relative server "/" rather than echo a host header that is not a host', () => {
    expect(publicOrigin(event({ host: 'evil.test/"><script>' }), undefined)).toBe('/')
    expect(publicOrigin(event({ host: 'a.test', 'x-forwarded-proto': 'javascript' }), undefined)).toBe('/')
    expect(publicOrigin(event({}), undefined)).toBe('/')
  })
})
