import { httpRoute } from '#shared/handlers/http-route'
import { flushOutbox } from '#shared/queue/outbox'
import { approveDraft } from '#shared/review/review'

export const handler = httpRoute('POST /drafts/{id}/approve', async ({ deps, auth, params, body }) => {
  const approval = await approveDraft(deps, auth, params.id, body)
  // After commit: the learning (and WHMCS send) jobs reach their queues now, or the outbox sweep retries.
  await flushOutbox(deps)
  return approval
})
