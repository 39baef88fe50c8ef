import { httpRoute } from '#shared/handlers/http-route'
import { importArticles } from '#shared/knowledge/articles'
import { parseMarkdownArticle } from '#shared/knowledge/markdown'

export const handler = httpRoute('POST /kb/import', async ({ deps, auth, body, jobs }) => {
  const articles = body.articles ?? (body.markdown ?? []).map((f) => parseMarkdownArticle(f.filename, f.text))
  return importArticles(deps.sql, auth, { ...body, articles }, jobs)
})
