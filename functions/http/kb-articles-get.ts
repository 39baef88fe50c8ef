import { httpRoute } from '#shared/http/route'
import { getArticle } from '#shared/services/kb'

export const handler = httpRoute('GET /kb/articles/{id}', async ({ deps, auth, params }) =>
  getArticle(deps.sql, auth, params.id),
)
