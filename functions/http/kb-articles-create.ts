import { httpRoute } from '#shared/handlers/http-route'
import { createArticle } from '#shared/knowledge/articles'
import { flushOutbox } from '#shared/queue/outbox'

export const handler = httpRoute('POST /kb/articles', async ({ deps, auth, body }) => {
  const article = await createArticle(deps.sql, auth, body)
  await flushOutbox(deps)
  return article
})
