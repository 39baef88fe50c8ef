import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pgvector from 'pgvector'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { indexApprovedReply, indexArticle } from '#shared/knowledge/indexer'
import { hybridSearch, TEXT_PRERANK_FACTOR } from '#shared/knowledge/search'
import { queryLexemes } from '#shared/trust/coverage'
import { hitRates, loadCorpus, loadQuestions } from '../fixtures/kb/index.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

/** Measured with the built-in provider on the fixture set (see docs/benchmarks.md); a drop means a regression. */
const MIN_HIT_AT_1 = 0.8
const MIN_HIT_AT_5 = 0.9

interface Hit {
  chunkId: number
  articleId: number | null
  title: string | null
  sourceKind: string
  text: string
  vectorScore: number | null
  textScore: number | null
  fusedScore: number
}

describe('Function: knowledge base (articles, import, embed worker, hybrid search)', () => {
  let app: TestApp
  let a: TenantFixture
  let b: TenantFixture
  /** Article id → fixture slug, for tenant A's imported corpus. */
  const slugById = new Map<number, string>()

  const search = async (token: string, query: string, extra: Record<string, unknown> = {}) => {
    const res = await app.call<{ items: Hit[] }>('POST', '/kb/search', { query, k: 5, ...extra }, { token })
    expect(res.status).toBe(200)
    return res.body.items
  }
  const chunkRows = (articleId: number) =>
    app.rt.deps.sql<
      { id: number; chunk: string; isCurrent: boolean; archivedAt: Date | null; version: number }[]
    >`
      SELECT id, chunk, is_current, archived_at, version FROM kb_chunks WHERE article_id = ${articleId} ORDER BY id`
  const create = (token: string, body: Record<string, unknown>) =>
    app.call('POST', '/kb/articles', body, { token })

  beforeAll(async () => {
    app = await startTestApp()
    a = await createTenant(app, 'kb-a')
    b = await createTenant(app, 'kb-b')
  })
  afterAll(async () => app?.stop())

  it('imports 50 Markdown articles and ranks the right one first for paraphrased questions', async () => {
    // Prepare
    const corpus = loadCorpus()
    const questions = loadQuestions()
    expect(corpus).toHaveLength(50)
    expect(questions.length).toBeGreaterThanOrEqual(20)

    // Act
    const imported = await app.call(
      'POST',
      '/kb/import',
      { markdown: corpus.map((f) => ({ filename: f.filename, text: f.text })) },
      { token: a.admin },
    )
    await app.rt.queues.idle()
    for (const [i, item] of (imported.body.items as Array<{ id: number }>).entries()) {
      slugById.set(item.id, corpus[i]!.slug)
    }
    const rates = await hitRates(questions, async (q) =>
      (await search(a.agent, q)).map((h) =>
        h.articleId === null ? null : (slugById.get(h.articleId) ?? null),
      ),
    )

    // Assess
    expect(imported.status).toBe(200)
    expect(imported.body).toMatchObject({ created: 50, updated: 0, unchanged: 0, queued: 50 })
    const [state] = await app.rt.deps.sql<{ indexed: number; chunks: number }[]>`
      SELECT count(*) FILTER (WHERE is_indexed)::int AS indexed,
             (SELECT count(*)::int FROM kb_chunks WHERE tenant_id = ${a.id} AND is_current) AS chunks
      FROM kb_articles WHERE tenant_id = ${a.id}`
    expect(state!.indexed).toBe(50)
    expect(state!.chunks).toBeGreaterThanOrEqual(50)
    console.info(
      `KB retrieval, built-in provider, ${questions.length} questions over 50 articles: ` +
        `hit@1 = ${rates.hitAt1.toFixed(3)}, hit@5 = ${rates.hitAt5.toFixed(3)}`,
    )
    if (rates.misses.length) console.info('misses at 5:', JSON.stringify(rates.misses, null, 1))
    expect(rates.hitAt1).toBeGreaterThanOrEqual(MIN_HIT_AT_1)
    expect(rates.hitAt5).toBeGreaterThanOrEqual(MIN_HIT_AT_5)
  })

  it('returns scored hits with titles and source kinds, best first', async () => {
    // Act
    const hits = await search(a.agent, 'How do I point my domain to your nameservers?')

    // Assess
    expect(hits.length).toBe(5)
    expect(hits[0]).toMatchObject({
      title: 'Pointing your domain to our nameservers',
      sourceKind: 'tenant_kb',
    })
    expect(hits[0]!.fusedScore).toBeGreaterThan(hits[4]!.fusedScore)
    for (const h of hits) {
      expect(h.fusedScore).toBeGreaterThan(0)
      expect(h.fusedScore).toBeLessThanOrEqual(1)
      expect(h.vectorScore).toBeGreaterThanOrEqual(0)
      expect(h.vectorScore).toBeLessThanOrEqual(1)
      expect(h.textScore).toBeGreaterThanOrEqual(0)
      expect(h.textScore).toBeLessThan(1)
    }
  })

  it('re-importing the same folder changes nothing', async () => {
    // Prepare
    const corpus = loadCorpus()
    const [before] = await app.rt.deps.sql<{ n: number; audits: number }[]>`
      SELECT (SELECT count(*)::int FROM kb_chunks WHERE tenant_id = ${a.id}) AS n,
             (SELECT count(*)::int FROM audit_logs WHERE tenant_id = ${a.id}) AS audits`

    // Act
    const again = await app.call(
      'POST',
      '/kb/import',
      { markdown: corpus.map((f) => ({ filename: f.filename, text: f.text })) },
      { token: a.admin },
    )
    await app.rt.queues.idle()

    // Assess
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 50, queued: 0 })
    const [after] = await app.rt.deps.sql<{ n: number; audits: number }[]>`
      SELECT (SELECT count(*)::int FROM kb_chunks WHERE tenant_id = ${a.id}) AS n,
             (SELECT count(*)::int FROM audit_logs WHERE tenant_id = ${a.id}) AS audits`
    expect(after).toEqual(before)
  })

  it('creates, lists, reads and validates articles', async () => {
    // Act
    const created = await create(a.agent, {
      title: 'Parking a domain',
      content: '# Parking a domain\n\nA parked domain shows the same site as your main domain.',
      category: 'product',
      tags: ['domains', 'parking'],
    })
    const duplicate = await create(a.agent, { title: 'PARKING A DOMAIN', content: 'again' })
    const badCategory = await create(a.agent, { title: 'X', content: 'y', category: 'misc' })
    const byCustomer = await create(a.customer, { title: 'Nope', content: 'customers cannot write' })
    const got = await app.call('GET', `/kb/articles/${created.body.id}`, undefined, { token: a.agent })
    const page1 = await app.call('GET', '/kb/articles?limit=2', undefined, { token: a.agent })
    const page2 = await app.call('GET', `/kb/articles?limit=2&cursor=${page1.body.nextCursor}`, undefined, {
      token: a.agent,
    })
    const filtered = await app.call('GET', '/kb/articles?q=parked&category=product', undefined, {
      token: a.agent,
    })

    // Assess
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      title: 'Parking a domain',
      category: 'product',
      tags: ['domains', 'parking'],
      isActive: true,
      isIndexed: false,
      indexError: null,
      version: 1,
      global: false,
      tenantId: a.id,
    })
    expect(duplicate.status).toBe(409)
    expect(badCategory.status).toBe(400)
    expect(byCustomer.status).toBe(403)
    expect(got.status).toBe(200)
    expect(got.body.title).toBe('Parking a domain')
    expect(page1.body.items).toHaveLength(2)
    expect(page1.body.items[0].id).toBe(created.body.id)
    expect(page2.body.items[0].id).toBeLessThan(page1.body.items[1].id)
    expect(filtered.body.items.map((x: { id: number }) => x.id)).toEqual([created.body.id])
    await app.rt.queues.idle()
    const indexed = await app.call('GET', `/kb/articles/${created.body.id}`, undefined, { token: a.agent })
    expect(indexed.body.isIndexed).toBe(true)
  })

  it('accepts tags as the seed stores them (comma-separated) or as an array, and always returns an array', async () => {
    // Act
    const created = await create(a.agent, {
      title: 'Changing nameservers',
      content: 'Set the nameservers at your registrar.',
      tags: 'dns,nameservers',
    })
    const patched = await app.call(
      'PATCH',
      `/kb/articles/${created.body.id}`,
      { tags: ' dns , registrar ,, ' },
      { token: a.agent },
    )
    const asArray = await app.call(
      'PATCH',
      `/kb/articles/${created.body.id}`,
      { tags: ['dns'] },
      { token: a.agent },
    )
    const imported = await app.call(
      'POST',
      '/kb/import',
      { articles: [{ title: 'Seed-style tags', content: 'Body.', tags: 'billing,invoices' }] },
      { token: a.admin },
    )
    const importedArticle = await app.call('GET', `/kb/articles/${imported.body.items[0].id}`, undefined, {
      token: a.agent,
    })
    const tooLong = await create(a.agent, { title: 'Too many', content: 'x', tags: 'a,'.repeat(60) })

    // Assess
    expect(created.status).toBe(201)
    expect(created.body.tags).toEqual(['dns', 'nameservers'])
    expect(patched.status).toBe(200)
    expect(patched.body.tags).toEqual(['dns', 'registrar'])
    expect(asArray.body.tags).toEqual(['dns'])
    expect(imported.status).toBe(200)
    expect(importedArticle.body.tags).toEqual(['billing', 'invoices'])
    expect(tooLong.status).toBe(400)
  })

  it('after an edit, search returns only the new text and the old chunks are archived, not deleted', async () => {
    // Prepare
    const created = await create(a.agent, {
      title: 'Legacy control panel',
      content: 'Our legacy panel is called Plesk Onyx. Log in with your zorblatt credentials.',
    })
    await app.rt.queues.idle()
    const oldRows = await chunkRows(created.body.id)

    // Act
    const patched = await app.call(
      'PATCH',
      `/kb/articles/${created.body.id}`,
      { content: 'Our new panel is DirectAdmin. Log in with your quibbleshank passphrase.' },
      { token: a.agent },
    )
    await app.rt.queues.idle()
    const oldHits = await search(a.agent, 'zorblatt credentials Plesk Onyx')
    const newHits = await search(a.agent, 'quibbleshank passphrase')

    // Assess
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({ version: 2, isIndexed: false })
    expect(oldHits.some((h) => h.text.includes('zorblatt'))).toBe(false)
    expect(newHits[0]).toMatchObject({ articleId: created.body.id })
    expect(newHits[0]!.text).toContain('quibbleshank')
    const rows = await chunkRows(created.body.id)
    const archived = rows.filter((r) => !r.isCurrent)
    expect(archived.map((r) => r.id)).toEqual(oldRows.map((r) => r.id))
    expect(archived.every((r) => r.archivedAt !== null && r.chunk.includes('zorblatt'))).toBe(true)
    const current = rows.filter((r) => r.isCurrent)
    expect(current.length).toBeGreaterThan(0)
    expect(current.every((r) => r.version === 2 && r.archivedAt === null)).toBe(true)
    const article = await app.call('GET', `/kb/articles/${created.body.id}`, undefined, { token: a.agent })
    expect(article.body).toMatchObject({ isIndexed: true, version: 2 })
  })

  it('stores a chunk once: re-indexing, redelivered jobs and a re-created article add no rows', async () => {
    // Prepare
    const body = { title: 'Once only', content: 'The glimmerfax setting lives under Advanced.' }
    const first = await create(a.agent, body)
    await app.rt.queues.idle()
    const count = async () =>
      (
        await app.rt.deps.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM kb_chunks WHERE tenant_id = ${a.id} AND chunk LIKE '%glimmerfax%'`
      )[0]!.n
    const audits = async () =>
      (
        await app.rt.deps.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = ${a.id} AND action = 'kb_indexed'`
      )[0]!.n
    const auditsBefore = await audits()

    // Act
    const direct = await indexArticle(app.rt.deps.sql, app.rt.deps.ai, a.id, first.body.id)
    const job = { jobId: 'redelivered-1', kind: 'article', tenantId: a.id, articleId: first.body.id }
    await app.rt.queues.send('embed', [job, job])
    await app.rt.queues.idle()
    const afterRedelivery = await count()
    const deleted = await app.call('DELETE', `/kb/articles/${first.body.id}`, undefined, { token: a.admin })
    const goneFromSearch = await search(a.agent, 'glimmerfax setting')
    const second = await create(a.agent, body)
    await app.rt.queues.idle()
    const [row] = await app.rt.deps.sql<{ articleId: number; isCurrent: boolean; archivedAt: Date | null }[]>`
      SELECT article_id, is_current, archived_at FROM kb_chunks WHERE tenant_id = ${a.id} AND chunk LIKE '%glimmerfax%'`

    // Assess
    expect(direct).toMatchObject({ status: 'indexed', changed: false, inserted: 0, current: 1 })
    expect(afterRedelivery).toBe(1)
    expect(await audits()).toBe(auditsBefore + 1) // only the re-created article's indexing
    expect(deleted.status).toBe(204)
    expect(goneFromSearch.some((h) => h.text.includes('glimmerfax'))).toBe(false)
    expect(second.status).toBe(201)
    expect(await count()).toBe(1)
    expect(row).toEqual({ articleId: second.body.id, isCurrent: true, archivedAt: null })
  })

  it('keeps tenants apart and shares global articles with everyone', async () => {
    // Prepare
    const secret = await create(b.agent, {
      title: 'B only',
      content: 'Tenant B uses the frobnicator appliance.',
    })
    const global = await create(app.superToken, {
      title: 'Global outage notice',
      content: 'The wobbleport datacenter is under maintenance on Sunday.',
      global: true,
    })
    const notSuper = await create(a.admin, { title: 'Sneaky', content: 'x', global: true })
    await app.rt.queues.idle()

    // Act
    const aSearch = await search(a.agent, 'frobnicator appliance')
    const bSearch = await search(b.agent, 'frobnicator appliance')
    const aGlobal = await search(a.agent, 'wobbleport datacenter maintenance')
    const bGlobal = await search(b.agent, 'wobbleport datacenter maintenance')
    const get = await app.call('GET', `/kb/articles/${secret.body.id}`, undefined, { token: a.admin })
    const patch = await app.call(
      'PATCH',
      `/kb/articles/${secret.body.id}`,
      { title: 'Mine' },
      { token: a.admin },
    )
    const del = await app.call('DELETE', `/kb/articles/${secret.body.id}`, undefined, { token: a.admin })
    const patchGlobal = await app.call(
      'PATCH',
      `/kb/articles/${global.body.id}`,
      { title: 'x' },
      { token: a.admin },
    )
    const list = await app.call('GET', '/kb/articles?limit=200', undefined, { token: a.agent })

    // Assess
    expect(global.body).toMatchObject({ global: true, tenantId: null })
    expect(notSuper.status).toBe(403)
    expect(aSearch.some((h) => h.text.includes('frobnicator'))).toBe(false)
    expect(bSearch[0]).toMatchObject({ articleId: secret.body.id, sourceKind: 'tenant_kb' })
    expect(aGlobal[0]).toMatchObject({ articleId: global.body.id, sourceKind: 'global_kb' })
    expect(bGlobal[0]).toMatchObject({ articleId: global.body.id, sourceKind: 'global_kb' })
    expect([get.status, patch.status, del.status]).toEqual([404, 404, 404])
    expect(patchGlobal.status).toBe(403)
    const ids = list.body.items.map((x: { id: number }) => x.id)
    expect(ids).toContain(global.body.id)
    expect(ids).not.toContain(secret.body.id)
    const onlyGlobal = await hybridSearch(app.rt.deps.sql, app.rt.deps.ai, {
      tenantId: b.id,
      query: 'wobbleport frobnicator',
      k: 5,
      sourceKinds: ['global_kb'],
    })
    expect(onlyGlobal.length).toBeGreaterThan(0)
    expect(onlyGlobal.every((h) => h.sourceKind === 'global_kb')).toBe(true)
  })

  it("weighs coverage over the chunks a tenant can retrieve: its current ones and the global KB's", async () => {
    // Prepare: tenant B's frobnicator article and the global wobbleport notice exist (test above); tenant A
    // has archived chunk versions (the edit test)
    const sql = app.rt.deps.sql
    const count = async (where: ReturnType<typeof sql>) =>
      (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM kb_chunks WHERE ${where}`)[0]!.n
    const retrievable = (tenantId: number) =>
      count(sql`(tenant_id = ${tenantId} OR tenant_id IS NULL) AND is_current`)
    const query = 'frobnicator wobbleport'

    // Act
    const forA = await queryLexemes(sql, { tenantId: a.id, query })
    const forB = await queryLexemes(sql, { tenantId: b.id, query })

    // Assess: another tenant's chunks and archived versions never count
    expect(await count(sql`tenant_id IS NULL AND is_current`)).toBeGreaterThan(0)
    expect(await count(sql`tenant_id = ${a.id} AND NOT is_current`)).toBeGreaterThan(0)
    expect(forA.chunks).toBe(await retrievable(a.id))
    expect(forB.chunks).toBe(await retrievable(b.id))
    expect(forA.terms).toEqual([
      { term: 'frobnic', df: 0 },
      { term: 'wobbleport', df: 1 },
    ])
    expect(forB.terms).toEqual([
      { term: 'frobnic', df: 1 },
      { term: 'wobbleport', df: 1 },
    ])
  })

  it('ranks the answering chunk first when a common word matches more chunks than the text leg pre-ranks', async () => {
    // Arrange: 4 × TEXT_PRERANK_FACTOR × 50 candidates of chunks that share only "website" with the question
    // (as the text leg's any-term query sees it), then the two chunks that answer it.
    const c = await createTenant(app, 'kb-prerank')
    const fillers = 4 * TEXT_PRERANK_FACTOR * 50
    const row = (chunk: string, i: number) => ({
      tenant_id: c.id,
      source_kind: 'tenant_kb',
      source: `test:${i}`,
      chunk,
      chunk_hash: String(i).padStart(64, '0'),
    })
    const rows = Array.from({ length: fillers }, (_, i) =>
      row(`Your website ${i} is hosted on our servers; the website control panel lists it.`, i),
    )
    rows.splice(fillers / 2, 0, row('Restore the website from the nightly backup in JetBackup.', fillers))
    rows.splice(fillers / 3, 0, row('JetBackup keeps a nightly backup of every account.', fillers + 1))
    const vectors = await app.rt.deps.ai.embed(
      rows.map((r) => r.chunk),
      'document',
    )
    const embedded = rows.map((r, i) => ({ ...r, embedding_vector: pgvector.toSql(vectors[i]) as string }))
    await app.rt.deps.sql`INSERT INTO kb_chunks ${app.rt.deps.sql(embedded)}`

    // Act
    const hits = await hybridSearch(app.rt.deps.sql, app.rt.deps.ai, {
      tenantId: c.id,
      query: 'restore my website from a nightly backup',
      k: 3,
    })

    // Assess: every term first, then the chunk with the most of them; the fillers only after both.
    expect(hits.map((h) => h.text.slice(0, 22))).toEqual([
      'Restore the website fr',
      'JetBackup keeps a nigh',
      expect.stringMatching(/^Your website \d+ is/),
    ])
  })

  it('deactivating an article archives its chunks at once; reactivating restores them', async () => {
    // Prepare
    const created = await create(a.agent, {
      title: 'Seasonal promo',
      content: 'Use code SNOWFLAKE42 at checkout.',
    })
    await app.rt.queues.idle()

    // Act
    await app.call('PATCH', `/kb/articles/${created.body.id}`, { isActive: false }, { token: a.agent })
    const whileInactive = await search(a.agent, 'SNOWFLAKE42 checkout code')
    await app.rt.queues.idle()
    await app.call('PATCH', `/kb/articles/${created.body.id}`, { isActive: true }, { token: a.agent })
    await app.rt.queues.idle()
    const afterReactivation = await search(a.agent, 'SNOWFLAKE42 checkout code')

    // Assess
    expect(whileInactive.some((h) => h.articleId === created.body.id)).toBe(false)
    expect(afterReactivation[0]).toMatchObject({ articleId: created.body.id })
    const rows = await chunkRows(created.body.id)
    expect(rows).toHaveLength(1) // the same row, archived and revived
    expect(rows[0]).toMatchObject({ isCurrent: true, archivedAt: null })
  })

  it('indexes approved replies as examples: the staff reply only, PII masked, titled neutrally, once', async () => {
    // Prepare
    const sql = app.rt.deps.sql
    const [ticket] = await sql<{ id: number }[]>`
      INSERT INTO tickets (tenant_id, subject, content) VALUES (${a.id}, 'Cannot reach site', 'x') RETURNING id`
    const [message] = await sql<{ id: number }[]>`
      INSERT INTO messages (tenant_id, ticket_id, role, content)
      VALUES (${a.id}, ${ticket!.id}, 'user', 'My flibbertigibbet page is down, mail me at jane@example.org')
      RETURNING id`
    const [approved] = await sql<{ id: number }[]>`
      INSERT INTO approved_replies (tenant_id, ticket_id, message_id, final_reply)
      VALUES (${a.id}, ${ticket!.id}, ${message!.id},
              'Clear the flibbertigibbet cache and reload [1]. We wrote to ops@example.net as well.') RETURNING id`

    // Act
    const first = await indexApprovedReply(sql, app.rt.deps.ai, a.id, approved!.id)
    const second = await indexApprovedReply(sql, app.rt.deps.ai, a.id, approved!.id)
    const hits = await search(a.agent, 'flibbertigibbet page down', { sourceKinds: ['approved_example'] })
    const [reply] = await sql<{ usedForTraining: boolean }[]>`
      SELECT used_for_training FROM approved_replies WHERE id = ${approved!.id}`

    // Assess
    expect(first).toMatchObject({ changed: true, inserted: 1 })
    expect(second).toMatchObject({ changed: false, inserted: 0 })
    expect(hits).toHaveLength(1)
    expect(hits[0]).toMatchObject({
      sourceKind: 'approved_example',
      articleId: null,
      // Never the ticket's subject: customer text.
      title: 'Earlier reply by our team',
      text: 'Clear the flibbertigibbet cache and reload. We wrote to [EMAIL_1] as well.',
    })
    expect(reply!.usedForTraining).toBe(true)
  })

  it('learns a sentence with an address the KB names, never one with an address only the customer wrote', async () => {
    // Prepare: a KB article naming the client area's host; a customer who wrote it and a host of their own.
    const kb = await create(a.admin, {
      title: 'Client area login',
      content: 'Log in to the client area at https://my.zanzibar-host.example with your e-mail address.',
    })
    expect(kb.status).toBe(201)
    const sql = app.rt.deps.sql
    const [ticket] = await sql<{ id: number }[]>`
      INSERT INTO tickets (tenant_id, subject, content)
      VALUES (${a.id}, 'Login', 'I cannot log in at my.zanzibar-host.example, see zanzibar-login.evil.example')
      RETURNING id`
    const [approved] = await sql<{ id: number }[]>`
      INSERT INTO approved_replies (tenant_id, ticket_id, final_reply)
      VALUES (${a.id}, ${ticket!.id},
        ${
          'Please log in at https://my.zanzibar-host.example/clientarea.php instead. ' +
          'Never use http://zanzibar-login.evil.example again. Reset the password under Security.'
        })
      RETURNING id`

    // Act
    const result = await indexApprovedReply(sql, app.rt.deps.ai, a.id, approved!.id)
    const [chunk] = await sql<{ chunk: string }[]>`
      SELECT chunk FROM kb_chunks WHERE approved_reply_id = ${approved!.id} AND is_current`

    // Assess
    expect(result).toMatchObject({ status: 'indexed', inserted: 1 })
    expect(chunk!.chunk).toBe(
      'Please log in at https://my.zanzibar-host.example/clientarea.php instead. Reset the password under Security.',
    )
  })

  // Spawns the CLI twice (tsx compiles it each time): a longer hang guard, not a time budget.
  it('imports a folder with the kb:import CLI, then again without changes', {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const c = await createTenant(app, 'kb-cli')
    const root = join(import.meta.dirname, '../..')
    const cli = (...extra: string[]) =>
      promisify(execFile)(
        'npx',
        [
          'tsx',
          'local/kb-import.ts',
          'test/fixtures/kb/articles',
          '--url',
          app.url,
          '--tenant',
          c.slug,
          '--email',
          `admin@${c.slug}.test`,
          '--password',
          'password-123',
          '--batch',
          '20',
          ...extra,
        ],
        { cwd: root, env: { ...process.env, LOG_LEVEL: 'SILENT' } },
      )

    // Act
    const first = await cli('--wait')
    const second = await cli()
    const badLogin = await cli('--password', 'wrong-password').catch(
      (e: { code: number; stderr: string }) => e,
    )

    // Assess
    expect(first.stdout).toContain('imported 50 of 50 files: 50 created, 0 updated, 0 unchanged')
    expect(first.stdout).toContain('indexed 50 of 50 new or changed articles')
    expect(second.stdout).toContain('0 created, 0 updated, 50 unchanged')
    expect(badLogin).toMatchObject({ code: 2 })
    expect((badLogin as { stderr: string }).stderr).toMatch(/HTTP 401/)
    const hits = await search(c.agent, 'How often are my sites backed up?')
    expect(hits[0]!.title).toBe('Backup schedule and retention')
  })

  // Spawns the CLI (tsx compiles it): a longer hang guard, not a time budget.
  it('kb:import without --url finds the runtime on PORT, as npm start does', {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const c = await createTenant(app, 'kb-cli-port')
    const root = join(import.meta.dirname, '../..')
    const { DRAFTDESK_URL: _url, PUBLIC_URL: _public, ...env } = process.env
    // Act
    const run = await promisify(execFile)(
      'npx',
      [
        'tsx',
        'local/kb-import.ts',
        'test/fixtures/kb/articles',
        '--tenant',
        c.slug,
        '--email',
        `admin@${c.slug}.test`,
        '--password',
        'password-123',
      ],
      { cwd: root, env: { ...env, PORT: new URL(app.url).port, LOG_LEVEL: 'SILENT' } },
    )
    // Assess
    expect(run.stdout).toContain('imported 50 of 50 files: 50 created, 0 updated, 0 unchanged')
  })

  it('validates search input', async () => {
    // Act
    const tooMany = await app.call('POST', '/kb/search', { query: 'dns', k: 51 }, { token: a.agent })
    const badKind = await app.call(
      'POST',
      '/kb/search',
      { query: 'dns', sourceKinds: ['web'] },
      { token: a.agent },
    )
    const customer = await app.call('POST', '/kb/search', { query: 'dns' }, { token: a.customer })
    const stopWords = await app.call('POST', '/kb/search', { query: 'how do I' }, { token: a.agent })

    // Assess
    expect([tooMany.status, badKind.status, customer.status]).toEqual([400, 400, 403])
    expect(stopWords.status).toBe(200)
  })
})
