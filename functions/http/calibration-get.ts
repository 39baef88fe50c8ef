import { actingTenant } from '#shared/auth/scope'
import { calibrationView } from '#shared/calibration/view'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('GET /calibration', async ({ deps, auth, query }) =>
  calibrationView(deps.sql, deps.ai, actingTenant(auth, query.tenantId)),
)
