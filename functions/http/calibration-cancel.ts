import { actingTenant } from '#shared/auth/scope'
import { cancelRun } from '#shared/calibration/runs'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute(
  'POST /calibration/runs/{id}/cancel',
  async ({ deps, auth, query, params }) => cancelRun(deps.sql, actingTenant(auth, query.tenantId), params.id),
)
