import { actingTenant } from '#shared/auth/scope'
import { reliabilitySvg } from '#shared/calibration/view'
import { httpRoute, TextReply } from '#shared/handlers/http-route'

export const handler = httpRoute(
  'GET /calibration/reliability.svg',
  async ({ deps, auth, query }) =>
    new TextReply(
      'image/svg+xml',
      await reliabilitySvg(deps.sql, deps.ai, actingTenant(auth, query.tenantId)),
    ),
)
