import { httpRoute } from '#shared/handlers/http-route'
import { approveDraft } from '#shared/review/review'

export const handler = httpRoute('POST /drafts/{id}/approve', async ({ deps, auth, params, body, jobs }) =>
  // The learning (and WHMCS send) jobs reach their queues after commit (httpRoute publishes `jobs`).
  approveDraft(deps, auth, params.id, body, jobs),
)
