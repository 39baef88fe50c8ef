import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeOllama, startFakeOllama } from '../fakes/ollama-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

/** Provider retries per embed call (env OLLAMA_RETRIES): each job attempt makes this + 1 requests. */
const RETRIES = 1
/** maxReceiveCount of the embed queue (shared/routes.ts). */
const RECEIVES = 3

describe('Function: embed worker against Ollama (fake server)', () => {
  let fake: FakeOllama
  let app: TestApp
  let t: TenantFixture

  const chunkCount = async (articleId: number) =>
    (
      await app.rt.deps.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM kb_chunks WHERE article_id = ${articleId}`
    )[0]!.n
  const embedCalls = () => fake.calls.filter((c) => c.path === '/api/embed').length

  beforeAll(async () => {
    fake = await startFakeOllama()
    app = await startTestApp({
      env: { OLLAMA_HOST: fake.url, OLLAMA_TIMEOUT_MS: '300', OLLAMA_RETRIES: String(RETRIES) },
    })
    t = await createTenant(app, 'kb-ollama')
  })
  afterAll(async () => {
    await app?.stop()
    await fake?.close()
  })

  it('indexes through the real Ollama client with nomic task prefixes and finds the article', async () => {
    // Prepare
    const before = fake.calls.length

    // Act
    const created = await app.call(
      'POST',
      '/kb/articles',
      {
        title: 'Webmail address',
        content: 'Open webmail at https://example.com/webmail with your mailbox login.',
      },
      { token: t.agent },
    )
    await app.rt.queues.idle()
    const search = await app.call('POST', '/kb/search', { query: 'where is webmail' }, { token: t.agent })

    // Assess
    const embeds = fake.calls.slice(before).filter((c) => c.path === '/api/embed')
    const inputs = embeds.flatMap((c) => (c.body as { input: string[] }).input)
    expect(inputs.some((i) => i.startsWith('search_document: Webmail address'))).toBe(true)
    expect(inputs).toContain('search_query: where is webmail')
    expect(search.body.items[0]).toMatchObject({ articleId: created.body.id, sourceKind: 'tenant_kb' })
    const [row] = await app.rt.deps.sql<{ model: string }[]>`
      SELECT metadata_json->>'embedModel' AS model FROM kb_chunks WHERE article_id = ${created.body.id}`
    expect(row!.model).toBe('nomic-embed-text')
  })

  it('Ollama answering 500: retried, dead-lettered with the error, article not indexed, no chunks', async () => {
    // Prepare
    const calls = embedCalls()
    fake.failNext(RECEIVES * (RETRIES + 1), '/api/embed')

    // Act
    const created = await app.call(
      'POST',
      '/kb/articles',
      { title: 'Outage article', content: 'This article is written while Ollama fails.' },
      { token: t.agent },
    )
    await app.rt.queues.idle()
    const article = await app.call('GET', `/kb/articles/${created.body.id}`, undefined, { token: t.agent })
    const dead = (await app.rt.queues.deadLetters('embed')).filter(
      (d) => (d.body as { articleId?: number }).articleId === created.body.id,
    )

    // Assess
    expect(embedCalls() - calls).toBe(RECEIVES * (RETRIES + 1))
    expect(dead).toHaveLength(1)
    expect(dead[0]).toMatchObject({ receiveCount: RECEIVES })
    expect(dead[0]!.lastError).toMatch(/HTTP 500/)
    expect(article.body).toMatchObject({ isIndexed: false })
    expect(article.body.indexError).toMatch(/HTTP 500/)
    expect(await chunkCount(created.body.id)).toBe(0)
  })

  it('Ollama hanging: each attempt times out, the job is dead-lettered and nothing is half-written', async () => {
    // Prepare
    fake.hangNext(RECEIVES * (RETRIES + 1), '/api/embed')

    // Act
    const created = await app.call(
      'POST',
      '/kb/articles',
      { title: 'Hang article', content: 'This article is written while Ollama hangs.' },
      { token: t.agent },
    )
    await app.rt.queues.idle()
    const article = await app.call('GET', `/kb/articles/${created.body.id}`, undefined, { token: t.agent })
    const dead = (await app.rt.queues.deadLetters('embed')).filter(
      (d) => (d.body as { articleId?: number }).articleId === created.body.id,
    )

    // Assess
    expect(dead).toHaveLength(1)
    expect(dead[0]!.lastError).toMatch(/timed out/)
    expect(article.body.isIndexed).toBe(false)
    expect(article.body.indexError).toMatch(/timed out after 300 ms/)
    expect(await chunkCount(created.body.id)).toBe(0)
  })

  it('recovers once Ollama is back: a redriven job indexes the article and clears the error', async () => {
    // Act
    const redriven = await app.rt.queues.redrive('embed')
    await app.rt.queues.idle()
    const list = await app.call('GET', '/kb/articles?limit=50', undefined, { token: t.agent })

    // Assess
    expect(redriven).toBe(2)
    expect(await app.rt.queues.deadLetters('embed')).toHaveLength(0)
    for (const a of list.body.items) expect(a).toMatchObject({ isIndexed: true, indexError: null })
  })
})
