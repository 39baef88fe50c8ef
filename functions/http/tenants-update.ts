import { httpRoute } from '#shared/handlers/http-route'
import { whmcsPolicy } from '#shared/http/outbound-policy'
import { updateTenant } from '#shared/identity/tenants'

export const handler = httpRoute('PATCH /tenants/{id}', async ({ deps, auth, params, body }) =>
  updateTenant(deps.sql, deps.dataKey, auth, params.id, body, whmcsPolicy(deps.config)),
)
