import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OllamaProvider } from '#shared/ai/ollama'
import type { AiProvider } from '#shared/ai/provider'
import type { AuthContext } from '#shared/auth/roles'
import { approveDraft } from '#shared/review/review'
import { stripCitationMarkers } from '#shared/text/citations'
import { startFakeOllama } from '../fakes/ollama-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const DRAFT =
  'Thank you for reaching out. You can reset your cPanel password in the client area under Services [1]. ' +
  'Open your hosting package and click Change cPanel Password. The new password works within a minute.'
// A few words changed: still an approved example.
const LIGHT_EDIT = DRAFT.replace('within a minute', 'within two minutes')
// A different answer: a correction.
const HEAVY_EDIT =
  'Hello! Password resets are done by our security team for now. Please reply with your domain name and ' +
  'we will send a reset link to the account email within one business day.'

describe('Function: draft review (approve, reject) and the audit log', () => {
  let app: TestApp
  let acme: TenantFixture
  let globex: TenantFixture
  const sql = () => app.rt.deps.sql

  // Workers off: drafts are inserted directly, so these tests do not depend on the draft pipeline, and the
  // jobs an approval queues stay visible in the local queue table.
  beforeAll(async () => {
    app = await startTestApp({ workers: false })
    ;[acme, globex] = await Promise.all([
      createTenant(app, 'review-acme'),
      createTenant(app, 'review-globex'),
    ])
  })
  afterAll(async () => app?.stop())

  /** A customer ticket (via HTTP) with one pending draft for its first message (via SQL). */
  async function ticketWithDraft(
    t: TenantFixture,
    opts: { subject?: string; escalated?: boolean; confidence?: number } = {},
  ) {
    const res = await app.call(
      'POST',
      '/tickets',
      { subject: opts.subject ?? 'Forgot my cPanel password', content: 'How do I reset my cPanel password?' },
      { token: t.customer },
    )
    expect(res.status).toBe(201)
    const ticketId = res.body.id as number
    const [message] = await sql()<{ id: number }[]>`
      SELECT id FROM messages WHERE ticket_id = ${ticketId} AND role = 'user'`
    const draftId = await addDraft(t, ticketId, message!.id, opts)
    return { ticketId, messageId: message!.id, draftId }
  }

  async function addDraft(
    t: TenantFixture,
    ticketId: number,
    messageId: number | null,
    opts: { escalated?: boolean; confidence?: number } = {},
  ) {
    const reasons = opts.escalated ? [{ code: 'keyword', category: 'refund', detail: 'Matched refund' }] : []
    const [draft] = await sql()<{ id: number }[]>`
      INSERT INTO ai_replies (tenant_id, ticket_id, message_id, request_id, ai_reply, confidence_score,
        confidence_breakdown, reranked_sources, provider, model, escalated, escalation_reasons)
      VALUES (${t.id}, ${ticketId}, ${messageId}, ${randomUUID()}, ${DRAFT}, ${opts.confidence ?? 72},
        ${sql().json([{ component: 'retrieval', points: 30 }])},
        ${sql().json([{ rank: 1, title: 'Reset your cPanel password', sourceKind: 'tenant_kb' }])},
        'builtin', 'extractive', ${opts.escalated ?? false}, ${sql().json(reasons)})
      RETURNING id`
    return draft!.id
  }

  const approve = (t: TenantFixture, draftId: number, body: object = {}, token = t.agent) =>
    app.call('POST', `/drafts/${draftId}/approve`, body, { token })
  const reject = (t: TenantFixture, draftId: number, reason: string, token = t.agent) =>
    app.call('POST', `/drafts/${draftId}/reject`, { reason }, { token })
  const auditOf = async (draftId: number) =>
    (
      await sql()<{ action: string }[]>`
        SELECT action FROM audit_logs WHERE ai_reply_id = ${draftId} ORDER BY id`
    ).map((a) => a.action)
  const embedJobs = async () =>
    (await sql()<{ body: string }[]>`SELECT body FROM local_runtime.jobs WHERE queue = 'embed'`).map((j) =>
      JSON.parse(j.body),
    )

  it('approves a draft as is: stores the approval, answers the thread and the ticket, queues learning', async () => {
    // Prepare
    const { ticketId, messageId, draftId } = await ticketWithDraft(acme)
    // Act
    const res = await approve(acme, draftId)
    // Assess
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      ticketId,
      messageId,
      aiReplyId: draftId,
      finalReply: DRAFT,
      edited: false,
      editSimilarity: 1,
      editDistance: 1,
      editSummary: null,
      isCorrection: false,
      approvedBy: acme.agentId,
      sendToWhmcs: false,
      learningKind: 'approved_example',
      ticketStatus: 'answered',
    })
    const [draft] = await sql()`SELECT status FROM ai_replies WHERE id = ${draftId}`
    expect(draft!.status).toBe('approved')
    const [reply] =
      await sql()`SELECT role, content, author_user_id FROM messages WHERE id = ${res.body.agentMessageId}`
    // The thread holds what the customer reads: no citation markers; the approval keeps them.
    expect(res.body.customerReply).toBe(stripCitationMarkers(DRAFT))
    expect(res.body.customerReply).not.toMatch(/\[\d+\]/)
    expect(reply).toEqual({ role: 'agent', content: res.body.customerReply, authorUserId: acme.agentId })
    const [ticket] = await sql()`SELECT status FROM tickets WHERE id = ${ticketId}`
    expect(ticket!.status).toBe('answered')
    expect(await embedJobs()).toContainEqual(
      expect.objectContaining({ kind: 'approved_reply', tenantId: acme.id, approvedReplyId: res.body.id }),
    )
    expect(await auditOf(draftId)).toEqual(['reply_approved'])
  })

  it('records a light edit as an approved example and a heavy edit as a flagged correction', async () => {
    // Prepare
    const light = await ticketWithDraft(acme)
    const heavy = await ticketWithDraft(acme)
    // Act
    const lightRes = await approve(acme, light.draftId, { finalReply: LIGHT_EDIT })
    const heavyRes = await approve(acme, heavy.draftId, { finalReply: HEAVY_EDIT })
    // Assess
    expect(lightRes.status).toBe(201)
    expect(lightRes.body).toMatchObject({
      edited: true,
      isCorrection: false,
      learningKind: 'approved_example',
    })
    expect(lightRes.body.editSimilarity).toBeGreaterThanOrEqual(0.7)
    expect(lightRes.body.editSimilarity).toBeLessThan(1)
    // The deprecated name carries the same value for clients written against it.
    expect(lightRes.body.editDistance).toBe(lightRes.body.editSimilarity)
    expect(lightRes.body.editSummary).toMatch(/Reworded 1 sentence/)
    expect(await auditOf(light.draftId)).toEqual(['reply_approved', 'reply_edited'])

    expect(heavyRes.status).toBe(201)
    expect(heavyRes.body).toMatchObject({ edited: true, isCorrection: true, learningKind: 'correction' })
    expect(heavyRes.body.editSimilarity).toBeLessThan(0.7)
    expect(heavyRes.body.editDistance).toBe(heavyRes.body.editSimilarity)
    expect(heavyRes.body.editSummary).toMatch(/Added|Removed/)
    expect(await auditOf(heavy.draftId)).toEqual(['reply_approved', 'reply_edited', 'correction_flagged'])
    const [stored] = await sql()`
      SELECT final_reply, edited, is_correction, edit_distance FROM approved_replies WHERE id = ${heavyRes.body.id}`
    expect(stored).toMatchObject({ finalReply: HEAVY_EDIT, edited: true, isCorrection: true })
    expect(stored!.editDistance).toBeCloseTo(heavyRes.body.editDistance, 5)
    const [message] = await sql()`SELECT content FROM messages WHERE id = ${heavyRes.body.agentMessageId}`
    expect(message!.content).toBe(HEAVY_EDIT)
  })

  it('answers 409 when a draft is approved twice or approved after a rejection', async () => {
    // Prepare
    const a = await ticketWithDraft(acme)
    const b = await ticketWithDraft(acme)
    expect((await approve(acme, a.draftId)).status).toBe(201)
    expect((await reject(acme, b.draftId, 'Wrong product')).status).toBe(200)
    // Act
    const twice = await approve(acme, a.draftId, { finalReply: 'Something else entirely.' })
    const afterReject = await approve(acme, b.draftId)
    // Assess
    expect(twice.status).toBe(409)
    expect(twice.body.error.message).toBe('draft already approved')
    expect(afterReject.status).toBe(409)
    expect(afterReject.body.error.message).toBe('draft already rejected')
    const [count] = await sql()`
      SELECT count(*)::int AS n FROM approved_replies WHERE ai_reply_id IN (${a.draftId}, ${b.draftId})`
    expect(count!.n).toBe(1)
  })

  it('allows one approval per customer message: a later draft of an answered message is a 409', async () => {
    // Prepare: an approved draft, then a regenerated draft for the same message.
    const { ticketId, messageId, draftId } = await ticketWithDraft(acme)
    expect((await approve(acme, draftId)).status).toBe(201)
    const second = await addDraft(acme, ticketId, messageId)
    // Act
    const res = await approve(acme, second, { finalReply: HEAVY_EDIT })
    // Assess
    expect(res.status).toBe(409)
    expect(res.body.error.message).toBe('this customer message already has an approved reply')
    const [draft] = await sql()`SELECT status FROM ai_replies WHERE id = ${second}`
    expect(draft!.status).toBe('pending')
    const messages = await sql()`SELECT 1 FROM messages WHERE ticket_id = ${ticketId} AND role = 'agent'`
    expect(messages).toHaveLength(1)
  })

  it("answers 404 for another tenant's draft and 403 for a customer, changing nothing", async () => {
    // Prepare
    const { draftId } = await ticketWithDraft(acme)
    // Act
    const foreignApprove = await approve(globex, draftId, {}, globex.admin)
    const foreignReject = await reject(globex, draftId, 'nope', globex.agent)
    const customer = await approve(acme, draftId, {}, acme.customer)
    const customerReject = await reject(acme, draftId, 'nope', acme.customer)
    const missing = await approve(acme, 2_000_000_000)
    // Assess
    expect(foreignApprove.status).toBe(404)
    expect(foreignReject.status).toBe(404)
    expect(customer.status).toBe(403)
    expect(customerReject.status).toBe(403)
    expect(missing.status).toBe(404)
    const [draft] = await sql()`SELECT status FROM ai_replies WHERE id = ${draftId}`
    expect(draft!.status).toBe('pending')
    expect(await auditOf(draftId)).toEqual([])
  })

  it('rejects a draft with its reason, once', async () => {
    // Prepare
    const { ticketId, draftId } = await ticketWithDraft(acme)
    // Act
    const res = await reject(acme, draftId, '  Wrong price quoted ')
    const again = await reject(acme, draftId, 'still wrong')
    const empty = await reject(acme, (await ticketWithDraft(acme)).draftId, '   ')
    // Assess
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      id: draftId,
      status: 'rejected',
      rejectReason: 'Wrong price quoted',
      reviewChannel: 'api',
    })
    expect(again.status).toBe(409)
    expect(empty.status).toBe(400)
    const [audit] =
      await sql()`SELECT action, user_id, details FROM audit_logs WHERE ai_reply_id = ${draftId}`
    expect(audit).toEqual({
      action: 'draft_rejected',
      userId: acme.agentId,
      details: { reason: 'Wrong price quoted', channel: 'api' },
    })
    const [ticket] = await sql()`SELECT status FROM tickets WHERE id = ${ticketId}`
    expect(ticket!.status).toBe('open')
  })

  it('moves an escalated ticket to answered and leaves a closed one closed', async () => {
    // Prepare
    const escalated = await ticketWithDraft(acme, { escalated: true })
    await sql()`UPDATE tickets SET status = 'escalated' WHERE id = ${escalated.ticketId}`
    const closed = await ticketWithDraft(acme)
    await sql()`UPDATE tickets SET status = 'closed' WHERE id = ${closed.ticketId}`
    // Act
    const a = await approve(acme, escalated.draftId)
    const b = await approve(acme, closed.draftId)
    // Assess
    expect(a.body.ticketStatus).toBe('answered')
    expect(b.status).toBe(201)
    expect(b.body.ticketStatus).toBe('closed')
    const rows = await sql()`
      SELECT id, status FROM tickets WHERE id IN (${escalated.ticketId}, ${closed.ticketId}) ORDER BY id`
    expect(rows.map((r) => r.status)).toEqual(['answered', 'closed'])
  })

  it('refuses sendToWhmcs with a clear 400 when the tenant has no WHMCS connection', async () => {
    // Prepare
    const { draftId } = await ticketWithDraft(acme)
    // Act
    const res = await approve(acme, draftId, { sendToWhmcs: true })
    // Assess
    expect(res.status).toBe(400)
    expect(res.body.error.message).toMatch(/WHMCS is not configured/)
    const [draft] = await sql()`SELECT status FROM ai_replies WHERE id = ${draftId}`
    expect(draft!.status).toBe('pending')
  })

  it('queues the WHMCS reply with the approval when the tenant and ticket are connected', async () => {
    // Prepare
    const wh = await createTenant(app, 'review-whmcs')
    const patch = await app.call(
      'PATCH',
      `/tenants/${wh.id}`,
      { whmcsUrl: 'https://billing.example.test', whmcsIdentifier: 'ident', whmcsSecret: 'secret' },
      { token: app.superToken },
    )
    expect(patch.status).toBe(200)
    const local = await ticketWithDraft(wh)
    const linked = await ticketWithDraft(wh)
    await sql()`UPDATE tickets SET whmcs_ticket_id = 4242, whmcs_tid = 'ABC-4242' WHERE id = ${linked.ticketId}`
    // Act
    const notLinked = await approve(wh, local.draftId, { sendToWhmcs: true })
    const res = await approve(wh, linked.draftId, { sendToWhmcs: true, finalReply: LIGHT_EDIT })
    // Assess
    expect(notLinked.status).toBe(400)
    expect(notLinked.body.error.message).toMatch(/did not come from WHMCS/)
    expect(res.status).toBe(201)
    expect(res.body.sendToWhmcs).toBe(true)
    const sends =
      await sql()`SELECT tenant_id, status FROM whmcs_sends WHERE approved_reply_id = ${res.body.id}`
    expect(sends).toEqual([{ tenantId: wh.id, status: 'pending' }])
    const jobs = await sql()<{ body: string }[]>`SELECT body FROM local_runtime.jobs WHERE queue = 'send'`
    expect(jobs.map((j) => JSON.parse(j.body))).toContainEqual(
      expect.objectContaining({ tenantId: wh.id, approvedReplyId: res.body.id }),
    )
  })

  describe('edit summary from the model', () => {
    const agentOf = (t: TenantFixture): AuthContext => ({
      kind: 'user',
      tenantId: t.id,
      userId: t.agentId,
      role: 'support_agent',
    })
    const model = (chat: AiProvider['chat']): Pick<AiProvider, 'name' | 'chat'> => ({ name: 'ollama', chat })

    it('stores the model’s summary of the edit when a model is available', async () => {
      // Prepare
      const { draftId } = await ticketWithDraft(acme)
      const prompts: string[] = []
      const ai = model(async (messages) => {
        prompts.push(messages.map((m) => m.content).join('\n'))
        return {
          content: ' Replaced self-service reset with a\nsecurity-team reset. ',
          model: 'm',
          promptTokens: 1,
          completionTokens: 1,
        }
      })
      const finalReply = `${HEAVY_EDIT} Or write to jane.doe@example.com from your card 4242 4242 4242 4242.`
      // Act
      const approval = await approveDraft({ sql: sql(), ai }, agentOf(acme), draftId, { finalReply }, [])
      // Assess
      expect(approval.editSummary).toBe('Replaced self-service reset with a security-team reset.')
      expect(prompts[0]).toContain(DRAFT)
      expect(prompts[0]).toContain(HEAVY_EDIT)
      // Customer data is masked before it reaches the model, as in drafting.
      expect(prompts[0]).toContain('[EMAIL_1]')
      expect(prompts[0]).not.toContain('jane.doe@example.com')
      expect(prompts[0]).not.toContain('4242 4242 4242 4242')
      const [audit] = await sql()`
        SELECT details FROM audit_logs WHERE ai_reply_id = ${draftId} AND action = 'reply_edited'`
      expect(audit!.details.summarySource).toBe('llm')
    })

    it('falls back to the rule-based summary when the model fails, and never asks it for unedited approvals', async () => {
      // Prepare
      const failing = await ticketWithDraft(acme)
      const unedited = await ticketWithDraft(acme)
      let calls = 0
      const ai = model(async () => {
        calls++
        throw new Error('model host unreachable')
      })
      // Act
      const a = await approveDraft(
        { sql: sql(), ai },
        agentOf(acme),
        failing.draftId,
        { finalReply: HEAVY_EDIT },
        [],
      )
      const b = await approveDraft({ sql: sql(), ai }, agentOf(acme), unedited.draftId, {}, [])
      // Assess
      expect(a.editSummary).toMatch(/^(Added|Removed|Reworded)/)
      expect(a.isCorrection).toBe(true)
      expect(b.editSummary).toBeNull()
      expect(calls).toBe(1)
    })

    it('abandons a model that does not answer in time: the request is aborted, never retried, and the approval keeps the rules’ summary', async () => {
      // Prepare: a real Ollama client against a fake whose chat never answers; its own timeout is far off.
      const fake = await startFakeOllama()
      try {
        fake.hangNext(1, '/api/chat')
        const ai = new OllamaProvider({ host: fake.url, chatTimeoutMs: 600_000, minBackoffMs: 5 })
        const { draftId } = await ticketWithDraft(acme)
        // Act
        const approval = await approveDraft(
          // Long enough for the request to reach the fake on a loaded machine (it is aborted after), far
          // shorter than the client's own timeout.
          { sql: sql(), ai, editSummaryTimeoutMs: 1_000 },
          agentOf(acme),
          draftId,
          { finalReply: HEAVY_EDIT },
          [],
        )
        // Assess
        expect(approval.editSummary).toMatch(/^(Added|Removed|Reworded)/)
        const chats = () => fake.calls.filter((c) => c.path === '/api/chat')
        await expect.poll(() => chats()[0]?.aborted).toBe(true)
        expect(chats()).toHaveLength(1)
        const [audit] = await sql()`
          SELECT details FROM audit_logs WHERE ai_reply_id = ${draftId} AND action = 'reply_edited'`
        expect(audit!.details.summarySource).toBe('rules')
      } finally {
        await fake.close()
      }
    })
  })

  it('lists the review queue oldest first and shows a ticket with its draft, sources, breakdown and reasons', async () => {
    // Prepare
    const r = await createTenant(app, 'review-queue')
    const first = await ticketWithDraft(r, { subject: 'First', escalated: true })
    const second = await ticketWithDraft(r, { subject: 'Second' })
    const done = await ticketWithDraft(r, { subject: 'Done' })
    expect((await approve(r, done.draftId)).status).toBe(201)
    // Act
    const queue = await app.call('GET', '/tickets?needsReview=true', undefined, { token: r.agent })
    const detail = await app.call('GET', `/tickets/${first.ticketId}`, undefined, { token: r.agent })
    // Assess
    expect(queue.status).toBe(200)
    expect(queue.body.items.map((t: any) => [t.id, t.pendingDraftId, t.escalated])).toEqual([
      [first.ticketId, first.draftId, true],
      [second.ticketId, second.draftId, false],
    ])
    expect(detail.body.messages.map((m: any) => m.role)).toEqual(['user'])
    expect(detail.body.latestDraft).toMatchObject({
      id: first.draftId,
      status: 'pending',
      reply: DRAFT,
      confidenceScore: 72,
      confidenceBreakdown: [{ component: 'retrieval', points: 30 }],
      sources: [{ rank: 1, sourceKind: 'tenant_kb' }],
      escalated: true,
      escalationReasons: [{ code: 'keyword', category: 'refund' }],
    })
  })

  describe('GET /audit', () => {
    let t: TenantFixture
    beforeAll(async () => {
      t = await createTenant(app, 'review-audit')
      const a = await ticketWithDraft(t)
      const b = await ticketWithDraft(t)
      expect((await approve(t, a.draftId, { finalReply: HEAVY_EDIT })).status).toBe(201)
      expect((await reject(t, b.draftId, 'Off topic')).status).toBe(200)
    })

    it('lists the tenant’s entries newest first with who did it, filtered and paginated', async () => {
      // Act
      const all = await app.call('GET', '/audit?limit=200', undefined, { token: t.admin })
      const approvals = await app.call('GET', '/audit?entityType=approved_reply', undefined, {
        token: t.admin,
      })
      const flagged = await app.call('GET', '/audit?action=correction_flagged', undefined, { token: t.admin })
      // Assess
      expect(all.status).toBe(200)
      const ids = all.body.items.map((e: any) => e.id)
      expect(ids).toEqual([...ids].sort((x: number, y: number) => y - x))
      const actions = all.body.items.map((e: any) => e.action)
      for (const action of [
        'draft_rejected',
        'correction_flagged',
        'reply_edited',
        'reply_approved',
        'ticket_created',
        'user_created',
      ]) {
        expect(actions).toContain(action)
      }
      expect(all.body.items.find((e: any) => e.action === 'reply_approved')).toMatchObject({
        entityType: 'approved_reply',
        userId: t.agentId,
        userEmail: `support_agent@review-audit.test`,
      })
      expect(approvals.body.items.map((e: any) => e.action).sort()).toEqual([
        'correction_flagged',
        'reply_approved',
        'reply_edited',
      ])
      expect(flagged.body.items).toHaveLength(1)
      expect(flagged.body.items[0].details.similarity).toBeLessThan(0.7)
    })

    it('pages with a cursor without gaps or repeats', async () => {
      // Act
      const seen: number[] = []
      let cursor: string | null = null
      do {
        const res: any = await app.call(
          'GET',
          `/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          undefined,
          { token: t.admin },
        )
        expect(res.status).toBe(200)
        seen.push(...res.body.items.map((e: any) => e.id))
        cursor = res.body.nextCursor
      } while (cursor)
      // Assess
      const all = await app.call('GET', '/audit?limit=200', undefined, { token: t.admin })
      expect(seen).toEqual(all.body.items.map((e: any) => e.id))
    })

    it('is for admins of the tenant only', async () => {
      // Act
      const agent = await app.call('GET', '/audit', undefined, { token: t.agent })
      const other = await app.call('GET', '/audit?limit=200', undefined, { token: globex.admin })
      const foreign = await app.call('GET', `/audit?tenantId=${t.id}`, undefined, { token: globex.admin })
      const superadmin = await app.call('GET', `/audit?tenantId=${t.id}&action=draft_rejected`, undefined, {
        token: app.superToken,
      })
      // Assess
      expect(agent.status).toBe(403)
      expect(other.status).toBe(200)
      const theirs = await sql()<{ id: string }[]>`SELECT id FROM audit_logs WHERE tenant_id = ${t.id}`
      const visible = new Set(other.body.items.map((e: any) => e.id))
      expect(theirs.length).toBeGreaterThan(0)
      expect(theirs.filter((r) => visible.has(Number(r.id)))).toEqual([])
      expect(foreign.status).toBe(403)
      expect(superadmin.body.items.map((e: any) => e.details.reason)).toEqual(['Off topic'])
    })
  })
})
