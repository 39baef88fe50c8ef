import { httpRoute } from '#shared/http/route'
import { flushOutbox } from '#shared/queue/outbox'
import { importArticles } from '#shared/services/kb'

export const handler = httpRoute('POST /kb/import', async ({ deps, auth, body }) => {
  const result = await importArticles(deps.sql, auth, body)
  await flushOutbox(deps)
  return result
})
