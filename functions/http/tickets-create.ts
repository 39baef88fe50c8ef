import { httpRoute } from '#shared/handlers/http-route'
import { flushOutbox } from '#shared/queue/outbox'
import { createTicket, ticketFor } from '#shared/tickets/tickets'

export const handler = httpRoute('POST /tickets', async ({ deps, auth, body }) => {
  const ticket = await createTicket(deps.sql, auth, body)
  await flushOutbox(deps)
  return ticketFor(auth, ticket)
})
