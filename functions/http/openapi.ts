import { openApiDocument, withServer } from '#shared/api/openapi'
import { httpRoute } from '#shared/handlers/http-route'
import { publicOrigin } from '#shared/http/origin'

// Built once per container: the document only changes with a deploy. Its server is the caller's origin.
let document: ReturnType<typeof openApiDocument> | undefined

export const handler = httpRoute('GET /openapi.json', async ({ deps, event }) => {
  document ??= openApiDocument()
  return withServer(document, publicOrigin(event, deps.config.PUBLIC_URL))
})
