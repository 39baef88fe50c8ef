import { httpRoute } from '#shared/handlers/http-route'
import { markDraftNotHelpful } from '#shared/whmcs/panel'

/** The WHMCS panel's Not helpful (x-api-key): a rejection with the agent's reason, channel `whmcs`. */
export const handler = httpRoute(
  'POST /integrations/whmcs/drafts/{id}/not-helpful',
  async ({ deps, auth, params, body }) => markDraftNotHelpful(deps.sql, auth, params.id, body.reason),
)
