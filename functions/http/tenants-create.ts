import { httpRoute } from '#shared/http/route'
import { createTenant } from '#shared/services/tenants'

export const handler = httpRoute('POST /tenants', async ({ deps, auth, body }) =>
  createTenant(deps.sql, deps.dataKey, auth, body),
)
