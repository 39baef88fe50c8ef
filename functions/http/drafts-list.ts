import { viewTicketDrafts } from '#shared/drafts/view'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('GET /tickets/{id}/drafts', async ({ deps, auth, params }) =>
  viewTicketDrafts(deps.sql, auth, params.id),
)
