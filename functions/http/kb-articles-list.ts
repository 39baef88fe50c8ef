import { page } from '#shared/api/common'
import { httpRoute } from '#shared/handlers/http-route'
import { listArticles } from '#shared/knowledge/articles'

export const handler = httpRoute('GET /kb/articles', async ({ deps, auth, query }) =>
  page(await listArticles(deps.sql, auth, query), query.limit),
)
