/**
 * Implicit review from WHMCS staff replies (issue 10), on the local runtime with its workers and the
 * built-in AI provider: signed webhooks and the sync against the fake WHMCS, learning through the embed
 * worker, and the next draft's retrieval.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { similarityRatio } from '#shared/review/similarity'
import { stripCitationMarkers } from '#shared/text/citations'
import { signWebhook } from '#shared/whmcs/signature'
import { runWhmcsSync } from '#shared/whmcs/sync'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const CREDS = { identifier: 'review-ident', secret: 'review-secret-value' }
const DRAFT =
  'Your site returns HTTP 500 because the new PHP version disabled the ionCube loader. Open cPanel, go to ' +
  'Select PHP Version and enable the ioncube_loader extension. [1]\n\nThe site works again within a minute.'
const BACKUP_CORRECTION =
  'Backups are now kept for 30 days, not 7. Older restore points can be requested from the support team ' +
  'free of charge.'

describe('Function: implicit review from WHMCS staff replies', () => {
  let app: TestApp
  let t: TenantFixture
  let fake: FakeWhmcs
  const sql = () => app.rt.deps.sql

  beforeAll(async () => {
    app = await startTestApp()
    t = await createTenant(app, 'whmcs-review')
    fake = await startFakeWhmcs({ ...CREDS })
    const connect = await app.call(
      'PATCH',
      `/tenants/${t.id}`,
      {
        whmcsUrl: fake.url,
        whmcsIdentifier: CREDS.identifier,
        whmcsSecret: CREDS.secret,
        whmcsAdminUsername: 'draftdesk',
      },
      { token: app.superToken },
    )
    expect(connect.status).toBe(200)
    // As in learning-builtin.test.ts: the lexical built-in embedder needs corrections weighted up to
    // clear the 0.5 threshold.
    const weights = await app.call(
      'PUT',
      '/settings/reranking',
      {
        isEnabled: true,
        modelName: 'cross-encoder/ms-marco-MiniLM-L-6-v2',
        weights: { global_kb: 0.1, tenant_kb: 0.2, approved_example: 0.3, correction: 0.4 },
        topKInitial: 20,
        topKRerank: 5,
        scoreThreshold: 0.5,
      },
      { token: t.admin },
    )
    expect(weights.status).toBe(200)
    const article = await app.call(
      'POST',
      '/kb/articles',
      {
        title: 'Backups on shared hosting',
        content:
          'We back up every shared hosting account once a day and keep the copies for 7 days. ' +
          'You can restore files yourself from the backup tool in cPanel.',
      },
      { token: t.admin },
    )
    expect(article.status).toBe(201)
    await app.rt.queues.idle()
  }, 120_000)
  afterAll(async () => {
    await fake?.close()
    await app?.stop()
  })

  const post = async (body: unknown, eventId: string = randomUUID(), tenant: TenantFixture = t) => {
    const raw = JSON.stringify(body)
    const timestamp = Math.floor(Date.now() / 1000)
    const res = await app.call('POST', `/webhooks/whmcs/${tenant.slug}`, undefined, {
      raw,
      headers: {
        'x-draftdesk-event-id': eventId,
        'x-draftdesk-timestamp': String(timestamp),
        'x-draftdesk-signature': signWebhook(tenant.webhookSecret, timestamp, raw),
      },
    })
    expect(res.status).toBe(200)
    return res.body
  }
  const sync = () =>
    runWhmcsSync(app.rt.deps, { tenantId: t.id, trigger: 'manual' }, { client: { retries: 0 } })

  /** A WHMCS ticket opened by webhook, drafted by the worker, with the draft's text set to `text`. */
  const ticketWithDraft = async (
    whmcsTicketId: number,
    message: string,
    text = DRAFT,
    tenant: TenantFixture = t,
  ) => {
    const data = { ticketid: whmcsTicketId, ticketmask: `REV-${whmcsTicketId}`, subject: message, message }
    await post({ event: 'TicketOpen', data }, randomUUID(), tenant)
    await app.rt.queues.idle()
    const [row] = await sql()<{ ticketId: number; draftId: number }[]>`
      SELECT t.id AS ticket_id, d.id AS draft_id FROM tickets t
      JOIN ai_replies d ON d.ticket_id = t.id AND d.status = 'pending'
      WHERE t.tenant_id = ${tenant.id} AND t.whmcs_ticket_id = ${whmcsTicketId}`
    expect(row).toBeDefined()
    await sql()`UPDATE ai_replies SET ai_reply = ${text} WHERE id = ${row!.draftId}`
    return row!
  }
  const staffReply = (whmcsTicketId: number, replyid: number, message: string, admin = 'Jane Doe') => ({
    event: 'TicketAdminReply',
    data: { ticketid: whmcsTicketId, replyid, admin, message, status: 'Answered' },
  })
  const approvalsOf = (ticketId: number) =>
    sql()<
      {
        id: number
        channel: string
        whmcsAdmin: string | null
        edited: boolean
        editDistance: number
        isCorrection: boolean
        finalReply: string
        learningText: string | null
        editSummary: string | null
        approvedBy: number | null
        replyMessageId: number | null
      }[]
    >`
      SELECT id, channel, whmcs_admin, edited, edit_distance, is_correction, final_reply, learning_text,
             edit_summary, approved_by, reply_message_id
      FROM approved_replies WHERE tenant_id = ${t.id} AND ticket_id = ${ticketId}`
  const draftOf = async (ticketId: number) =>
    (await app.call('GET', `/tickets/${ticketId}/drafts`, undefined, { token: t.agent })).body.items.at(-1)
  const auditActions = async (ticketId: number) =>
    (
      await sql()<{ action: string }[]>`
        SELECT action FROM audit_logs WHERE ticket_id = ${ticketId} AND entity_type = 'approved_reply'
        ORDER BY id`
    ).map((a) => a.action)

  it('records the draft sent with a greeting and a signature as sent as drafted', async () => {
    // Prepare
    const { ticketId, draftId } = await ticketWithDraft(7001, 'My site shows HTTP 500 after the PHP upgrade')
    const sent = `Hi Anna,\r\n\r\n${DRAFT.replace(/\n/g, '\r\n')}\r\n\r\nBest regards,\r\nJane Doe\r\nAcme Hosting`
    // Act
    const answer = await post(staffReply(7001, 91001, sent))
    await app.rt.queues.idle()
    // Assess
    expect(answer.review).toMatchObject({ outcome: 'sent_as_drafted', draftId })
    expect(answer.review.similarity).toBeGreaterThanOrEqual(0.95)
    const [approval] = await approvalsOf(ticketId)
    expect(approval).toMatchObject({
      channel: 'whmcs',
      whmcsAdmin: 'Jane Doe',
      edited: false,
      isCorrection: false,
      approvedBy: null,
      finalReply: sent.replace(/\r\n/g, '\n'),
      // Learning keeps no citation marker: it points at a source of this draft, not of the next one.
      learningText: stripCitationMarkers(DRAFT),
    })
    expect(approval!.editDistance).toBeGreaterThanOrEqual(0.95)
    const [agentMessage] = await sql()`
      SELECT id, external_id FROM messages WHERE ticket_id = ${ticketId} AND role = 'agent'`
    expect(approval!.replyMessageId).toBe(agentMessage!.id)
    expect(await draftOf(ticketId)).toMatchObject({
      id: draftId,
      status: 'sent_as_drafted',
      reviewChannel: 'whmcs',
    })
    expect(await auditActions(ticketId)).toEqual(['reply_approved', 'kb_indexed'])
    const [chunk] = await sql()`
      SELECT source_kind, chunk FROM kb_chunks WHERE tenant_id = ${t.id} AND approved_reply_id = ${approval!.id}`
    expect(chunk!.sourceKind).toBe('approved_example')
    expect(chunk!.chunk).not.toContain('Jane Doe')
    const [ticket] = await sql()`SELECT status FROM tickets WHERE id = ${ticketId}`
    expect(ticket!.status).toBe('answered')
  })

  it('records the text Insert draft gave the agent (no markers, References list) as sent as drafted', async () => {
    // Prepare: a draft citing the backup article, read through the WHMCS panel's API as the hook does.
    const cited =
      'We keep backups for 7 days [1] [1].\n\nRestore files yourself from the backup tool in cPanel [1].'
    const { ticketId, draftId } = await ticketWithDraft(7020, 'How long do you keep my backups?', cited)
    const [article] = await sql()<{ id: number }[]>`
      SELECT id FROM kb_articles WHERE tenant_id = ${t.id} AND title = 'Backups on shared hosting'`
    const sources = [
      { ref: 1, articleId: article!.id, title: 'Backups on shared hosting', sourceKind: 'tenant_kb' },
    ]
    await sql()`UPDATE ai_replies SET reranked_sources = ${sql().json(sources)} WHERE id = ${draftId}`
    const panel = await app.call('GET', '/integrations/whmcs/tickets/7020/draft', undefined, {
      token: t.agent,
    })
    const inserted: string = panel.body.draft.customerBody
    // Act
    const answer = await post(staffReply(7020, 91020, `Hi Anna,\n\n${inserted}\n\nBest regards,\nJane Doe`))
    await app.rt.queues.idle()
    // Assess
    expect(inserted).toBe(
      'We keep backups for 7 days.\n\nRestore files yourself from the backup tool in cPanel.\n\n' +
        'References:\n1. Backups on shared hosting',
    )
    expect(answer.review).toMatchObject({ outcome: 'sent_as_drafted', draftId, similarity: 1 })
    const [approval] = await approvalsOf(ticketId)
    expect(approval).toMatchObject({
      edited: false,
      learningText: 'We keep backups for 7 days.\n\nRestore files yourself from the backup tool in cPanel.',
    })
  })

  it('records an edited draft as sent edited with the true similarity', async () => {
    // Prepare
    const { ticketId, draftId } = await ticketWithDraft(7002, 'HTTP 500 since PHP 8.2, please help')
    const edited = DRAFT.replace('within a minute', 'after you clear the browser cache').replace(
      'enable the ioncube_loader extension',
      'tick ioncube_loader and press Save',
    )
    // Act
    const answer = await post(staffReply(7002, 91002, `Hello,\n\n${edited}\n\nKind regards,\nJane`))
    await app.rt.queues.idle()
    // Assess
    // Compared without citation markers: Insert draft gives the agent the text without them.
    const expected = similarityRatio(stripCitationMarkers(DRAFT), stripCitationMarkers(edited))
    expect(expected).toBeGreaterThan(0.7)
    expect(expected).toBeLessThan(0.95)
    expect(answer.review).toMatchObject({ outcome: 'sent_edited', draftId })
    expect(answer.review.similarity).toBeCloseTo(expected, 6)
    const [approval] = await approvalsOf(ticketId)
    expect(approval).toMatchObject({
      channel: 'whmcs',
      edited: true,
      isCorrection: false,
      learningText: stripCitationMarkers(edited),
    })
    expect(approval!.editDistance).toBeCloseTo(expected, 5)
    expect(approval!.editSummary).toMatch(/Reworded|Added|Removed|Minor/)
    expect((await draftOf(ticketId)).status).toBe('sent_edited')
    expect(await auditActions(ticketId)).toEqual(['reply_approved', 'reply_edited', 'kb_indexed'])
  })

  it("records the agent's own answer as replaced, a correction the next similar ticket's draft cites", async () => {
    // Prepare
    const { ticketId, draftId } = await ticketWithDraft(
      7003,
      'How many days do you keep backups of my hosting account?',
      'We back up every account once a day and keep the copies for 7 days. [1]',
    )
    // Act
    const answer = await post(
      staffReply(7003, 91003, `Hi Tom,\n\n${BACKUP_CORRECTION}\n\nCheers,\nJane Doe\nAcme Hosting`),
    )
    await app.rt.queues.idle()
    await post({
      event: 'TicketOpen',
      data: {
        ticketid: 7004,
        subject: 'Backup retention',
        message: 'For how many days do you keep backups of my hosting account?',
      },
    })
    await app.rt.queues.idle()
    // Assess
    expect(answer.review).toMatchObject({ outcome: 'replaced', draftId })
    const [approval] = await approvalsOf(ticketId)
    expect(approval).toMatchObject({ isCorrection: true, edited: true, learningText: BACKUP_CORRECTION })
    expect(approval!.editSummary).toMatch(/^Replaced/)
    expect((await draftOf(ticketId)).status).toBe('replaced')
    expect(await auditActions(ticketId)).toEqual([
      'reply_approved',
      'reply_edited',
      'correction_flagged',
      'kb_indexed',
    ])
    const [next] = await sql()<{ id: number }[]>`
      SELECT id FROM tickets WHERE tenant_id = ${t.id} AND whmcs_ticket_id = 7004`
    const nextDraft = await draftOf(next!.id)
    expect(nextDraft.sources).toContainEqual(
      expect.objectContaining({ sourceKind: 'correction', approvedReplyId: approval!.id }),
    )
  })

  it('records one review for a staff reply delivered, redelivered, re-fired and then seen by the sync', async () => {
    // Prepare: the ticket comes in through the sync, so WHMCS and Draftdesk share its reply ids.
    const ticket = fake.store.addTicket({
      subject: 'Website down',
      message: 'Since the PHP upgrade my site returns HTTP 500.',
    })
    await sync()
    await app.rt.queues.idle()
    const [row] = await sql()<{ ticketId: number; draftId: number }[]>`
      SELECT t.id AS ticket_id, d.id AS draft_id FROM tickets t JOIN ai_replies d ON d.ticket_id = t.id
      WHERE t.tenant_id = ${t.id} AND t.whmcs_ticket_id = ${ticket.id} AND d.status = 'pending'`
    await sql()`UPDATE ai_replies SET ai_reply = ${DRAFT} WHERE id = ${row!.draftId}`
    const reply = fake.store.addReply(ticket.id, { admin: 'Jane Doe', message: `Hi,\n\n${DRAFT}\n\nJane` })
    const event = staffReply(ticket.id, reply.replyid, reply.message)
    const eventId = randomUUID()
    // Act
    const first = await post(event, eventId)
    const redelivered = await post(event, eventId)
    const refired = await post(event)
    const synced = await sync()
    await app.rt.queues.idle()
    // Assess
    expect(first.review.outcome).toBe('sent_as_drafted')
    expect(redelivered).toEqual({ duplicate: true })
    expect(refired.review).toBeUndefined()
    expect(synced.outcome).toBe('success')
    expect(await approvalsOf(row!.ticketId)).toHaveLength(1)
    const messages = await sql()`
      SELECT external_id FROM messages WHERE ticket_id = ${row!.ticketId} AND role = 'agent'`
    expect(messages).toEqual([{ externalId: String(reply.replyid) }])
    expect(await auditActions(row!.ticketId)).toEqual(['reply_approved', 'kb_indexed'])
    const [jobs] = await sql()`
      SELECT count(*)::int AS n FROM outbox WHERE queue = 'embed' AND (body->>'approvedReplyId')::int =
        ${(await approvalsOf(row!.ticketId))[0]!.id}`
    expect(jobs!.n).toBe(1)
  })

  it('records a staff reply the sync sees first once, and the late webhook changes nothing', async () => {
    // Prepare
    const ticket = fake.store.addTicket({ subject: 'Mail bounce', message: 'My mails bounce since Monday.' })
    await sync()
    await app.rt.queues.idle()
    const [row] = await sql()<{ ticketId: number }[]>`
      SELECT id AS ticket_id FROM tickets WHERE tenant_id = ${t.id} AND whmcs_ticket_id = ${ticket.id}`
    const draft = await draftOf(row!.ticketId)
    const reply = fake.store.addReply(ticket.id, { admin: 'Max Mustermann', message: draft.reply })
    // Act
    await sync()
    const late = await post(staffReply(ticket.id, reply.replyid, reply.message, 'Max Mustermann'))
    // Assess
    expect(late.review).toBeUndefined()
    const approvals = await approvalsOf(row!.ticketId)
    expect(approvals).toHaveLength(1)
    expect(approvals[0]).toMatchObject({ channel: 'whmcs', whmcsAdmin: 'Max Mustermann', edited: false })
    const [audit] = await sql()`
      SELECT details FROM audit_logs WHERE ticket_id = ${row!.ticketId} AND action = 'reply_approved'`
    expect(audit!.details).toMatchObject({ via: 'sync', outcome: 'sent_as_drafted', channel: 'whmcs' })
  })

  it('keeps a staff reply to a message without a pending draft a plain agent message', async () => {
    // Prepare: the agent rejected the draft in Draftdesk, then answered in WHMCS.
    const { ticketId, draftId } = await ticketWithDraft(7005, 'Can I get a dedicated IP?')
    await app.call('POST', `/drafts/${draftId}/reject`, { reason: 'Wrong product' }, { token: t.agent })
    // Act
    const answer = await post(staffReply(7005, 91005, 'Yes, a dedicated IP costs $2/month.'))
    // Assess
    expect(answer.review).toBeUndefined()
    expect(await approvalsOf(ticketId)).toEqual([])
    expect((await draftOf(ticketId)).status).toBe('rejected')
    const roles = await sql()`SELECT role FROM messages WHERE ticket_id = ${ticketId} ORDER BY id`
    expect(roles.map((r) => r.role)).toEqual(['user', 'assistant', 'agent'])
  })

  it('never records a reply Draftdesk posted itself (approval with sendToWhmcs) a second time', async () => {
    // Prepare
    const ticket = fake.store.addTicket({ subject: 'SSL', message: 'My SSL certificate expired.' })
    await sync()
    await app.rt.queues.idle()
    const [row] = await sql()<{ ticketId: number }[]>`
      SELECT id AS ticket_id FROM tickets WHERE tenant_id = ${t.id} AND whmcs_ticket_id = ${ticket.id}`
    const draft = await draftOf(row!.ticketId)
    // Act: the send worker posts it to WHMCS as "draftdesk", with the marker; the hook and the sync see it.
    const approved = await app.call(
      'POST',
      `/drafts/${draft.id}/approve`,
      { sendToWhmcs: true },
      { token: t.agent },
    )
    await app.rt.queues.idle()
    const posted = fake.store.mustGet(ticket.id).replies.at(-1)!
    const hook = await post(staffReply(ticket.id, posted.replyid, posted.message, posted.admin))
    await sync()
    // Assess
    expect(approved.status).toBe(201)
    expect(posted.admin).toBe('draftdesk')
    expect(hook).toMatchObject({ ignored: 'own_reply' })
    const approvals = await approvalsOf(row!.ticketId)
    expect(approvals).toHaveLength(1)
    expect(approvals[0]!.channel).toBe('api')
    const agents =
      await sql()`SELECT count(*)::int AS n FROM messages WHERE ticket_id = ${row!.ticketId} AND role = 'agent'`
    expect(agents[0]!.n).toBe(1)
  })

  it("keeps tenants apart: a staff reply reviews only the signing tenant's draft of that WHMCS ticket id", async () => {
    // Prepare: two WHMCS installs share id spaces, so both tenants have a ticket 7010 with a pending draft.
    const other = await createTenant(app, 'whmcs-review-other')
    const mine = await ticketWithDraft(7010, 'Is my domain renewed?')
    const theirs = await ticketWithDraft(7010, 'Is my domain renewed?', DRAFT, other)
    // Act
    const answer = await post(staffReply(7010, 91010, `Hi,\n\n${DRAFT}`), randomUUID(), other)
    // Assess
    expect(answer.review).toMatchObject({ outcome: 'sent_as_drafted', draftId: theirs.draftId })
    expect(await approvalsOf(mine.ticketId)).toEqual([])
    expect((await draftOf(mine.ticketId)).status).toBe('pending')
    const [row] = await sql()`SELECT tenant_id FROM approved_replies WHERE ai_reply_id = ${theirs.draftId}`
    expect(row!.tenantId).toBe(other.id)
  })
})
