import { httpRoute } from '#shared/handlers/http-route'
import { deleteArticle } from '#shared/knowledge/articles'
import { flushOutbox } from '#shared/queue/outbox'

export const handler = httpRoute('DELETE /kb/articles/{id}', async ({ deps, auth, params }) => {
  await deleteArticle(deps.sql, auth, params.id)
  await flushOutbox(deps)
  return null
})
