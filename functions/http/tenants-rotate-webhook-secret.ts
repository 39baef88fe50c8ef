import { httpRoute } from '#shared/handlers/http-route'
import { rotateWebhookSecret } from '#shared/identity/tenants'

export const handler = httpRoute('POST /tenants/{id}/webhook-secret', async ({ deps, auth, params }) =>
  rotateWebhookSecret(deps.sql, deps.dataKey, auth, params.id),
)
