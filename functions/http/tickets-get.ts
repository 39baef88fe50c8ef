import { viewTicket } from '#shared/drafts/view'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('GET /tickets/{id}', async ({ deps, auth, params }) =>
  viewTicket(deps.sql, auth, params.id),
)
