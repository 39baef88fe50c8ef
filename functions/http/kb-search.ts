import { httpRoute } from '#shared/handlers/http-route'
import { searchKb } from '#shared/knowledge/articles'

export const handler = httpRoute('POST /kb/search', async ({ deps, auth, body }) =>
  searchKb(deps.sql, deps.ai, auth, body),
)
