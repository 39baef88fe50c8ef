import { httpRoute } from '#shared/handlers/http-route'
import { createApiKey } from '#shared/identity/api-keys'

export const handler = httpRoute('POST /api-keys', async ({ deps, auth, body }) =>
  createApiKey(deps.sql, auth, body),
)
