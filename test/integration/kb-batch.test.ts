/**
 * Batch indexing (`indexArticles`, what the embed worker runs for a batch) against the one-by-one
 * semantics of `indexArticle`: the same rows, once, with parallel writes; and the embed worker's batch
 * failing only the job that is at fault.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chunkDocument } from '#shared/knowledge/chunk'
import { uniqueChunks } from '#shared/knowledge/chunk-sync'
import { type ArticleJob, indexArticles } from '#shared/knowledge/indexer'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

describe('Function: indexArticles and the embed worker batch', () => {
  let app: TestApp
  let a: TenantFixture
  let b: TenantFixture
  const sql = () => app.rt.deps.sql

  beforeAll(async () => {
    app = await startTestApp({ workers: false })
    a = await createTenant(app, 'batch-a')
    b = await createTenant(app, 'batch-b')
  })
  afterAll(async () => app?.stop())

  /** A section every article of the test shares word for word: one chunk text, stored once per tenant. */
  const SHARED = '## Contact us\n\nOpen a ticket from the client area and we answer within one business day.'
  const articleBody = (i: number) =>
    `## Step ${i}\n\nRestart service ${i} from the control panel, then clear cache ${i} and reload.\n\n` +
    `## Why ${i}\n\nService ${i} keeps a lock file that only a restart releases.\n\n${SHARED}`
  const insertArticles = async (tenantId: number, n: number, from = 0) =>
    (
      await sql()<{ id: number; title: string; content: string }[]>`
        INSERT INTO kb_articles ${sql()(
          Array.from({ length: n }, (_, k) => ({
            tenant_id: tenantId,
            // Titles differ only in their spacing, which chunks collapse: the shared section's chunk is one text.
            title: `Batch${' '.repeat(from + k + 1)}guide`,
            content: articleBody(from + k),
          })) as never,
          'tenant_id',
          'title',
          'content',
        )} RETURNING id, title, content`
    ).sort((x, y) => x.id - y.id)

  it('stores exactly the chunks of N articles, a text they share once, and changes nothing when run again', async () => {
    // Prepare
    const articles = await insertArticles(a.id, 12)
    const jobs: ArticleJob[] = articles.map((r) => ({ tenantId: a.id, articleId: r.id }))
    const expected = new Set(
      articles.flatMap((r) =>
        uniqueChunks(chunkDocument({ title: r.title, content: r.content })).map((c) => c.hash),
      ),
    )
    // Act: 4 writes at a time, so the shared text's first insert races the others.
    const results = await indexArticles(sql(), app.rt.deps.ai, jobs, { concurrency: 4 })
    const again = await indexArticles(sql(), app.rt.deps.ai, jobs, { concurrency: 4 })
    // Assess
    expect(results.map((r) => r.status)).toEqual(Array(12).fill('fulfilled'))
    const rows = await sql()<{ chunkHash: string; articleId: number }[]>`
      SELECT chunk_hash, article_id FROM kb_chunks WHERE tenant_id = ${a.id} AND is_current`
    expect(rows).toHaveLength(expected.size)
    expect(new Set(rows.map((r) => r.chunkHash))).toEqual(expected)
    const inserted = results.map((r) => (r.status === 'fulfilled' ? r.value.inserted : 0))
    expect(inserted.reduce((x, y) => x + y, 0)).toBe(expected.size)
    // The shared text belongs to one article; the 11 others found it (or lost the race and were redone).
    const shared = results.map((r) => (r.status === 'fulfilled' ? r.value.shared : 0))
    expect(shared.reduce((x, y) => x + y, 0)).toBe(11)
    const [flags] = await sql()<{ n: number }[]>`
      SELECT count(*)::int AS n FROM kb_articles WHERE tenant_id = ${a.id} AND is_indexed AND index_error IS NULL`
    expect(flags!.n).toBe(12)
    for (const r of again)
      expect(r).toMatchObject({ status: 'fulfilled', value: { changed: false, inserted: 0 } })
  })

  it("treats a job naming another tenant's article as missing and writes nothing into either tenant", async () => {
    // Prepare
    const [ofB] = await insertArticles(b.id, 1, 100)
    // Act
    const [result] = await indexArticles(sql(), app.rt.deps.ai, [{ tenantId: a.id, articleId: ofB!.id }])
    // Assess
    expect(result).toMatchObject({ status: 'fulfilled', value: { status: 'missing', changed: false } })
    const [n] = await sql()<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM kb_chunks WHERE article_id = ${ofB!.id}`
    expect(n!.n).toBe(0)
  })

  /** Inserts one article of tenant `tenantId` with this content, as a row written around the API would be. */
  const insertArticle = async (tenantId: number, title: string, content: string) =>
    (
      await sql()<{ id: number }[]>`
        INSERT INTO kb_articles (tenant_id, title, content) VALUES (${tenantId}, ${title}, ${content})
        RETURNING id`
    )[0]!.id

  it('indexes a batch holding an article of out-of-range character references, the odd one included', async () => {
    // Prepare: String.fromCodePoint threw on these, outside any per-article try, and failed the batch.
    const good = await insertArticles(a.id, 2, 300)
    const odd = await insertArticle(
      a.id,
      'Odd references',
      '<p>Price &#99999999999; per month &#x110000;</p>',
    )
    const jobs: ArticleJob[] = [good[0]!.id, odd, good[1]!.id].map((articleId) => ({
      tenantId: a.id,
      articleId,
    }))
    // Act
    const results = await indexArticles(sql(), app.rt.deps.ai, jobs)
    // Assess
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
    const [chunk] = await sql()<{ chunk: string }[]>`
      SELECT chunk FROM kb_chunks WHERE article_id = ${odd} AND is_current`
    expect(chunk!.chunk).toBe('Odd references\n\nPrice \uFFFD per month \uFFFD')
    const [flags] = await sql()<{ n: number }[]>`
      SELECT count(*)::int AS n FROM kb_articles WHERE id IN ${sql()(jobs.map((j) => j.articleId))} AND is_indexed`
    expect(flags!.n).toBe(3)
  })

  it('the embed worker indexes a batch and dead-letters only the job that does not parse', async () => {
    // Prepare
    const articles = await insertArticles(b.id, 6, 200)
    // Act
    await app.rt.queues.send('embed', [
      ...articles.slice(0, 3).map((r) => ({ kind: 'article', tenantId: b.id, articleId: r.id })),
      { kind: 'article', tenantId: 'not-a-number', articleId: 1 },
      ...articles.slice(3).map((r) => ({ kind: 'article', tenantId: b.id, articleId: r.id })),
    ])
    app.rt.queues.start()
    try {
      await app.rt.queues.idle(60_000, 'embed')
    } finally {
      await app.rt.queues.stop()
    }
    // Assess
    const [indexed] = await sql()<{ n: number }[]>`
      SELECT count(*)::int AS n FROM kb_articles WHERE id IN ${sql()(articles.map((r) => r.id))} AND is_indexed`
    expect(indexed!.n).toBe(6)
    const dead = await app.rt.queues.deadLetters('embed')
    expect(dead).toHaveLength(1)
    expect(dead[0]!.body).toMatchObject({ tenantId: 'not-a-number' })
  })

  it('the embed worker fails only the job of an article the chunker refuses, with its index error, and indexes its neighbours', async () => {
    // Prepare: longer than the API stores, so only a row written around it can be; chunking it refuses.
    const good = await insertArticles(b.id, 2, 400)
    const tooLong = await insertArticle(b.id, 'Too long', `<p>${'Restart the service. '.repeat(10_000)}</p>`)
    // Act
    await app.rt.queues.send('embed', [
      { kind: 'article', tenantId: b.id, articleId: good[0]!.id },
      { kind: 'article', tenantId: b.id, articleId: tooLong },
      { kind: 'article', tenantId: b.id, articleId: good[1]!.id },
    ])
    app.rt.queues.start()
    try {
      await app.rt.queues.idle(60_000, 'embed')
    } finally {
      await app.rt.queues.stop()
    }
    // Assess
    const rows = await sql()<{ id: number; isIndexed: boolean; indexError: string | null }[]>`
      SELECT id, is_indexed, index_error FROM kb_articles
      WHERE id IN ${sql()([good[0]!.id, tooLong, good[1]!.id])} ORDER BY id`
    expect(rows).toEqual([
      { id: good[0]!.id, isIndexed: true, indexError: null },
      { id: good[1]!.id, isIndexed: true, indexError: null },
      {
        id: tooLong,
        isIndexed: false,
        indexError: 'the article is 210007 characters long, more than the 200000 an article may have',
      },
    ])
    const [chunks] = await sql()<{ n: number }[]>`
      SELECT count(*)::int AS n FROM kb_chunks WHERE article_id = ${tooLong}`
    expect(chunks!.n).toBe(0)
    const dead = await app.rt.queues.deadLetters('embed')
    expect(dead.map((d) => d.body)).toContainEqual({ kind: 'article', tenantId: b.id, articleId: tooLong })
    const deadIds = dead.map((d) => (d.body as { articleId: number }).articleId)
    expect(deadIds).not.toContain(good[0]!.id)
    expect(deadIds).not.toContain(good[1]!.id)
  })
})
