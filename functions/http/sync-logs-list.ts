import { page } from '#shared/api/common'
import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/handlers/http-route'
import { listSyncLogs } from '#shared/whmcs/sync-logs'

export const handler = httpRoute('GET /integrations/sync-logs', async ({ deps, auth, query }) =>
  page(await listSyncLogs(deps.sql, actingTenant(auth, query.tenantId), query), query.limit),
)
