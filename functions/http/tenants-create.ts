import { httpRoute } from '#shared/http/route'
import { createTenant } from '#shared/identity/tenants'

export const handler = httpRoute('POST /tenants', async ({ deps, auth, body }) =>
  createTenant(deps.sql, deps.dataKey, auth, body),
)
