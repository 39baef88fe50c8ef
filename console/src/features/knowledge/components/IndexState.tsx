import type { Article } from '../api/articles.ts'

/** Where indexing of an article stands, in words. */
export function IndexState({ article }: { article: Pick<Article, 'isActive' | 'isIndexed' | 'indexError'> }) {
  if (!article.isActive) return <span className="badge">Inactive</span>
  if (article.indexError) return <span className="badge escalated">Not indexed: {article.indexError}</span>
  if (article.isIndexed) return <span className="badge ok">Indexed</span>
  return <span className="badge">Indexing…</span>
}
