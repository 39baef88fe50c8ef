import { httpRoute } from '#shared/handlers/http-route'
import { rejectDraft } from '#shared/review/review'

export const handler = httpRoute('POST /drafts/{id}/reject', async ({ deps, auth, params, body }) =>
  rejectDraft(deps.sql, auth, params.id, body.reason),
)
