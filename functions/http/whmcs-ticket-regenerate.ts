import { httpRoute } from '#shared/handlers/http-route'
import { regenerateWhmcsTicketDraft } from '#shared/whmcs/panel'

/** The WHMCS panel's Regenerate (x-api-key): a new draft for the ticket WHMCS knows by this id. */
export const handler = httpRoute(
  'POST /integrations/whmcs/tickets/{whmcsTicketId}/drafts',
  async ({ deps, auth, params, jobs }) =>
    regenerateWhmcsTicketDraft(deps.sql, auth, params.whmcsTicketId, jobs),
)
