import { httpRoute } from '#shared/handlers/http-route'
import { addMessage, messageFor } from '#shared/tickets/tickets'

export const handler = httpRoute(
  'POST /tickets/{id}/messages',
  async ({ deps, auth, params, body, jobs }) => {
    const message = await addMessage(deps.sql, auth, params.id, body, jobs)
    return messageFor(auth, message)
  },
)
