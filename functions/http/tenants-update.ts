import { whmcsPolicy } from '#shared/http/outbound-policy'
import { httpRoute } from '#shared/http/route'
import { updateTenant } from '#shared/identity/tenants'

export const handler = httpRoute('PATCH /tenants/{id}', async ({ deps, auth, params, body }) =>
  updateTenant(deps.sql, deps.dataKey, auth, params.id, body, whmcsPolicy(deps.config)),
)
