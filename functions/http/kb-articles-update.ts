import { httpRoute } from '#shared/http/route'
import { flushOutbox } from '#shared/queue/outbox'
import { updateArticle } from '#shared/services/kb'

export const handler = httpRoute('PATCH /kb/articles/{id}', async ({ deps, auth, params, body }) => {
  const article = await updateArticle(deps.sql, auth, params.id, body)
  await flushOutbox(deps)
  return article
})
