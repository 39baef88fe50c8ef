import { httpRoute } from '#shared/handlers/http-route'
import { getWhmcsTicketDraft } from '#shared/whmcs/panel'

/** For the WHMCS admin panel (x-api-key): the draft of the ticket WHMCS knows by this id. */
export const handler = httpRoute(
  'GET /integrations/whmcs/tickets/{whmcsTicketId}/draft',
  async ({ deps, auth, params }) =>
    getWhmcsTicketDraft(deps.sql, auth.tenantId, params.whmcsTicketId, deps.config.PUBLIC_URL),
)
