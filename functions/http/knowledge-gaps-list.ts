import { actingTenant } from '#shared/auth/scope'
import { listGaps } from '#shared/calibration/gaps'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('GET /knowledge-gaps', async ({ deps, auth, query }) =>
  listGaps(deps.sql, actingTenant(auth, query.tenantId)),
)
