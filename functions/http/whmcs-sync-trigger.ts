import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/handlers/http-route'
import { requestManualSync } from '#shared/whmcs/sync-logs'

export const handler = httpRoute('POST /integrations/whmcs/sync', async ({ deps, auth, query, jobs }) =>
  requestManualSync(deps.sql, actingTenant(auth, query.tenantId), auth.userId, jobs),
)
