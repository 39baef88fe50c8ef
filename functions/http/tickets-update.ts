import { httpRoute } from '#shared/handlers/http-route'
import { updateTicket } from '#shared/tickets/tickets'

export const handler = httpRoute('PATCH /tickets/{id}', async ({ deps, auth, params, body }) =>
  updateTicket(deps.sql, auth, params.id, body),
)
