import { httpRoute } from '#shared/http/route'
import { flushOutbox } from '#shared/queue/outbox'
import { deleteArticle } from '#shared/services/kb'

export const handler = httpRoute('DELETE /kb/articles/{id}', async ({ deps, auth, params }) => {
  await deleteArticle(deps.sql, auth, params.id)
  await flushOutbox(deps)
  return null
})
