/**
 * Knowledge-base articles (docs/ARCHITECTURE.md): CRUD, bulk import and search.
 *
 * Visibility: staff see their tenant's articles and the global ones (tenant_id NULL); another tenant's
 * article is a 404. Only a superadmin writes global articles. Every write queues an `embed` job in the
 * same transaction (the embed worker re-chunks and re-embeds); deleting or deactivating an article also
 * archives its chunks right away — that needs no model — so search stops returning it immediately.
 */
import type { z } from 'zod'
import type { AiProvider } from '../ai/provider.ts'
import type { KbCategory, kbArticleInput, SourceKind } from '../api/kb.ts'
import { auditAs } from '../audit/record.ts'
import type { AuthContext } from '../auth/roles.ts'
import { actingTenant } from '../auth/scope.ts'
import { beforeCursor, type Db, definedOnly, likeContains, type Sql } from '../db/sql.ts'
import { BadRequestError, ConflictError, ForbiddenError, found } from '../errors.ts'
import { enqueueArticleEmbed } from '../queue/jobs.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { articleOwner, syncSourceChunks } from './indexer.ts'
import { hybridSearch, type SearchHit } from './search.ts'

export type ArticleInput = z.output<typeof kbArticleInput>

export interface ArticleView {
  id: number
  tenantId: number | null
  /** Shared by every tenant (tenant_id NULL); only a superadmin may change it. */
  global: boolean
  title: string
  content: string
  category: KbCategory
  tags: string[]
  isActive: boolean
  isIndexed: boolean
  indexError: string | null
  /** The article's public page (http or https), listed with its title in replies customers get. */
  publicUrl: string | null
  version: number
  createdBy: number | null
  createdAt: Date
  updatedAt: Date
}

type ArticleRow = Omit<ArticleView, 'global' | 'tags'> & { tags: string | null; deletedAt?: Date | null }

const COLUMNS = (sql: Db) => sql`
  id, tenant_id, title, content, category, tags, is_active, is_indexed, index_error, public_url, version,
  created_by, created_at, updated_at`

const toView = ({ deletedAt: _, ...row }: ArticleRow): ArticleView => ({
  ...row,
  global: row.tenantId === null,
  tags: splitTags(row.tags),
})

const splitTags = (tags: string | null) =>
  (tags ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
const joinTags = (tags: readonly string[]) => (tags.length ? [...new Set(tags)].join(',') : null)

/** Where a new article goes: the caller's tenant, another one (superadmin `tenantId`), or global. */
function targetTenant(auth: AuthContext, input: { global?: boolean; tenantId?: number }): number | null {
  if (input.global) {
    if (auth.role !== 'superadmin') throw new ForbiddenError('only a superadmin may write global articles')
    if (input.tenantId !== undefined) throw new BadRequestError('`global` and `tenantId` exclude each other')
    return null
  }
  return actingTenant(auth, input.tenantId)
}

/** Maps the live-title unique index onto a 409 the client can act on. */
function conflictOnTitle(error: unknown): never {
  const e = error as { code?: string; constraint_name?: string }
  if (e?.code === '23505' && e.constraint_name === 'ux_kb_articles_live_title') {
    throw new ConflictError('an article with this title already exists')
  }
  throw error
}

/** Creates an article and queues its indexing. */
export async function createArticle(
  sql: Sql,
  auth: AuthContext,
  input: ArticleInput & { global?: boolean; tenantId?: number },
  jobs: ClaimedJob[],
): Promise<ArticleView> {
  const tenantId = targetTenant(auth, input)
  return sql
    .begin(async (tx) => {
      const [row] = await tx<ArticleRow[]>`
        INSERT INTO kb_articles (tenant_id, title, content, category, tags, is_active, public_url, created_by)
        VALUES (${tenantId}, ${input.title}, ${input.content}, ${input.category}, ${joinTags(input.tags)},
                ${input.isActive}, ${input.publicUrl ?? null}, ${auth.userId})
        RETURNING ${COLUMNS(tx)}`
      await enqueueArticleEmbed(tx, jobs, tenantId, row!.id)
      await auditAs(tx, auth, {
        action: 'kb_article_created',
        entityType: 'kb_article',
        entityId: row!.id,
        details: { title: input.title, global: tenantId === null, tenantId },
      })
      return toView(row!)
    })
    .catch(conflictOnTitle)
}

export interface ArticleFilter {
  q?: string
  category?: KbCategory
  cursor?: number
  limit: number
}

/** Lists the tenant's and the global live articles, newest first (keyset pagination on id). */
export async function listArticles(sql: Sql, auth: AuthContext, f: ArticleFilter): Promise<ArticleView[]> {
  const like = f.q ? likeContains(f.q) : null
  const rows = await sql<ArticleRow[]>`
    SELECT ${COLUMNS(sql)} FROM kb_articles
    WHERE (tenant_id = ${auth.tenantId} OR tenant_id IS NULL) AND deleted_at IS NULL
      ${f.category ? sql`AND category = ${f.category}` : sql``}
      ${like ? sql`AND (title ILIKE ${like} OR content ILIKE ${like} OR tags ILIKE ${like})` : sql``}
      ${beforeCursor(sql, f.cursor)}
    ORDER BY id DESC LIMIT ${f.limit + 1}`
  return rows.map(toView)
}

/** One live article the caller may see (its tenant's or global), or 404. */
export async function getArticle(
  sql: Db,
  auth: AuthContext,
  articleId: number,
  lock = false,
): Promise<ArticleView> {
  const row = found(
    await sql<ArticleRow[]>`
      SELECT ${COLUMNS(sql)} FROM kb_articles
      WHERE id = ${articleId} AND (tenant_id = ${auth.tenantId} OR tenant_id IS NULL) AND deleted_at IS NULL
      ${lock ? sql`FOR UPDATE` : sql``}`,
    'article',
  )
  return toView(row)
}

/** Loads an article for a write: visible, and global ones only for a superadmin. */
async function articleForWrite(tx: Db, auth: AuthContext, articleId: number): Promise<ArticleView> {
  const article = await getArticle(tx, auth, articleId, true)
  if (article.global && auth.role !== 'superadmin') {
    throw new ForbiddenError('only a superadmin may change global articles')
  }
  return article
}

/** Archives an article's chunks inside the caller's transaction (deletion, deactivation). */
const archiveChunks = (tx: Db, a: ArticleView) =>
  syncSourceChunks(tx, a.tenantId, articleOwner(a), [], new Map(), '')

export interface ArticlePatch {
  title?: string
  content?: string
  category?: KbCategory
  tags?: string[]
  isActive?: boolean
  /** null removes the public URL; undefined leaves it as it is. */
  publicUrl?: string | null
}

/**
 * The change rules of an article edit, one for the API's PATCH and for import: the columns to write and
 * what follows. A new title or content bumps `version`; that or a change of `isActive` marks the article
 * not indexed until the embed job has re-chunked it (deactivating also archives its chunks at once).
 * `changed` is false when the patch would write nothing new (`storedTags` is the column as stored).
 */
function articleChange(before: ArticleRow | ArticleView, storedTags: string | null, patch: ArticlePatch) {
  const tags = patch.tags === undefined ? undefined : joinTags(patch.tags)
  const textChanged =
    (patch.title !== undefined && patch.title !== before.title) ||
    (patch.content !== undefined && patch.content !== before.content)
  const activeChanged = patch.isActive !== undefined && patch.isActive !== before.isActive
  const reindex = textChanged || activeChanged
  const changed =
    reindex ||
    (patch.category !== undefined && patch.category !== before.category) ||
    (tags !== undefined && tags !== storedTags) ||
    (patch.publicUrl !== undefined && patch.publicUrl !== before.publicUrl)
  const set = definedOnly({
    title: patch.title,
    content: patch.content,
    category: patch.category,
    tags,
    is_active: patch.isActive,
    public_url: patch.publicUrl,
    version: textChanged ? before.version + 1 : undefined,
    is_indexed: reindex ? false : undefined,
    index_error: reindex ? null : undefined,
  })
  return { changed, activeChanged, set }
}

/**
 * Updates an article. A new title or content bumps `version` and marks it not indexed until the embed
 * job has re-chunked it; deactivating archives its chunks at once.
 */
export async function updateArticle(
  sql: Sql,
  auth: AuthContext,
  articleId: number,
  patch: ArticlePatch,
  jobs: ClaimedJob[],
): Promise<ArticleView> {
  return sql
    .begin(async (tx) => {
      const before = await articleForWrite(tx, auth, articleId)
      const { activeChanged, set } = articleChange(before, joinTags(before.tags), patch)
      const [row] = await tx<ArticleRow[]>`
        UPDATE kb_articles SET ${tx({ ...set, updated_at: new Date() })} WHERE id = ${articleId} RETURNING ${COLUMNS(tx)}`
      const after = toView(row!)
      if (!after.isActive && activeChanged) await archiveChunks(tx, after)
      await enqueueArticleEmbed(tx, jobs, after.tenantId, articleId)
      await auditAs(tx, auth, {
        action: 'kb_article_updated',
        entityType: 'kb_article',
        entityId: articleId,
        details: { fields: Object.keys(patch), version: after.version, global: after.global },
      })
      return after
    })
    .catch(conflictOnTitle)
}

/** Soft-deletes an article (its title becomes free) and archives its chunks in the same transaction. */
export async function deleteArticle(
  sql: Sql,
  auth: AuthContext,
  articleId: number,
  jobs: ClaimedJob[],
): Promise<void> {
  await sql.begin(async (tx) => {
    const article = await articleForWrite(tx, auth, articleId)
    await tx`
      UPDATE kb_articles SET deleted_at = now(), is_indexed = false, updated_at = now() WHERE id = ${articleId}`
    const archived = await archiveChunks(tx, article)
    // The worker confirms the archive (idempotent); it matters if an index job was in flight meanwhile.
    await enqueueArticleEmbed(tx, jobs, article.tenantId, articleId)
    await auditAs(tx, auth, {
      action: 'kb_article_deleted',
      entityType: 'kb_article',
      entityId: articleId,
      details: { title: article.title, global: article.global, archivedChunks: archived.archived },
    })
  })
}

export interface ImportInput {
  /** Markdown files are parsed by the caller (shared/knowledge/markdown.ts). */
  articles: ArticleInput[]
  global?: boolean
  tenantId?: number
}

export interface ImportResult {
  created: number
  updated: number
  unchanged: number
  /** Embed jobs queued: created and updated articles, plus unchanged ones that were not indexed. */
  queued: number
  items: Array<{ id: number; title: string; status: 'created' | 'updated' | 'unchanged' }>
}

/**
 * Upserts articles by title: one live article per (tenant, lower(title)), so importing the same folder
 * twice changes nothing, and an edited file updates its article (new version, re-indexed) instead of
 * creating a twin. Unchanged articles are not written, but ones that are not indexed get a new job (a
 * re-import is how an operator retries indexing after an outage). One transaction for the whole batch.
 */
export async function importArticles(
  sql: Sql,
  auth: AuthContext,
  input: ImportInput,
  jobs: ClaimedJob[],
): Promise<ImportResult> {
  const tenantId = targetTenant(auth, input)
  const { articles } = input
  return sql
    .begin(async (tx) => {
      const { keys, existing } = await lockByTitle(tx, tenantId, articles)
      const result: ImportResult = { created: 0, updated: 0, unchanged: 0, queued: 0, items: [] }
      const toCreate: Array<{ article: ArticleInput; position: number }> = []
      for (const [position, article] of articles.entries()) {
        const current = existing.get(keys[position]!)
        if (current) result.items[position] = await importOver(tx, jobs, auth, current, article, result)
        else toCreate.push({ article, position })
      }
      for (const item of await insertImported(tx, jobs, auth, tenantId, toCreate)) {
        result.items[item.position] = item.row
        result.created++
        result.queued++
      }
      return result
    })
    .catch(conflictOnTitle)
}

type ImportItem = ImportResult['items'][number]

/**
 * The batch's title keys, in batch order, and the live articles that already hold one of them, locked.
 * Keys come from Postgres' lower(), the same function the unique index uses. Two articles of the batch
 * with one title are a 400.
 */
async function lockByTitle(tx: Db, tenantId: number | null, articles: readonly ArticleInput[]) {
  const keyed = await tx<{ key: string; ord: number }[]>`
    SELECT lower(t) AS key, ord::int FROM unnest(${tx.array(articles.map((a) => a.title))}::text[])
      WITH ORDINALITY AS u(t, ord)`
  const keys = keyed.sort((a, b) => a.ord - b.ord).map((k) => k.key)
  const duplicate = keys.find((k, i) => keys.indexOf(k) !== i)
  if (duplicate !== undefined) throw new BadRequestError(`the batch has two articles titled "${duplicate}"`)
  const rows = await tx<(ArticleRow & { key: string })[]>`
    SELECT ${COLUMNS(tx)}, lower(title) AS key FROM kb_articles
    WHERE tenant_id IS NOT DISTINCT FROM ${tenantId} AND deleted_at IS NULL AND lower(title) IN ${tx(keys)}
    FOR UPDATE`
  return { keys, existing: new Map(rows.map((r) => [r.key, r])) }
}

/**
 * An imported article over the live one of its title: unchanged (re-queued for indexing when it is not
 * indexed), or updated to a new version and re-indexed. Counts in `result`.
 */
async function importOver(
  tx: Db,
  jobs: ClaimedJob[],
  auth: AuthContext,
  current: ArticleRow,
  article: ArticleInput,
  result: ImportResult,
): Promise<ImportItem> {
  const { changed, activeChanged, set } = articleChange(current, current.tags ?? null, article)
  if (!changed) {
    if (!current.isIndexed && current.isActive) {
      await enqueueArticleEmbed(tx, jobs, current.tenantId, current.id)
      result.queued++
    }
    result.unchanged++
    return { id: current.id, title: current.title, status: 'unchanged' }
  }
  const [row] = await tx<ArticleRow[]>`
    UPDATE kb_articles SET ${tx(set)}, updated_at = now()
    WHERE id = ${current.id} RETURNING ${COLUMNS(tx)}`
  const after = toView(row!)
  if (activeChanged && !after.isActive) await archiveChunks(tx, after)
  await enqueueArticleEmbed(tx, jobs, current.tenantId, current.id)
  await auditAs(tx, auth, {
    action: 'kb_article_updated',
    entityType: 'kb_article',
    entityId: current.id,
    details: { import: true, version: after.version, global: current.tenantId === null },
  })
  result.queued++
  result.updated++
  return { id: current.id, title: article.title, status: 'updated' }
}

/** The batch's new articles in one multi-row insert, each queued for indexing and audited. */
async function insertImported(
  tx: Db,
  jobs: ClaimedJob[],
  auth: AuthContext,
  tenantId: number | null,
  toCreate: ReadonlyArray<{ article: ArticleInput; position: number }>,
): Promise<Array<{ position: number; row: ImportItem }>> {
  if (toCreate.length === 0) return []
  const rows = toCreate.map(({ article }) => ({
    tenant_id: tenantId,
    title: article.title,
    content: article.content,
    category: article.category,
    tags: joinTags(article.tags),
    is_active: article.isActive,
    public_url: article.publicUrl ?? null,
    created_by: auth.userId,
  }))
  // RETURNING order is the VALUES order for a plain multi-row INSERT.
  const created = await tx<{ id: number }[]>`
    INSERT INTO kb_articles ${tx(rows as never, 'tenant_id', 'title', 'content', 'category', 'tags', 'is_active', 'public_url', 'created_by')}
    RETURNING id`
  const items: Array<{ position: number; row: ImportItem }> = []
  for (const [i, { article, position }] of toCreate.entries()) {
    const id = created[i]!.id
    await enqueueArticleEmbed(tx, jobs, tenantId, id)
    await auditAs(tx, auth, {
      action: 'kb_article_created',
      entityType: 'kb_article',
      entityId: id,
      details: { import: true, title: article.title, global: tenantId === null },
    })
    items.push({ position, row: { id, title: article.title, status: 'created' } })
  }
  return items
}

/** A search hit as the API shows it: the retrieval fields without internal metadata. */
export type KbSearchItem = Omit<SearchHit, 'metadata'>

/** `POST /kb/search`: hybrid search in the caller's tenant (plus global), scores rounded for reading. */
export async function searchKb(
  sql: Sql,
  ai: AiProvider,
  auth: AuthContext,
  input: { query: string; k: number; sourceKinds?: SourceKind[] },
): Promise<{ items: KbSearchItem[] }> {
  const hits = await hybridSearch(sql, ai, { tenantId: auth.tenantId, ...input })
  const round = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000)
  return {
    items: hits.map((h) => ({
      chunkId: h.chunkId,
      articleId: h.articleId,
      approvedReplyId: h.approvedReplyId,
      title: h.title,
      sourceKind: h.sourceKind,
      text: h.text,
      vectorScore: round(h.vectorScore),
      textScore: round(h.textScore),
      fusedScore: round(h.fusedScore) ?? 0,
    })),
  }
}
