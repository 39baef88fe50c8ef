import { page } from '#shared/api/common'
import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/http/route'
import { listAudit } from '#shared/services/audit-query'

export const handler = httpRoute('GET /audit', async ({ deps, auth, query }) =>
  page(await listAudit(deps.sql, actingTenant(auth, query.tenantId), query), query.limit),
)
