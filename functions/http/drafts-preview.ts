import { previewForCaller } from '#shared/drafts/preview'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('POST /drafts/preview', async ({ deps, auth, body }) =>
  previewForCaller(deps, auth, body),
)
