/**
 * The text a customer gets (issue 26, item 4). Agents review cited text: a draft says which sentence came
 * from which source as `[n]`, and keeps saying so in the API and the WHMCS panel. What reaches the customer,
 * the reply posted to WHMCS (`sendToWhmcs`), the panel's Insert draft and the thread's agent message, is
 * {@link customerFacingReply} of that text with the sources the draft was shown: no markers, and the cited
 * KB articles listed by title and public URL. The sources come from `ai_replies.reranked_sources`; titles
 * and URLs are the articles' current ones.
 */
import type { Db } from '../db/sql.ts'
import { type CitableSource, customerFacingReply } from '../text/citations.ts'

const KINDS = new Set<CitableSource['sourceKind']>([
  'global_kb',
  'tenant_kb',
  'approved_example',
  'correction',
])

/**
 * A draft's stored sources (`reranked_sources`, whatever shape an older row has) as {@link CitableSource}s,
 * each KB article with its current title and public URL when it is still one the tenant can see.
 */
export async function citableSources(sql: Db, tenantId: number, stored: unknown): Promise<CitableSource[]> {
  if (!Array.isArray(stored)) return []
  const sources = stored.flatMap((s): CitableSource[] => {
    if (typeof s !== 'object' || s === null) return []
    const o = s as Record<string, unknown>
    const kind = o.sourceKind as CitableSource['sourceKind']
    if (typeof o.ref !== 'number' || !KINDS.has(kind)) return []
    return [
      {
        ref: o.ref,
        sourceKind: kind,
        articleId: typeof o.articleId === 'number' ? o.articleId : null,
        title: typeof o.title === 'string' ? o.title : '',
      },
    ]
  })
  const ids = [...new Set(sources.flatMap((s) => (s.articleId === null ? [] : [s.articleId])))]
  if (ids.length === 0) return sources
  const articles = await sql<{ id: number; title: string; publicUrl: string | null }[]>`
    SELECT id, title, public_url FROM kb_articles
    WHERE id IN ${sql(ids)} AND (tenant_id = ${tenantId} OR tenant_id IS NULL) AND deleted_at IS NULL`
  const byId = new Map(articles.map((a) => [a.id, a]))
  return sources.map((s) => {
    const article = s.articleId === null ? undefined : byId.get(s.articleId)
    return article ? { ...s, title: article.title, publicUrl: article.publicUrl } : s
  })
}

/**
 * The customer-facing form of `text`, an agent-facing reply to the draft `aiReplyId` of `tenantId`
 * (its approval, or the draft itself): see the module comment. Without a draft it only loses its markers.
 */
export async function customerReplyOf(
  sql: Db,
  tenantId: number,
  text: string,
  aiReplyId: number | null,
): Promise<string> {
  const [draft] =
    aiReplyId === null
      ? []
      : await sql<{ rerankedSources: unknown; language: string | null }[]>`
          SELECT reranked_sources, language FROM ai_replies WHERE id = ${aiReplyId} AND tenant_id = ${tenantId}`
  const sources = draft ? await citableSources(sql, tenantId, draft.rerankedSources) : []
  return customerFacingReply(text, sources, { language: draft?.language })
}
