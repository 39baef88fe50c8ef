import { describe, expect, it } from 'vitest'
import { buildOpenApi } from '#shared/api/openapi'

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>
}
interface JsonSchema {
  properties?: Record<string, JsonSchema & { deprecated?: boolean; description?: string }>
}

const doc = () => buildOpenApi() as { paths: Record<string, Record<string, Operation>> }
const okSchema = (path: string, method: string, status: string) =>
  doc().paths[path]![method]!.responses[status]!.content!['application/json']!.schema

describe('The OpenAPI document', () => {
  it('names the approval’s similarity editSimilarity and marks the old editDistance deprecated', () => {
    // Act
    const approval = okSchema('/drafts/{id}/approve', 'post', '201')
    // Assess
    expect(approval.properties!.editSimilarity!.description).toMatch(/1 = unchanged/)
    expect(approval.properties!.editSimilarity!.deprecated).toBeUndefined()
    expect(approval.properties!.editDistance!.deprecated).toBe(true)
  })
})
