import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OllamaProvider } from '#shared/ai/ollama'
import { queues } from '#shared/routes'
import { type FakeOllama, startFakeOllama } from '../fakes/ollama-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const RETRY_BASE_MS = 100
const MAX_RECEIVES = queues.find((q) => q.name === 'draft')!.maxReceiveCount

describe('Function: draft worker when Ollama fails', () => {
  let app: TestApp
  let fake: FakeOllama
  let t: TenantFixture

  const chatCalls = () => fake.calls.filter((c) => c.path === '/api/chat').length
  const newTicket = async (content: string) => {
    const res = await app.call(
      'POST',
      '/tickets',
      { subject: 'cPanel password', content },
      { token: t.customer },
    )
    expect(res.status).toBe(201)
    return res.body.id as number
  }
  const ticketView = async (id: number) =>
    (await app.call('GET', `/tickets/${id}`, undefined, { token: t.agent })).body

  beforeAll(async () => {
    fake = await startFakeOllama()
    app = await startTestApp({
      env: { OLLAMA_HOST: fake.url },
      queue: { retryBaseMs: RETRY_BASE_MS, pollIntervalMs: 20 },
    })
    // The production client waits 60 s per chat and retries internally; here each queue receive makes one
    // short attempt, so the queue's own retries and dead-lettering are what the test observes.
    app.rt.deps.ai = new OllamaProvider({ host: fake.url, chatTimeoutMs: 300, retries: 0 })
    t = await createTenant(app, 'drafts-failing')
    const article = await app.call(
      'POST',
      '/kb/articles',
      {
        title: 'Reset your cPanel password',
        content: 'Open Services in the client area and click Change cPanel Password to reset it.',
      },
      { token: t.admin },
    )
    expect(article.status).toBe(201)
    await app.rt.queues.idle()
  })
  afterAll(async () => {
    await app?.stop()
    await fake?.close()
  })

  it('retries with backoff, dead-letters, marks the ticket failed, and a later regenerate works', async () => {
    // Prepare
    fake.failNext(MAX_RECEIVES, '/api/chat')
    const callsBefore = chatCalls()
    // Act
    const ticketId = await newTicket('How do I reset my cPanel password?')
    await app.rt.queues.idle()
    // Assess: one attempt per receive (the backoff between them: test/integration/local-queues.test.ts).
    expect(chatCalls() - callsBefore).toBe(MAX_RECEIVES)
    const dead = (await app.rt.queues.deadLetters('draft')).filter(
      (d) => (d.body as { ticketId: number }).ticketId === ticketId,
    )
    expect(dead).toHaveLength(1)
    expect(dead[0]!.receiveCount).toBe(MAX_RECEIVES)
    expect(dead[0]!.lastError).toContain('HTTP 500')
    const failed = await ticketView(ticketId)
    expect(failed).toMatchObject({ draftState: 'failed', latestDraft: null })
    expect(failed.draftError).toContain('HTTP 500')
    const [audit] = await app.rt.deps.sql`
      SELECT details FROM audit_logs WHERE ticket_id = ${ticketId} AND action = 'draft_failed'`
    expect(audit!.details.error).toContain('HTTP 500')

    // Act: the fake has recovered (its injected failures are used up); an agent regenerates.
    const regen = await app.call('POST', `/tickets/${ticketId}/drafts`, undefined, { token: t.agent })
    await app.rt.queues.idle()
    // Assess
    expect(regen.status).toBe(202)
    const recovered = await ticketView(ticketId)
    expect(recovered).toMatchObject({ draftState: 'ready', draftError: null })
    expect(recovered.latestDraft).toMatchObject({
      trigger: 'regenerate',
      status: 'pending',
      provider: 'ollama',
    })
  })

  it('treats a hanging Ollama as a timeout: dead-lettered with the error, then regenerated', async () => {
    // Prepare
    fake.hangNext(MAX_RECEIVES, '/api/chat')
    // Act
    const ticketId = await newTicket('I forgot my cPanel password, how do I reset it?')
    await app.rt.queues.idle()
    // Assess
    const dead = (await app.rt.queues.deadLetters('draft')).filter(
      (d) => (d.body as { ticketId: number }).ticketId === ticketId,
    )
    expect(dead).toHaveLength(1)
    expect(dead[0]!.lastError).toMatch(/timed out/)
    const failed = await ticketView(ticketId)
    expect(failed.draftState).toBe('failed')
    expect(failed.draftError).toMatch(/timed out/)

    // Act
    await app.call('POST', `/tickets/${ticketId}/drafts`, undefined, { token: t.agent })
    await app.rt.queues.idle()
    // Assess
    const [n] = await app.rt.deps.sql`SELECT count(*)::int AS n FROM ai_replies WHERE ticket_id = ${ticketId}`
    expect(n!.n).toBe(1)
    expect((await ticketView(ticketId)).draftState).toBe('ready')
  })

  it('recovers on a later receive without marking the ticket failed', async () => {
    // Prepare
    fake.failNext(1, '/api/chat')
    // Act
    const ticketId = await newTicket('Where do I change my cPanel password?')
    await app.rt.queues.idle()
    // Assess
    const view = await ticketView(ticketId)
    expect(view).toMatchObject({ draftState: 'ready', draftError: null })
    expect(view.latestDraft.trigger).toBe('auto')
    const audits = await app.rt.deps.sql`
      SELECT action FROM audit_logs WHERE ticket_id = ${ticketId} AND action LIKE 'draft_%'`
    expect(audits.map((a) => a.action)).toEqual(['draft_generated'])
  })
})
