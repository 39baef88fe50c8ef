import { httpRoute } from '#shared/handlers/http-route'
import { updateArticle } from '#shared/knowledge/articles'

export const handler = httpRoute('PATCH /kb/articles/{id}', async ({ deps, auth, params, body, jobs }) =>
  updateArticle(deps.sql, auth, params.id, body, jobs),
)
