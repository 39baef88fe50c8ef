import { page } from '#shared/api/common'
import { actingTenant } from '#shared/auth/scope'
import { listVersions } from '#shared/calibration/view'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('GET /calibration/versions', async ({ deps, auth, query }) =>
  page(await listVersions(deps.sql, actingTenant(auth, query.tenantId), query), query.limit),
)
