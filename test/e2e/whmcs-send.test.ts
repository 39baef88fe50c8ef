/**
 * Approved replies back to WHMCS through the real `send` queue and worker on the local runtime, against
 * the fake WHMCS. Until the approval endpoint (issue 6) exists, approvals are inserted here and queued with
 * `queueWhmcsSend`, exactly as that endpoint will do in its transaction.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queueWhmcsNote } from '#shared/drafts/escalation-note'
import { type ClaimedJob, publishJobs } from '#shared/queue/outbox'
import { queueWhmcsSend } from '#shared/review/whmcs-request'
import { taggedApprovalIds, tagReply } from '#shared/whmcs/send'
import { DRAFTDESK_REPLY_MARKER } from '#shared/whmcs/signature'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'
import { captureOutput } from '../helpers/logs.ts'

const CREDS = { identifier: 'send-ident-5d1e', secret: 'send-secret-Zr81PqW0', accessKey: 'send-access-77Yx' }

describe('Function: send worker (AddTicketReply exactly once)', () => {
  let app: TestApp
  let acme: TenantFixture
  let fake: FakeWhmcs
  beforeAll(async () => {
    ;[app, fake] = await Promise.all([
      startTestApp({ queue: { retryBaseMs: 20, pollIntervalMs: 20, concurrency: 2 } }),
      startFakeWhmcs({ ...CREDS, tickets: [{ subject: 'Mail down', message: 'SMTP rejects my login' }] }),
    ])
    acme = await createTenant(app, 'acme')
    const res = await app.call(
      'PATCH',
      `/tenants/${acme.id}`,
      {
        whmcsUrl: fake.url,
        whmcsIdentifier: CREDS.identifier,
        whmcsSecret: CREDS.secret,
        whmcsAccessKey: CREDS.accessKey,
        whmcsAdminUsername: 'draftdesk',
        settings: { whmcsEscalationNotes: true },
      },
      { token: app.superToken },
    )
    expect(res.status).toBe(200)
  })
  afterAll(async () => {
    await app?.stop()
    await fake?.close()
  })

  const sql = () => app.rt.deps.sql

  /** Waits until no send job is waiting or running (dead letters aside). */
  const drained = () => app.rt.queues.idle(30_000, 'send')

  /** A WHMCS-linked ticket with a customer message, a draft and its approval (what issue 6 will write). */
  const approval = async (text: string, whmcsTicketId: number | null = 1) => {
    const [ticket] = await sql()<{ id: number }[]>`
      INSERT INTO tickets (tenant_id, subject, content, source, whmcs_ticket_id)
      VALUES (${acme.id}, 'Mail down', 'SMTP rejects my login', 'whmcs', ${whmcsTicketId})
      ON CONFLICT (tenant_id, whmcs_ticket_id) WHERE whmcs_ticket_id IS NOT NULL DO UPDATE SET updated_at = now()
      RETURNING id`
    const [message] = await sql()<{ id: number }[]>`
      INSERT INTO messages (tenant_id, ticket_id, role, content) VALUES (${acme.id}, ${ticket!.id}, 'user', 'help') RETURNING id`
    const [draft] = await sql()<{ id: number }[]>`
      INSERT INTO ai_replies (tenant_id, ticket_id, message_id, request_id, ai_reply, confidence_score, provider, model, status)
      VALUES (${acme.id}, ${ticket!.id}, ${message!.id}, ${randomUUID()}, ${text}, 88, 'builtin', 'x', 'approved')
      RETURNING id`
    const [approved] = await sql()<{ id: number }[]>`
      INSERT INTO approved_replies (tenant_id, ticket_id, message_id, ai_reply_id, final_reply, send_to_whmcs)
      VALUES (${acme.id}, ${ticket!.id}, ${message!.id}, ${draft!.id}, ${text}, true) RETURNING id`
    return { ticketId: ticket!.id, aiReplyId: draft!.id, approvedReplyId: approved!.id }
  }
  /** The jobs queued by this file's transactions, published as a request would after commit (`publish`). */
  const pending: ClaimedJob[] = []
  const publish = () => publishJobs(app.rt.deps, pending.splice(0))
  const queue = (approvedReplyId: number) =>
    sql().begin((tx) => queueWhmcsSend(tx, pending, acme.id, approvedReplyId))
  const repliesTagged = (approvedReplyId: number) =>
    fake.store.mustGet(1).replies.filter((r) => taggedApprovalIds(r.message).includes(approvedReplyId))
  const addReplyCalls = (approvedReplyId: number) =>
    fake
      .callsOf('AddTicketReply')
      .filter((c) => taggedApprovalIds(c.params.message ?? '').includes(approvedReplyId))
  const sendRow = async (approvedReplyId: number) =>
    (
      await sql()`SELECT status, attempts, last_error, sent_at FROM whmcs_sends WHERE approved_reply_id = ${approvedReplyId}`
    )[0]

  it('posts an approval once even when its job is delivered three times, and records the reference', async () => {
    // Prepare
    const a = await approval('Please use port 587 with STARTTLS.')
    const queued = await queue(a.approvedReplyId)
    const job = { jobId: queued.jobId, tenantId: acme.id, approvedReplyId: a.approvedReplyId }
    // Act: the outbox publishes it, and SQS "delivers" two more copies at the same time.
    await app.rt.deps.queue.send('send', [job, job])
    await publish()
    await drained()
    // Assess
    expect(queued.queued).toBe(true)
    expect(addReplyCalls(a.approvedReplyId)).toHaveLength(1)
    expect(repliesTagged(a.approvedReplyId)).toHaveLength(1)
    const call = addReplyCalls(a.approvedReplyId)[0]!
    expect(call.params).toMatchObject({ ticketid: '1', adminusername: 'draftdesk', markdown: '1' })
    expect(call.params.message).toContain(`Please use port 587 with STARTTLS.${DRAFTDESK_REPLY_MARKER}`)
    expect(await sendRow(a.approvedReplyId)).toMatchObject({ status: 'sent', attempts: 1, lastError: null })
    const refs = await sql()`
      SELECT system, external_id, ticket_id FROM ticket_external_refs WHERE tenant_id = ${acme.id}
        AND external_id = ${`reply:${a.approvedReplyId}`}`
    expect(refs).toEqual([
      { system: 'whmcs', externalId: `reply:${a.approvedReplyId}`, ticketId: a.ticketId },
    ])
    const [audit] = await sql()`
      SELECT count(*)::int AS n FROM audit_logs WHERE action = 'reply_sent' AND entity_id = ${a.approvedReplyId}`
    expect(audit!.n).toBe(1)
    expect(await app.rt.queues.deadLetters('send')).toEqual([])
  })

  it('queues one send per approval: a second queueWhmcsSend is a no-op, another tenant’s approval a 404', async () => {
    // Prepare
    const a = await approval('Second approval')
    const other = await createTenant(app, 'other')
    // Act
    const first = await queue(a.approvedReplyId)
    const again = await queue(a.approvedReplyId)
    const foreign = await sql()
      .begin((tx) => queueWhmcsSend(tx, pending, other.id, a.approvedReplyId))
      .catch((e: Error) => e)
    await publish()
    await drained()
    // Assess
    expect(first.queued).toBe(true)
    expect(again).toEqual({ queued: false })
    expect(foreign).toMatchObject({ statusCode: 404 })
    expect(addReplyCalls(a.approvedReplyId)).toHaveLength(1)
  })

  it('does not post again when WHMCS stored the reply but the answer was lost (read-back finds it)', async () => {
    // Prepare
    const a = await approval('Your mailbox quota was raised.')
    fake.respondWith(
      (c) =>
        c.action === 'AddTicketReply' &&
        taggedApprovalIds(c.params.message ?? '').includes(a.approvedReplyId),
      (c, store) => {
        store.addReply(1, { admin: c.params.adminusername, message: c.params.message })
        return { result: 'error', message: 'Internal error while sending email' }
      },
    )
    // Act
    await queue(a.approvedReplyId)
    await publish()
    await drained()
    // Assess
    expect(addReplyCalls(a.approvedReplyId)).toHaveLength(1)
    expect(repliesTagged(a.approvedReplyId)).toHaveLength(1)
    expect(await sendRow(a.approvedReplyId)).toMatchObject({ status: 'sent', attempts: 2 })
    const [audit] = await sql()`
      SELECT details FROM audit_logs WHERE action = 'reply_sent' AND entity_id = ${a.approvedReplyId}`
    expect(audit!.details).toMatchObject({ foundInWhmcs: true })
  })

  it('retries a reply WHMCS did not store (HTTP 500) and posts it exactly once', async () => {
    // Prepare
    const a = await approval('We restarted the mail service.')
    fake.failOn(
      (c) =>
        c.action === 'AddTicketReply' &&
        taggedApprovalIds(c.params.message ?? '').includes(a.approvedReplyId),
      '500',
      1,
    )
    // Act
    await queue(a.approvedReplyId)
    await publish()
    await drained()
    // Assess
    expect(addReplyCalls(a.approvedReplyId)).toHaveLength(2)
    expect(repliesTagged(a.approvedReplyId)).toHaveLength(1)
    expect(await sendRow(a.approvedReplyId)).toMatchObject({ status: 'sent', attempts: 2 })
  })

  it('takes over a claim left by a dead worker, checking WHMCS first; leaves a live claim alone', async () => {
    // Prepare
    const dead = await approval('Claimed by a worker that crashed after posting.')
    const live = await approval('Claimed by a worker that is still busy.')
    await sql()`
      INSERT INTO whmcs_sends (tenant_id, approved_reply_id, status, attempts, claimed_at) VALUES
        (${acme.id}, ${dead.approvedReplyId}, 'sending', 1, now() - interval '10 minutes'),
        (${acme.id}, ${live.approvedReplyId}, 'sending', 1, now())`
    // The crashed worker's reply did reach WHMCS.
    fake.store.addReply(1, {
      admin: 'draftdesk',
      message: tagReply('Claimed by a worker…', dead.approvedReplyId),
    })
    // Act
    await app.rt.deps.queue.send('send', [
      { tenantId: acme.id, approvedReplyId: dead.approvedReplyId },
      { tenantId: acme.id, approvedReplyId: live.approvedReplyId },
    ])
    await drained()
    // Assess
    expect(addReplyCalls(dead.approvedReplyId)).toHaveLength(0)
    expect(addReplyCalls(live.approvedReplyId)).toHaveLength(0)
    expect(await sendRow(dead.approvedReplyId)).toMatchObject({ status: 'sent', attempts: 2 })
    expect(await sendRow(live.approvedReplyId)).toMatchObject({ status: 'sending', attempts: 1 })
  })

  it('fails for good after the last attempt: error on the row and in the audit log, never a credential', async () => {
    // Prepare
    const a = await approval('This one cannot be delivered.')
    fake.respondWith(
      (c) =>
        c.action === 'AddTicketReply' &&
        taggedApprovalIds(c.params.message ?? '').includes(a.approvedReplyId),
      () => ({ result: 'error', message: `Access denied for ${CREDS.identifier}/${CREDS.secret}` }),
      10,
    )
    const { output: logText } = await captureOutput(async () => {
      // Act
      await queue(a.approvedReplyId)
      await publish()
      await drained()
    })
    // Assess
    const row = await sendRow(a.approvedReplyId)
    expect(row).toMatchObject({ status: 'failed', attempts: 5 })
    expect(row!.lastError).toContain('Access denied for [redacted]/[redacted]')
    const dead = await app.rt.queues.deadLetters('send')
    expect(dead.map((d) => (d.body as { approvedReplyId: number }).approvedReplyId)).toContain(
      a.approvedReplyId,
    )
    const [audit] = await sql()`
      SELECT details FROM audit_logs WHERE action = 'reply_send_failed' AND entity_id = ${a.approvedReplyId}`
    expect(audit).toBeDefined()
    expect(logText).toContain('job failed')
    const everything = [logText, JSON.stringify(row), JSON.stringify(dead), JSON.stringify(audit)].join('\n')
    for (const secret of Object.values(CREDS)) expect(everything).not.toContain(secret)
  })

  it('does not call WHMCS for a ticket that is not linked to WHMCS', async () => {
    // Prepare
    const [t] = await sql()<{ id: number }[]>`
      INSERT INTO tickets (tenant_id, subject, content) VALUES (${acme.id}, 'Web ticket', 'x') RETURNING id`
    const [ap] = await sql()<{ id: number }[]>`
      INSERT INTO approved_replies (tenant_id, ticket_id, final_reply) VALUES (${acme.id}, ${t!.id}, 'Hi') RETURNING id`
    const before = fake.calls.length
    // Act
    await queue(ap!.id)
    await publish()
    await drained()
    // Assess
    expect(fake.calls.length).toBe(before)
    expect(await sendRow(ap!.id)).toMatchObject({
      status: 'failed',
      lastError: expect.stringContaining('not linked'),
    })
  })

  it('adds one internal note for an escalated draft when the tenant turned notes on', async () => {
    // Prepare
    const a = await approval('n/a')
    await sql()`
      UPDATE ai_replies SET escalated = true, status = 'pending',
        escalation_reasons = ${sql().json([{ code: 'keyword', detail: 'Mentions a chargeback' }])}
      WHERE id = ${a.aiReplyId}`
    const notEscalated = await approval('plain')
    // Act
    const queued = await sql().begin((tx) => queueWhmcsNote(tx, pending, acme.id, a.aiReplyId))
    const skipped = await sql().begin((tx) => queueWhmcsNote(tx, pending, acme.id, notEscalated.aiReplyId))
    await publish()
    await drained()
    await app.rt.deps.queue.send('send', [{ kind: 'note', tenantId: acme.id, aiReplyId: a.aiReplyId }])
    await drained()
    // Assess
    expect(queued).toEqual({ queued: true })
    expect(skipped).toEqual({ queued: false })
    const notes = fake.store.mustGet(1).notes.filter((n) => n.message.includes('Mentions a chargeback'))
    expect(notes).toHaveLength(1)
    expect(notes[0]!.message).toContain('escalated')
  })

  it('notes an escalated draft in WHMCS by itself: draft worker, outbox, send worker, AddTicketNote', async () => {
    // Prepare: a WHMCS-linked ticket whose customer threatens a chargeback.
    const { ticketId } = await approval('n/a')
    await sql()`
      INSERT INTO messages (tenant_id, ticket_id, role, content)
      VALUES (${acme.id}, ${ticketId}, 'user', 'Refund me now or I open a chargeback with my bank')`
    const before = fake.store.mustGet(1).notes.length
    // Act
    const res = await app.call('POST', `/tickets/${ticketId}/drafts`, undefined, { token: acme.agent })
    await app.rt.queues.idle()
    // Assess
    expect(res.status).toBe(202)
    const [draft] =
      await sql()`SELECT id, escalated FROM ai_replies WHERE ticket_id = ${ticketId} ORDER BY id DESC LIMIT 1`
    expect(draft!.escalated).toBe(true)
    const notes = fake.store.mustGet(1).notes.slice(before)
    expect(notes).toHaveLength(1)
    expect(notes[0]!.message).toMatch(/chargeback/i)
  })
})
