import { page } from '#shared/api/common'
import { httpRoute } from '#shared/handlers/http-route'
import { listTickets } from '#shared/tickets/tickets'

export const handler = httpRoute('GET /tickets', async ({ deps, auth, query }) =>
  page(await listTickets(deps.sql, auth, query), query.limit),
)
