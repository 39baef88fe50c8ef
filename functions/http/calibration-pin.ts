import { actingTenant } from '#shared/auth/scope'
import { calibrationView, pinVersion } from '#shared/calibration/view'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute(
  'POST /calibration/versions/{id}/pin',
  async ({ deps, auth, query, params }) => {
    const tenantId = actingTenant(auth, query.tenantId)
    await pinVersion(deps.sql, auth, tenantId, params.id)
    return calibrationView(deps.sql, deps.ai, tenantId)
  },
)
