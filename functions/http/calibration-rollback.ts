import { actingTenant } from '#shared/auth/scope'
import { calibrationView, rollback } from '#shared/calibration/view'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('POST /calibration/rollback', async ({ deps, auth, query }) => {
  const tenantId = actingTenant(auth, query.tenantId)
  await rollback(deps.sql, auth, tenantId)
  return calibrationView(deps.sql, deps.ai, tenantId)
})
