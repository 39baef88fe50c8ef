import { actingTenant } from '#shared/auth/scope'
import { gapSuggestion } from '#shared/calibration/gaps'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute(
  'POST /knowledge-gaps/{id}/suggestion',
  async ({ deps, auth, query, params }) =>
    gapSuggestion(deps.sql, actingTenant(auth, query.tenantId), params.id),
)
