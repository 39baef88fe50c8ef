import { httpRoute } from '#shared/handlers/http-route'
import { createArticle } from '#shared/knowledge/articles'

export const handler = httpRoute('POST /kb/articles', async ({ deps, auth, body, jobs }) =>
  createArticle(deps.sql, auth, body, jobs),
)
