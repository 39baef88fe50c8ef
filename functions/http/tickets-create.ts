import { httpRoute } from '#shared/handlers/http-route'
import { createTicket, ticketFor } from '#shared/tickets/tickets'

export const handler = httpRoute('POST /tickets', async ({ deps, auth, body, jobs }) => {
  const ticket = await createTicket(deps.sql, auth, body, jobs)
  return ticketFor(auth, ticket)
})
