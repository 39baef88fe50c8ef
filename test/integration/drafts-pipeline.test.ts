import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AiProvider, ChatMessage } from '#shared/ai/provider'
import { detectIntent } from '#shared/drafts/intent'
import { generateDraft } from '#shared/drafts/pipeline'
import type { DraftDeps } from '#shared/drafts/types'
import { DEFAULT_RERANKING_CONFIG } from '#shared/knowledge/rerank'
import type { DraftJob } from '#shared/queue/jobs'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const ARTICLES = [
  {
    title: 'Reset your cPanel password',
    content:
      'If you forgot your cPanel password you can reset it yourself. Log in to the client area, open ' +
      'Services, choose your hosting package and click Change cPanel Password. Save the new password.',
  },
  {
    title: 'Point your domain to our nameservers',
    content:
      'Set the nameservers ns1.draftdesk-hosting.test and ns2.draftdesk-hosting.test at your domain ' +
      'registrar. DNS changes take up to 24 hours to propagate.',
  },
  {
    title: 'Fix a 500 Internal Server Error',
    content:
      'A 500 internal server error on your website usually comes from a broken .htaccess file or wrong ' +
      'file permissions. Rename .htaccess and set folders to 755 and files to 644.',
  },
]

/** A provider that records the prompts it is sent and answers with the built-in drafter. */
function spyOn(base: AiProvider) {
  const prompts: ChatMessage[][] = []
  const ai: AiProvider = {
    name: base.name,
    embedModel: base.embedModel,
    dimensions: base.dimensions,
    translates: base.translates,
    embed: (texts, kind) => base.embed(texts, kind),
    chat: async (messages, options) => {
      prompts.push(messages)
      return base.chat(messages, options)
    },
  }
  return { ai, prompts }
}

/** A TEI `/rerank` endpoint as a fetch function: scores come from `score(text)`, or it answers `status`. */
function fakeTei(score: (text: string) => number, status = 200) {
  const requests: Array<{ url: string; body: { query: string; texts: string[]; raw_scores: boolean } }> = []
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body))
    requests.push({ url: String(url), body })
    if (status !== 200) return new Response('unavailable', { status })
    const results = body.texts.map((text: string, index: number) => ({ index, score: score(text) }))
    return Response.json(results)
  }) as typeof globalThis.fetch
  return { fetch, requests }
}

describe('Function: generateDraft', () => {
  let app: TestApp
  let t: TenantFixture
  let deps: DraftDeps

  /** A ticket with its messages, written directly so no draft job is queued for it. */
  const ticketWith = async (
    subject: string,
    messages: Array<{ role: 'user' | 'agent'; content: string }>,
    priority = 'medium',
  ) => {
    const sql = app.rt.deps.sql
    const [ticket] = await sql`
      INSERT INTO tickets (tenant_id, subject, content, priority, created_by_id)
      VALUES (${t.id}, ${subject}, ${messages[0]!.content}, ${priority}, ${t.customerId}) RETURNING id`
    const ids: number[] = []
    for (const m of messages) {
      const [row] = await sql`
        INSERT INTO messages (tenant_id, ticket_id, role, content)
        VALUES (${t.id}, ${ticket!.id}, ${m.role}, ${m.content}) RETURNING id`
      ids.push(row!.id)
    }
    return { ticketId: ticket!.id as number, messageIds: ids }
  }
  const jobFor = (ticketId: number, messageId: number | null = null): DraftJob => ({
    jobId: randomUUID(),
    tenantId: t.id,
    ticketId,
    messageId,
    trigger: 'auto',
    userId: null,
  })
  const draftOf = async (aiReplyId: number) => {
    const [row] = await app.rt.deps.sql`SELECT * FROM ai_replies WHERE id = ${aiReplyId}`
    return row!
  }
  const setEscalationSettings = async (escalation: unknown) => {
    const res = await app.call(
      'PATCH',
      `/tenants/${t.id}`,
      { settings: { escalation } },
      { token: app.superToken },
    )
    expect(res.status).toBe(200)
  }

  beforeAll(async () => {
    app = await startTestApp()
    t = await createTenant(app, 'pipeline')
    for (const article of ARTICLES) {
      const res = await app.call('POST', '/kb/articles', article, { token: t.admin })
      expect(res.status).toBe(201)
    }
    await app.rt.queues.idle()
    deps = app.rt.deps
  })
  afterAll(async () => app?.stop())

  it('answers the job message with the earlier thread summarised, masked, in the prompt', async () => {
    // Prepare
    const { ai, prompts } = spyOn(deps.ai)
    const { ticketId, messageIds } = await ticketWith('Website error', [
      { role: 'user', content: 'My website shows a 500 internal server error since yesterday.' },
      { role: 'agent', content: 'Could you send us the address of the page?' },
      {
        role: 'user',
        content: 'It is still broken. FTP password: hunter2secret, mail me at ann@example.org',
      },
    ])
    // Act
    const outcome = await generateDraft({ ...deps, ai }, jobFor(ticketId, messageIds[2]!), [])
    // Assess
    expect(outcome.status).toBe('created')
    const prompt = prompts[0]!.map((m) => m.content).join('\n')
    expect(prompt).toMatch(/<customer_thread_summary>\nCustomer: My website shows a 500/)
    expect(prompt).toContain('Agent: Could you send us the address of the page?')
    expect(prompt).toMatch(/<customer_message>\nIt is still broken/)
    expect(prompt).not.toContain('hunter2secret')
    expect(prompt).not.toContain('ann@example.org')
    expect(prompt).toContain('[EMAIL_1]')
    const draft = await draftOf((outcome as { aiReplyId: number }).aiReplyId)
    expect(draft.messageId).toBe(messageIds[2])
    // The earlier message carries the topic: retrieval found the 500-error article for "still broken".
    expect(draft.rerankedSources[0].title).toBe('Fix a 500 Internal Server Error')
    expect(draft.intentDetected).toBe('website_down')
    expect(draft.tokensUsed).toBeGreaterThan(0)
    expect(draft.latencyMs).toBeGreaterThanOrEqual(0)
  })

  it('reorders by the cross-encoder when RERANKER_URL is set, and records its scores', async () => {
    // Prepare: a cross-encoder that prefers the DNS article over the obvious password one.
    const tei = fakeTei((text) => (text.includes('nameservers') ? 0.95 : 0.3))
    const { ticketId } = await ticketWith('cPanel password', [
      { role: 'user', content: 'How do I reset my cPanel password? I am bob@example.net' },
    ])
    // Act
    const outcome = await generateDraft(
      { ...deps, config: { RERANKER_URL: 'http://tei.test:8080' }, fetch: tei.fetch },
      jobFor(ticketId),
      [],
    )
    // Assess
    const draft = await draftOf((outcome as { aiReplyId: number }).aiReplyId)
    expect(tei.requests).toHaveLength(1)
    expect(tei.requests[0]!.url).toBe('http://tei.test:8080/rerank')
    expect(tei.requests[0]!.body.raw_scores).toBe(false)
    expect(tei.requests[0]!.body.query).not.toContain('bob@example.net')
    expect(draft.rerankedSources[0].title).toBe('Point your domain to our nameservers')
    expect(draft.rerankedSources[0].relevance).toBe(0.95)
    const dns = draft.contextSources.find((s: any) => s.title === 'Point your domain to our nameservers')
    expect(dns.crossEncoderScore).toBe(0.95)
    // Best retrieval score is the cross-encoder's: no low-retrieval escalation. The one passage it lets
    // through says nothing about passwords, so the built-in drafter says it found no answer.
    expect(draft.escalationReasons.map((r: { code: string }) => r.code)).toEqual(['no_answer'])
    expect(draft.aiReply).not.toContain('[NO_ANSWER]')
  })

  it('falls back to retrieval scores when the cross-encoder is down', async () => {
    // Prepare
    const tei = fakeTei(() => 1, 503)
    const { ticketId } = await ticketWith('cPanel password', [
      { role: 'user', content: 'How do I reset my cPanel password?' },
    ])
    // Act
    const outcome = await generateDraft(
      { ...deps, config: { RERANKER_URL: 'http://tei.test:8080' }, fetch: tei.fetch },
      jobFor(ticketId),
      [],
    )
    // Assess
    expect(outcome.status).toBe('created')
    expect(tei.requests.length).toBeGreaterThan(1) // retried before giving up
    const draft = await draftOf((outcome as { aiReplyId: number }).aiReplyId)
    expect(draft.rerankedSources[0].title).toBe('Reset your cPanel password')
    const [audit] = await app.rt.deps.sql`
      SELECT details FROM audit_logs WHERE ai_reply_id = ${draft.id} AND action = 'draft_generated'`
    expect(audit!.details.crossEncoder).toBe('failed')
  })

  it("applies the tenant's escalation rules: extra keywords, disabled categories, own threshold", async () => {
    // Prepare
    await setEscalationSettings({
      extraKeywords: { outage: ['totally broken'] },
      disabledCategories: ['refund'],
      threshold: 0,
    })
    const { ticketId } = await ticketWith('Refund?', [
      {
        role: 'user',
        content: 'I want a refund, my site is totally broken and nobody helps with my Minecraft mods.',
      },
    ])
    // Act
    const outcome = await generateDraft(deps, jobFor(ticketId), [])
    await setEscalationSettings(undefined)
    // Assess
    const draft = await draftOf((outcome as { aiReplyId: number }).aiReplyId)
    // Threshold 0 keeps low retrieval off; nothing in the KB is about Minecraft, so the drafter says so.
    expect(draft.escalationReasons.map((r: any) => `${r.code}:${r.category ?? ''}`)).toEqual([
      'keyword:outage',
      'no_answer:',
    ])
  })

  it('ignores malformed tenant escalation settings and keeps the defaults', async () => {
    // Prepare
    await setEscalationSettings({ threshold: 'very high', disabledCategories: 'refund' })
    const { ticketId } = await ticketWith('Money back', [
      { role: 'user', content: 'Please refund my hosting.' },
    ])
    // Act
    const outcome = await generateDraft(deps, jobFor(ticketId), [])
    await setEscalationSettings(undefined)
    // Assess
    const draft = await draftOf((outcome as { aiReplyId: number }).aiReplyId)
    expect(draft.escalated).toBe(true)
    expect(draft.escalationReasons).toContainEqual(expect.objectContaining({ category: 'refund' }))
  })

  it('escalates a resolved ticket in the draft and the audit, leaving the status alone', async () => {
    // Prepare
    const { ticketId } = await ticketWith('Lawyer', [
      { role: 'user', content: 'My lawyer will contact you.' },
    ])
    await app.rt.deps.sql`UPDATE tickets SET status = 'resolved' WHERE id = ${ticketId}`
    // Act
    const outcome = await generateDraft(deps, jobFor(ticketId), [])
    // Assess
    const draft = await draftOf((outcome as { aiReplyId: number }).aiReplyId)
    expect(draft.escalated).toBe(true)
    const [ticket] = await app.rt.deps.sql`SELECT status, draft_state FROM tickets WHERE id = ${ticketId}`
    expect(ticket).toMatchObject({ status: 'resolved', draftState: 'ready' })
    const [audit] = await app.rt.deps.sql`
      SELECT details FROM audit_logs WHERE ticket_id = ${ticketId} AND action = 'ticket_escalated'`
    expect(audit!.details).toMatchObject({ statusChanged: false, previousStatus: 'resolved' })
  })

  it('skips missing tickets, closed tickets and jobs that already have their draft', async () => {
    // Prepare
    const { ticketId } = await ticketWith('Closed', [
      { role: 'user', content: 'How do I reset my password?' },
    ])
    await app.rt.deps.sql`UPDATE tickets SET status = 'closed', draft_state = 'queued' WHERE id = ${ticketId}`
    const open = await ticketWith('Open', [{ role: 'user', content: 'How do I reset my cPanel password?' }])
    const job = jobFor(open.ticketId)
    await generateDraft(deps, job, [])
    // Act
    const missing = await generateDraft(deps, jobFor(987_654), [])
    const otherTenant = await generateDraft(deps, { ...jobFor(open.ticketId), tenantId: t.id + 1000 }, [])
    const closed = await generateDraft(deps, jobFor(ticketId), [])
    const again = await generateDraft(deps, job, [])
    // Assess
    expect([missing, otherTenant, closed, again]).toEqual([
      { status: 'skipped', reason: 'ticket_missing' },
      { status: 'skipped', reason: 'ticket_missing' },
      { status: 'skipped', reason: 'ticket_closed' },
      { status: 'skipped', reason: 'duplicate' },
    ])
    const [closedTicket] = await app.rt.deps.sql`SELECT draft_state FROM tickets WHERE id = ${ticketId}`
    expect(closedTicket!.draftState).toBeNull()
    const [n] = await app.rt.deps
      .sql`SELECT count(*)::int AS n FROM ai_replies WHERE ticket_id = ${open.ticketId}`
    expect(n!.n).toBe(1)
  })

  it('says the ticket is missing, not a duplicate, when it is deleted while the model writes', async () => {
    // Prepare: a model whose answer arrives after the ticket is gone.
    const { ticketId } = await ticketWith('Deleted meanwhile', [
      { role: 'user', content: 'How do I reset my cPanel password?' },
    ])
    const sql = app.rt.deps.sql
    const slow: AiProvider = {
      ...deps.ai,
      embed: (texts, kind) => deps.ai.embed(texts, kind),
      chat: async (messages, options) => {
        await sql`DELETE FROM tickets WHERE id = ${ticketId}`
        return deps.ai.chat(messages, options)
      },
    }
    // Act
    const outcome = await generateDraft({ ...deps, ai: slow }, jobFor(ticketId), [])
    // Assess
    expect(outcome).toEqual({ status: 'skipped', reason: 'ticket_missing' })
  })

  it("uses the tenant's reranking config: top-k, and equal weights when disabled", async () => {
    // Prepare
    const put = await app.call(
      'PUT',
      '/settings/reranking',
      { ...DEFAULT_RERANKING_CONFIG, isEnabled: false, topKRerank: 2, scoreThreshold: 0 },
      { token: t.admin },
    )
    expect(put.status).toBe(200)
    const { ticketId } = await ticketWith('cPanel password', [
      { role: 'user', content: 'How do I reset my cPanel password for the domain?' },
    ])
    // Act
    const outcome = await generateDraft(deps, jobFor(ticketId), [])
    await app.call('PUT', '/settings/reranking', DEFAULT_RERANKING_CONFIG, { token: t.admin })
    // Assess
    const draft = await draftOf((outcome as { aiReplyId: number }).aiReplyId)
    expect(draft.rerankedSources).toHaveLength(2)
    expect(draft.rerankedSources.map((s: any) => s.sourceWeight)).toEqual([0.25, 0.25])
    expect(draft.contextSources.length).toBeGreaterThanOrEqual(2)
  })

  it('escalates for language_mismatch when the drafter cannot translate its sources, and not when it can', async () => {
    // Prepare: a German question, answered only by the English articles
    const question = 'Ich habe mein cPanel Passwort vergessen. Wie kann ich das Passwort zurücksetzen?'
    const quoting = await ticketWith('Passwort vergessen', [{ role: 'user', content: question }])
    const translating = await ticketWith('Passwort vergessen', [{ role: 'user', content: question }])
    const { ai: llm } = spyOn(deps.ai)
    // Act
    const builtin = await generateDraft(deps, jobFor(quoting.ticketId), [])
    const model = await generateDraft(
      { ...deps, ai: { ...llm, translates: true } },
      jobFor(translating.ticketId),
      [],
    )
    // Assess: the built-in drafter quotes English to a German customer, so a person must step in
    expect(deps.ai.translates).toBe(false)
    const quoted = await draftOf((builtin as { aiReplyId: number }).aiReplyId)
    expect(quoted.language).toBe('de')
    // The pipeline tells the drafter the sources' language; the built-in one says it quotes English
    expect(quoted.aiReply).toContain('Dokumentation auf Englisch')
    expect(quoted.escalated).toBe(true)
    expect(quoted.escalationReasons).toContainEqual({
      code: 'language_mismatch',
      detail:
        'The customer wrote in German and the sources are in English, which the drafter cannot translate',
    })
    const translated = await draftOf((model as { aiReplyId: number }).aiReplyId)
    expect(translated.escalationReasons.map((r: { code: string }) => r.code)).not.toContain(
      'language_mismatch',
    )
  })

  it('escalates for low retrieval when the question names something the sources never mention', async () => {
    // Prepare: the same topic twice; only the first asks about a thing the password article never says.
    // The second names another provider, but in a sentence that asks nothing.
    const asksAboutKey = await ticketWith('cPanel password', [
      { role: 'user', content: 'I forgot my cPanel password. Can I reset it with my YubiKey?' },
    ])
    const namesOldHost = await ticketWith('cPanel password', [
      {
        role: 'user',
        content: 'We moved here from HostGator. How can I reset my forgotten cPanel password?',
      },
    ])

    // Act
    const first = await generateDraft(deps, jobFor(asksAboutKey.ticketId), [])
    const second = await generateDraft(deps, jobFor(namesOldHost.ticketId), [])

    // Assess: the reason names the term, and the stored calibration record keeps it
    const key = await draftOf((first as { aiReplyId: number }).aiReplyId)
    expect(key.escalated).toBe(true)
    expect(key.escalationReasons).toContainEqual({
      code: 'low_retrieval',
      detail: 'The question asks about "yubikey", which the best sources never mention',
    })
    expect(key.calibration.unmentioned).toEqual(['yubikey'])
    expect(key.calibration.coverage).toBeGreaterThan(key.calibration.minCoverage)
    const host = await draftOf((second as { aiReplyId: number }).aiReplyId)
    expect(host.calibration.unmentioned).toEqual([])
    expect(host.escalationReasons).toEqual([])
  })

  it('supersedes the pending draft when a newer one is stored', async () => {
    // Prepare
    const { ticketId, messageIds } = await ticketWith('cPanel password', [
      { role: 'user', content: 'How do I reset my cPanel password?' },
    ])
    const first = await generateDraft(deps, jobFor(ticketId, messageIds[0]!), [])
    // Act
    const second = await generateDraft(deps, { ...jobFor(ticketId), trigger: 'regenerate' }, [])
    // Assess
    const rows = await app.rt.deps
      .sql`SELECT id, status, trigger FROM ai_replies WHERE ticket_id = ${ticketId} ORDER BY id`
    expect(rows.map((r) => [r.id, r.status, r.trigger])).toEqual([
      [(first as { aiReplyId: number }).aiReplyId, 'superseded', 'auto'],
      [(second as { aiReplyId: number }).aiReplyId, 'pending', 'regenerate'],
    ])
    const messages = await app.rt.deps.sql`
      SELECT count(*)::int AS n FROM messages WHERE ticket_id = ${ticketId} AND role = 'assistant'`
    expect(messages[0]!.n).toBe(2)
  })
})

describe('Function: detectIntent', () => {
  it('classifies by keywords in several languages, escalation categories first', () => {
    // Act / Assess
    expect(detectIntent('Where is my invoice for last month?')).toBe('billing')
    expect(detectIntent('Не могу войти, забыл пароль')).toBe('account_access')
    expect(detectIntent('Mein SSL Zertifikat ist abgelaufen')).toBe('ssl')
    expect(detectIntent('Mi dominio no resuelve, DNS')).toBe('domain_dns')
    expect(detectIntent('Hello there')).toBe('general')
    expect(detectIntent('invoice invoice', [{ code: 'keyword', category: 'refund', detail: 'refund' }])).toBe(
      'refund',
    )
  })
})
