import { httpRoute } from '#shared/http/route'
import { flushOutbox } from '#shared/queue/outbox'
import { importArticles } from '#shared/services/kb'
import { parseMarkdownArticle } from '#shared/services/kb-markdown'

export const handler = httpRoute('POST /kb/import', async ({ deps, auth, body }) => {
  const articles = body.articles ?? (body.markdown ?? []).map((f) => parseMarkdownArticle(f.filename, f.text))
  const result = await importArticles(deps.sql, auth, { ...body, articles })
  await flushOutbox(deps)
  return result
})
