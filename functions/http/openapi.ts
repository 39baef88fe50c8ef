import { buildOpenApi } from '#shared/api/openapi'
import { httpRoute } from '#shared/handlers/http-route'

// Built once per container: the document only changes with a deploy.
let document: object | undefined

export const handler = httpRoute('GET /openapi.json', async () => {
  document ??= buildOpenApi()
  return document
})
