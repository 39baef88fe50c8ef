import { httpRoute } from '#shared/handlers/http-route'
import { updateArticle } from '#shared/knowledge/articles'
import { flushOutbox } from '#shared/queue/outbox'

export const handler = httpRoute('PATCH /kb/articles/{id}', async ({ deps, auth, params, body }) => {
  const article = await updateArticle(deps.sql, auth, params.id, body)
  await flushOutbox(deps)
  return article
})
