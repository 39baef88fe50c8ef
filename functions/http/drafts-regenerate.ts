import { requestRegeneration } from '#shared/drafts/requests'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('POST /tickets/{id}/drafts', async ({ deps, auth, params, jobs }) =>
  requestRegeneration(deps.sql, auth, params.id, jobs),
)
