import { httpRoute } from '#shared/handlers/http-route'
import { createTenant } from '#shared/identity/tenants'

export const handler = httpRoute('POST /tenants', async ({ deps, auth, body }) =>
  createTenant(deps.sql, deps.dataKey, auth, body),
)
