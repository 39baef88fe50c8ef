import { httpRoute } from '#shared/http/route'
import { flushOutbox } from '#shared/queue/outbox'
import { createArticle } from '#shared/services/kb'

export const handler = httpRoute('POST /kb/articles', async ({ deps, auth, body }) => {
  const article = await createArticle(deps.sql, auth, body)
  await flushOutbox(deps)
  return article
})
