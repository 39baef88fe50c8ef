import { requestRegeneration } from '#shared/drafts/requests'
import { httpRoute } from '#shared/handlers/http-route'
import { flushOutbox } from '#shared/queue/outbox'

export const handler = httpRoute('POST /tickets/{id}/drafts', async ({ deps, auth, params }) => {
  const queued = await requestRegeneration(deps.sql, auth, params.id)
  await flushOutbox(deps)
  return queued
})
