import { actingTenant } from '#shared/auth/scope'
import { calibrationView, setBudget } from '#shared/calibration/view'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('PUT /calibration/settings', async ({ deps, auth, query, body }) => {
  const tenantId = actingTenant(auth, query.tenantId)
  await setBudget(deps.sql, auth, tenantId, body.budget)
  return calibrationView(deps.sql, deps.ai, tenantId)
})
