import { httpRoute } from '#shared/http/route'
import { updateTicket } from '#shared/services/tickets'

export const handler = httpRoute('PATCH /tickets/{id}', async ({ deps, auth, params, body }) =>
  updateTicket(deps.sql, auth, params.id, body),
)
