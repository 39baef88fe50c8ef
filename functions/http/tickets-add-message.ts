import { httpRoute } from '#shared/handlers/http-route'
import { flushOutbox } from '#shared/queue/outbox'
import { addMessage, messageFor } from '#shared/tickets/tickets'

export const handler = httpRoute('POST /tickets/{id}/messages', async ({ deps, auth, params, body }) => {
  const message = await addMessage(deps.sql, auth, params.id, body)
  await flushOutbox(deps)
  return messageFor(auth, message)
})
