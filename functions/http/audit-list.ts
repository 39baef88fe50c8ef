import { page } from '#shared/api/common'
import { listAudit } from '#shared/audit/query'
import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('GET /audit', async ({ deps, auth, query }) =>
  page(await listAudit(deps.sql, actingTenant(auth, query.tenantId), query), query.limit),
)
