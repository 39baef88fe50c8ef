import { httpRoute } from '#shared/handlers/http-route'
import { deleteArticle } from '#shared/knowledge/articles'

export const handler = httpRoute('DELETE /kb/articles/{id}', async ({ deps, auth, params, jobs }) => {
  await deleteArticle(deps.sql, auth, params.id, jobs)
  return null
})
