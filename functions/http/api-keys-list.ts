import { page } from '#shared/api/common'
import { httpRoute } from '#shared/handlers/http-route'
import { listApiKeys } from '#shared/identity/api-keys'

export const handler = httpRoute('GET /api-keys', async ({ deps, auth, query }) =>
  page(await listApiKeys(deps.sql, auth.tenantId, query.cursor, query.limit), query.limit),
)
