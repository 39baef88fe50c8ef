import { actingTenant } from '#shared/auth/scope'
import { calibrationView, unpin } from '#shared/calibration/view'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('DELETE /calibration/pin', async ({ deps, auth, query }) => {
  const tenantId = actingTenant(auth, query.tenantId)
  await unpin(deps.sql, auth, tenantId)
  return calibrationView(deps.sql, deps.ai, tenantId)
})
