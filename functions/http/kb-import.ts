import { httpRoute } from '#shared/handlers/http-route'
import { importArticles } from '#shared/knowledge/articles'
import { parseMarkdownArticle } from '#shared/knowledge/markdown'
import { flushOutbox } from '#shared/queue/outbox'

export const handler = httpRoute('POST /kb/import', async ({ deps, auth, body }) => {
  const articles = body.articles ?? (body.markdown ?? []).map((f) => parseMarkdownArticle(f.filename, f.text))
  const result = await importArticles(deps.sql, auth, { ...body, articles })
  await flushOutbox(deps)
  return result
})
