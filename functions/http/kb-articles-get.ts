import { httpRoute } from '#shared/handlers/http-route'
import { getArticle } from '#shared/knowledge/articles'

export const handler = httpRoute('GET /kb/articles/{id}', async ({ deps, auth, params }) =>
  getArticle(deps.sql, auth, params.id),
)
