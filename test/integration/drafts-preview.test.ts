/**
 * previewDraft: the pipeline's stages for a question alone, writing nothing; what "Try a question" and a
 * replay of the desk's history are built on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { previewDraft } from '#shared/drafts/preview'
import type { DraftDeps } from '#shared/drafts/types'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const ARTICLE = {
  title: 'Reset your cPanel password',
  content:
    'If you forgot your cPanel password you can reset it yourself. Log in to the client area, open ' +
    'Services, choose your hosting package and click Change cPanel Password.',
}

describe('Function: previewDraft', () => {
  let app: TestApp
  let acme: TenantFixture
  let globex: TenantFixture
  let deps: DraftDeps
  const sql = () => app.rt.deps.sql

  /** Rows a draft, a ticket, an approval or a job would add. */
  const footprint = async () => {
    const [row] = await sql()<Record<string, number>[]>`
      SELECT (SELECT count(*)::int FROM ai_replies) AS drafts, (SELECT count(*)::int FROM tickets) AS tickets,
             (SELECT count(*)::int FROM messages) AS messages, (SELECT count(*)::int FROM outbox) AS jobs,
             (SELECT count(*)::int FROM audit_logs) AS audits, (SELECT count(*)::int FROM kb_chunks) AS chunks`
    return row
  }

  beforeAll(async () => {
    app = await startTestApp()
    ;[acme, globex] = await Promise.all([createTenant(app, 'acme'), createTenant(app, 'globex')])
    deps = { sql: app.rt.deps.sql, ai: app.rt.deps.ai, config: { RERANKER_URL: undefined } }
    expect((await app.call('POST', '/kb/articles', ARTICLE, { token: acme.agent })).status).toBe(201)
    await app.rt.queues.idle(60_000)
  }, 120_000)
  afterAll(async () => app?.stop())

  it('drafts from the tenant’s knowledge base, cites the article, and writes nothing', async () => {
    // Prepare
    const before = await footprint()
    // Act
    const preview = await previewDraft(deps, acme.id, { question: 'How can I reset my cPanel password?' })
    // Assess
    expect(preview.sources[0]).toMatchObject({ title: ARTICLE.title, sourceKind: 'tenant_kb', cited: true })
    expect(preview.reply).toMatch(/Change cPanel Password/)
    expect(preview.escalated).toBe(false)
    expect(preview.confidence).toBeGreaterThan(0)
    expect(await footprint()).toEqual(before)
  })

  it('answers POST /drafts/preview for staff, in their own tenant only, and refuses customers', async () => {
    // Prepare
    const body = { question: 'How can I reset my cPanel password?' }
    const before = await footprint()
    // Act
    const agent = await app.call('POST', '/drafts/preview', body, { token: acme.agent })
    const other = await app.call('POST', '/drafts/preview', body, { token: globex.agent })
    const customer = await app.call('POST', '/drafts/preview', body, { token: acme.customer })
    // Assess
    expect(agent.status).toBe(200)
    expect(agent.body.sources[0]).toMatchObject({ title: ARTICLE.title, cited: true })
    expect(agent.body).not.toHaveProperty('stages')
    expect(other.body.sources.map((s: { title: string }) => s.title)).not.toContain(ARTICLE.title)
    expect(customer.status).toBe(403)
    expect(await footprint()).toEqual(before)
  })

  it('never sees another tenant’s articles', async () => {
    // Act
    const preview = await previewDraft(deps, globex.id, { question: 'How can I reset my cPanel password?' })
    // Assess
    expect(preview.sources.map((s) => s.title)).not.toContain(ARTICLE.title)
    expect(preview.escalationReasons.map((r) => r.code)).toContain('low_retrieval')
  })

  it('leaves out what a ticket’s own approved reply taught when asked to (a replay)', async () => {
    // Prepare: an answered ticket whose approval is learnt as an approved example.
    const ticket = await app.call(
      'POST',
      '/tickets',
      { subject: 'Mailbox quota', content: 'How big can my mailbox get on the Starter plan?' },
      { token: acme.customer },
    )
    await app.rt.queues.idle(60_000)
    const drafts = await app.call('GET', `/tickets/${ticket.body.id}/drafts`, undefined, {
      token: acme.agent,
    })
    const reply = 'Starter mailboxes hold up to 10 GB each; you can raise it in the client area under Email.'
    const approved = await app.call(
      'POST',
      `/drafts/${drafts.body.items[0].id}/approve`,
      { finalReply: reply },
      { token: acme.agent },
    )
    expect(approved.status).toBe(201)
    await app.rt.queues.idle(60_000)
    const question = 'How big can a mailbox get on the Starter plan?'
    // Act
    const live = await previewDraft(deps, acme.id, { question })
    const replay = await previewDraft(deps, acme.id, { question, excludeLearningOfTicket: ticket.body.id })
    // Assess
    const learnt = (p: typeof live) => p.sources.filter((s) => s.approvedReplyId === approved.body.id)
    expect(learnt(live)).toHaveLength(1)
    expect(learnt(replay)).toEqual([])
    expect(replay.reply).not.toContain('10 GB')
  })
})
