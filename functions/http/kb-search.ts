import { httpRoute } from '#shared/http/route'
import { searchKb } from '#shared/services/kb'

export const handler = httpRoute('POST /kb/search', async ({ deps, auth, body }) =>
  searchKb(deps.sql, deps.ai, auth, body),
)
