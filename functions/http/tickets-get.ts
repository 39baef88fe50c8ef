import { httpRoute } from '#shared/http/route'
import { viewTicket } from '#shared/tickets/tickets'

export const handler = httpRoute('GET /tickets/{id}', async ({ deps, auth, params }) =>
  viewTicket(deps.sql, auth, params.id),
)
