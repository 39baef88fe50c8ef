/**
 * The WHMCS webhook and the admin-panel draft route over real HTTP on the local runtime. Workers are off:
 * these tests look at what the webhook stores and queues, not at drafting.
 */
import { execFile, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DRAFTDESK_REPLY_MARKER, signWebhook } from '#shared/whmcs/signature'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const runFile = promisify(execFile)

let app: TestApp
beforeAll(async () => {
  app = await startTestApp({ workers: false })
})
afterAll(async () => app?.stop())

describe('Function: POST /webhooks/whmcs/{tenantSlug}', () => {
  let acme: TenantFixture
  let globex: TenantFixture
  beforeAll(async () => {
    ;[acme, globex] = await Promise.all([createTenant(app, 'acme'), createTenant(app, 'globex')])
  })

  /** Posts an event the way integrations/whmcs/draftdesk.php does. */
  const post = (
    tenant: { slug: string; webhookSecret: string },
    body: unknown,
    o: { eventId?: string; timestamp?: number; raw?: string; signWith?: string } = {},
  ) => {
    const raw = o.raw ?? JSON.stringify(body)
    const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000)
    return app.call('POST', `/webhooks/whmcs/${tenant.slug}`, undefined, {
      raw,
      headers: {
        'content-type': 'application/json',
        'X-Draftdesk-Event-Id': o.eventId ?? randomUUID(),
        'X-Draftdesk-Timestamp': String(timestamp),
        'X-Draftdesk-Signature': signWebhook(o.signWith ?? tenant.webhookSecret, timestamp, raw),
      },
    })
  }
  const sql = () => app.rt.deps.sql
  const ticketOf = async (tenantId: number, whmcsTicketId: number) =>
    (
      await sql()<{ id: number; status: string; priority: string; subject: string; whmcsTid: string }[]>`
        SELECT id, status, priority, subject, whmcs_tid FROM tickets
        WHERE tenant_id = ${tenantId} AND whmcs_ticket_id = ${whmcsTicketId}`
    )[0]
  const draftJobs = async (ticketId: number) =>
    (
      await sql()<{ n: number }[]>`
        SELECT count(*)::int AS n FROM outbox WHERE queue = 'draft' AND (body->>'ticketId')::int = ${ticketId}`
    )[0]!.n
  const open = (ticketid: number, extra: object = {}) => ({
    event: 'TicketOpen',
    occurredAt: Math.floor(Date.now() / 1000),
    data: {
      ticketid: String(ticketid),
      ticketmask: `ABC-${ticketid}`,
      userid: '7',
      deptid: '1',
      deptname: 'Technical Support',
      subject: 'Website shows HTTP 500',
      message: 'Since the PHP upgrade my site returns 500.',
      priority: 'High',
      ...extra,
    },
  })

  it('accepts a signed TicketOpen: stores the ticket and message and queues one draft', async () => {
    // Act
    const res = await post(acme, open(101))
    // Assess
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ duplicate: false, event: 'TicketOpen', draftQueued: true })
    const ticket = await ticketOf(acme.id, 101)
    expect(ticket).toMatchObject({
      status: 'open',
      priority: 'high',
      subject: 'Website shows HTTP 500',
      whmcsTid: 'ABC-101',
    })
    expect(res.body.ticketId).toBe(ticket!.id)
    const messages =
      await sql()`SELECT role, content, external_id FROM messages WHERE ticket_id = ${ticket!.id}`
    expect(messages).toEqual([
      { role: 'user', content: 'Since the PHP upgrade my site returns 500.', externalId: 'open-101' },
    ])
    expect(await draftJobs(ticket!.id)).toBe(1)
    const audits = await sql()`SELECT action FROM audit_logs WHERE ticket_id = ${ticket!.id} ORDER BY id`
    expect(audits.map((a) => a.action)).toEqual(['ticket_synced', 'webhook_received'])
  })

  it('answers 401 for a wrong secret, a tampered body, a stale timestamp, an unknown tenant and no signature', async () => {
    // Prepare
    const body = open(102)
    const raw = JSON.stringify(body)
    const now = Math.floor(Date.now() / 1000)
    // Act
    const wrongSecret = await post(acme, body, { signWith: 'whsec_not-the-right-one' })
    const tampered = await app.call('POST', `/webhooks/whmcs/${acme.slug}`, undefined, {
      raw: raw.replace('Website', 'Webs1te'),
      headers: {
        'x-draftdesk-event-id': randomUUID(),
        'x-draftdesk-timestamp': String(now),
        // signed over the original body
        'x-draftdesk-signature': signWebhook(acme.webhookSecret, now, raw),
      },
    })
    const stale = await post(acme, body, { timestamp: now - 301 })
    // A minute beyond the window, not a second: the requests before this one take time on a loaded machine,
    // and every second they take brings `now + 301` back inside the window.
    const future = await post(acme, body, { timestamp: now + 360 })
    const unknownTenant = await post({ slug: 'no-such-tenant', webhookSecret: acme.webhookSecret }, body)
    const unsigned = await app.call('POST', `/webhooks/whmcs/${acme.slug}`, body)
    // Assess
    for (const res of [wrongSecret, tampered, stale, future, unknownTenant, unsigned]) {
      expect(res.status).toBe(401)
      // One answer for every reason: an attacker cannot tell a real slug from a bad signature.
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'invalid webhook signature' } })
    }
    expect(await ticketOf(acme.id, 102)).toBeUndefined()
  })

  it('stores an event delivered 5 times once: one message, one draft job', async () => {
    // Prepare
    await post(acme, open(103))
    const ticket = await ticketOf(acme.id, 103)
    const reply = {
      event: 'TicketUserReply',
      data: { ticketid: 103, replyid: 9001, message: 'Still broken, please help', status: 'Customer-Reply' },
    }
    const eventId = randomUUID()
    // Act
    const results = []
    for (let i = 0; i < 5; i++) results.push(await post(acme, reply, { eventId }))
    // Assess
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    expect(results[0]!.body).toMatchObject({ duplicate: false, draftQueued: true })
    for (const r of results.slice(1)) expect(r.body).toEqual({ duplicate: true })
    const messages = await sql()`
      SELECT external_id FROM messages WHERE ticket_id = ${ticket!.id} AND external_id = '9001'`
    expect(messages).toHaveLength(1)
    // One for the opening message, one for the reply.
    expect(await draftJobs(ticket!.id)).toBe(2)
    const [events] = await sql()`SELECT count(*)::int AS n FROM webhook_events WHERE event_id = ${eventId}`
    expect(events!.n).toBe(1)
  })

  it('stores the same reply once even when WHMCS sends it under two event ids', async () => {
    // Prepare
    await post(acme, open(104))
    const ticket = await ticketOf(acme.id, 104)
    const reply = { event: 'TicketUserReply', data: { ticketid: 104, replyid: 9002, message: 'Hello?' } }
    // Act
    const first = await post(acme, reply)
    const second = await post(acme, reply)
    // Assess
    expect(first.body.draftQueued).toBe(true)
    expect(second.body).toMatchObject({ duplicate: false, draftQueued: false })
    const [n] = await sql()`SELECT count(*)::int AS n FROM messages WHERE ticket_id = ${ticket!.id}`
    expect(n!.n).toBe(2)
    expect(await draftJobs(ticket!.id)).toBe(2)
  })

  it('records a staff reply, supersedes pending drafts, and ignores replies Draftdesk posted itself', async () => {
    // Prepare
    await post(acme, open(105))
    const ticket = await ticketOf(acme.id, 105)
    const [draft] = await sql()<{ id: number }[]>`
      INSERT INTO ai_replies (tenant_id, ticket_id, request_id, ai_reply, confidence_score, provider, model)
      VALUES (${acme.id}, ${ticket!.id}, ${randomUUID()}, 'Try clearing the cache.', 70, 'builtin', 'x')
      RETURNING id`
    // Act
    const own = await post(acme, {
      event: 'TicketAdminReply',
      data: { ticketid: 105, replyid: 9003, admin: 'Bot', message: `We fixed it.${DRAFTDESK_REPLY_MARKER}` },
    })
    const afterOwn = await sql()`SELECT status FROM ai_replies WHERE id = ${draft!.id}`
    const staff = await post(acme, {
      event: 'TicketAdminReply',
      data: {
        ticketid: 105,
        replyid: 9004,
        admin: 'Alice Agent',
        message: 'Restarted PHP-FPM.',
        status: 'Answered',
      },
    })
    // Assess
    expect(own.body).toMatchObject({ ignored: 'own_reply' })
    expect(afterOwn[0]!.status).toBe('pending')
    expect(staff.status).toBe(200)
    const messages =
      await sql()`SELECT role, external_id FROM messages WHERE ticket_id = ${ticket!.id} ORDER BY id`
    expect(messages).toEqual([
      { role: 'user', externalId: 'open-105' },
      { role: 'agent', externalId: '9004' },
    ])
    const [after] = await sql()`SELECT status FROM ai_replies WHERE id = ${draft!.id}`
    expect(after!.status).toBe('superseded')
    expect((await ticketOf(acme.id, 105))!.status).toBe('answered')
  })

  it('applies TicketStatusChange and TicketClose (WHMCS is the source of truth) and ignores unknown tickets', async () => {
    // Prepare
    await post(acme, open(106))
    await sql()`UPDATE tickets SET status = 'escalated' WHERE tenant_id = ${acme.id} AND whmcs_ticket_id = 106`
    // Act
    const onHold = await post(acme, {
      event: 'TicketStatusChange',
      data: { ticketid: 106, status: 'On Hold' },
    })
    const statusAfterHold = (await ticketOf(acme.id, 106))!.status
    const closed = await post(acme, { event: 'TicketClose', data: { ticketid: 106 } })
    const unknown = await post(acme, { event: 'TicketClose', data: { ticketid: 999_999 } })
    const otherEvent = await post(acme, { event: 'TicketFlagged', data: { ticketid: 106 } })
    // Assess
    expect(onHold.status).toBe(200)
    expect(statusAfterHold).toBe('on_hold')
    expect(closed.status).toBe(200)
    expect((await ticketOf(acme.id, 106))!.status).toBe('closed')
    expect(unknown.body).toMatchObject({ duplicate: false, ignored: 'unknown_ticket', ticketId: null })
    expect(otherEvent.body).toMatchObject({ ignored: 'unknown_event' })
  })

  it('rejects a signed but malformed body with 400', async () => {
    // Act
    const noTicket = await post(acme, { event: 'TicketOpen', data: { subject: 'x' } })
    const notJson = await post(acme, undefined, { raw: '{"event":' })
    const noEventId = await app.call('POST', `/webhooks/whmcs/${acme.slug}`, undefined, {
      raw: '{}',
      headers: {
        'x-draftdesk-timestamp': String(Math.floor(Date.now() / 1000)),
        'x-draftdesk-signature': signWebhook(acme.webhookSecret, Math.floor(Date.now() / 1000), '{}'),
      },
    })
    // Assess
    expect(noTicket.status).toBe(400)
    expect(noTicket.body.error.details[0]).toMatchObject({ path: 'data.ticketid' })
    expect(notJson.status).toBe(400)
    expect(noEventId.status).toBe(400)
  })

  it("keeps tenants apart: A's secret cannot post into B, and tickets land only in the signing tenant", async () => {
    // Act
    const cross = await post({ slug: globex.slug, webhookSecret: acme.webhookSecret }, open(107))
    const own = await post(globex, open(107, { subject: 'Globex ticket' }))
    // Assess
    expect(cross.status).toBe(401)
    expect(own.status).toBe(200)
    expect(await ticketOf(acme.id, 107)).toBeUndefined()
    expect((await ticketOf(globex.id, 107))!.subject).toBe('Globex ticket')
  })

  it('stops accepting the old secret once it is rotated', async () => {
    // Prepare
    const tenant = await createTenant(app, 'rotor')
    // Act
    const rotated = await app.call('POST', `/tenants/${tenant.id}/webhook-secret`, undefined, {
      token: app.superToken,
    })
    const old = await post(tenant, open(108))
    const fresh = await post({ slug: tenant.slug, webhookSecret: rotated.body.webhookSecret }, open(108))
    // Assess
    expect(old.status).toBe(401)
    expect(fresh.status).toBe(200)
  })
})

describe('Function: GET /integrations/whmcs/tickets/{whmcsTicketId}/draft', () => {
  let acme: TenantFixture
  let globex: TenantFixture
  let apiKey: string
  beforeAll(async () => {
    ;[acme, globex] = await Promise.all([createTenant(app, 'panel-a'), createTenant(app, 'panel-b')])
    const key = await app.call(
      'POST',
      '/api-keys',
      { name: 'WHMCS panel', role: 'support_agent' },
      { token: acme.admin },
    )
    apiKey = key.body.key
  })

  const seedTicket = async (tenantId: number, whmcsTicketId: number) => {
    const [t] = await app.rt.deps.sql<{ id: number }[]>`
      INSERT INTO tickets (tenant_id, subject, content, source, whmcs_ticket_id)
      VALUES (${tenantId}, 'Mail down', 'SMTP rejects my login', 'whmcs', ${whmcsTicketId}) RETURNING id`
    return t!.id
  }
  const seedDraft = async (tenantId: number, ticketId: number, status: string, text: string) => {
    const [d] = await app.rt.deps.sql<{ id: number }[]>`
      INSERT INTO ai_replies (tenant_id, ticket_id, request_id, ai_reply, confidence_score, provider, model,
                              status, escalated, escalation_reasons, reranked_sources)
      VALUES (${tenantId}, ${ticketId}, ${randomUUID()}, ${text}, 81.6, 'builtin', 'x', ${status}, true,
              ${app.rt.deps.sql.json([{ code: 'keyword', category: 'refund', detail: 'Mentions a refund' }])},
              ${app.rt.deps.sql.json([{ ref: 1, title: 'SMTP settings', sourceKind: 'tenant_kb', score: 0.91, excerpt: 'x' }])})
      RETURNING id`
    return d!.id
  }

  it('returns the latest usable draft in the shape the PHP panel reads', async () => {
    // Prepare
    const ticketId = await seedTicket(acme.id, 501)
    await seedDraft(acme.id, ticketId, 'superseded', 'old')
    const current = await seedDraft(acme.id, ticketId, 'pending', 'Use port 587 with STARTTLS.')
    await seedDraft(acme.id, ticketId, 'rejected', 'newer but rejected')
    // Act
    const res = await app.call('GET', '/integrations/whmcs/tickets/501/draft', undefined, { apiKey })
    // Assess
    expect(res.status).toBe(200)
    expect(res.body.draft).toMatchObject({
      id: current,
      body: 'Use port 587 with STARTTLS.',
      confidence: 82,
      escalated: true,
      escalationReasons: ['Mentions a refund'],
      sources: [{ title: 'SMTP settings', kind: 'tenant_kb', score: 0.91 }],
    })
    expect(res.body.draft.sources[0]).not.toHaveProperty('excerpt')
  })

  it('answers { draft: null } without a usable draft, 404 for unknown and other tenants’ tickets', async () => {
    // Prepare
    await seedTicket(acme.id, 502)
    await seedTicket(globex.id, 503)
    // Act
    const none = await app.call('GET', '/integrations/whmcs/tickets/502/draft', undefined, { apiKey })
    const unknown = await app.call('GET', '/integrations/whmcs/tickets/99999/draft', undefined, { apiKey })
    const foreign = await app.call('GET', '/integrations/whmcs/tickets/503/draft', undefined, { apiKey })
    const customer = await app.call('GET', '/integrations/whmcs/tickets/502/draft', undefined, {
      token: acme.customer,
    })
    // Assess
    expect(none.status).toBe(200)
    expect(none.body.draft).toBeNull()
    expect(unknown.status).toBe(404)
    expect(foreign.status).toBe(404)
    expect(customer.status).toBe(403)
  })
})

const phpAvailable = spawnSync('php', ['-v'], { stdio: 'ignore' }).status === 0
const hookDir = resolve(import.meta.dirname, '../../integrations/whmcs')

describe.runIf(phpAvailable)('Function: the real PHP hook against the real endpoints', () => {
  let tenant: TenantFixture
  beforeAll(async () => {
    // run.php (live mode) posts as tenant "acme-hosting".
    tenant = await createTenant(app, 'acme-hosting')
  })

  it('a TicketUserReply sent by draftdesk.php is verified, stored and queues a draft', async () => {
    // Act
    const { stdout } = await runFile('php', [join(hookDir, 'test/run.php')], {
      env: { ...process.env, DRAFTDESK_LIVE_URL: app.url, DRAFTDESK_TEST_SECRET: tenant.webhookSecret },
    })
    // Assess
    const result = JSON.parse(
      stdout
        .split('\n')
        .find((l) => l.startsWith('RESULT '))!
        .slice(7),
    )
    expect(result.firstAttempt.delivered_at).not.toBeNull()
    expect(result.firstAttempt.last_error).toBeNull()
    const [ticket] = await app.rt.deps.sql<{ id: number; status: string; whmcsTid: string }[]>`
      SELECT id, status, whmcs_tid FROM tickets WHERE tenant_id = ${tenant.id} AND whmcs_ticket_id = 42`
    expect(ticket).toMatchObject({ status: 'customer_reply' })
    const [message] = await app.rt.deps.sql`
      SELECT role, content, external_id FROM messages WHERE ticket_id = ${ticket!.id}`
    expect(message).toMatchObject({ role: 'user', externalId: '9001' })
    expect(message!.content).toContain('Нужен возврат?')
    const [job] = await app.rt.deps.sql`
      SELECT count(*)::int AS n FROM outbox WHERE queue = 'draft' AND (body->>'ticketId')::int = ${ticket!.id}`
    expect(job!.n).toBe(1)
  })

  it('the admin panel of draftdesk.php shows the draft that the draft route returns', async () => {
    // Prepare
    const key = await app.call(
      'POST',
      '/api-keys',
      { name: 'panel', role: 'support_agent' },
      { token: tenant.admin },
    )
    const [ticket] = await app.rt.deps.sql<{ id: number }[]>`
      SELECT id FROM tickets WHERE tenant_id = ${tenant.id} AND whmcs_ticket_id = 42`
    await app.rt.deps.sql`
      INSERT INTO ai_replies (tenant_id, ticket_id, request_id, ai_reply, confidence_score, provider, model,
                              escalated, escalation_reasons, reranked_sources)
      VALUES (${tenant.id}, ${ticket!.id}, ${randomUUID()}, 'Please switch PHP back to 8.1 <for now>.', 64,
              'builtin', 'x', true, ${app.rt.deps.sql.json([{ code: 'keyword', detail: 'Mentions a refund (возврат)' }])},
              ${app.rt.deps.sql.json([{ title: 'PHP version selector', sourceKind: 'tenant_kb', score: 0.77 }])})`
    const code = [
      "define('WHMCS', 1);",
      `define('DRAFTDESK_URL', '${app.url}');`,
      `define('DRAFTDESK_TENANT', '${tenant.slug}');`,
      "define('DRAFTDESK_WEBHOOK_SECRET', 'unused');",
      `define('DRAFTDESK_API_KEY', '${key.body.key}');`,
      'function add_hook() {}',
      `require '${join(hookDir, 'draftdesk.php')}';`,
      "echo draftdesk_admin_panel(['ticketid' => 42]);",
    ].join(' ')
    // Act
    const { stdout: html } = await runFile('php', ['-r', code])
    // Assess
    expect(html).toContain('Please switch PHP back to 8.1 &lt;for now&gt;.')
    expect(html).toContain('64 / 100')
    expect(html).toContain('Mentions a refund (возврат)')
    expect(html).toContain('PHP version selector')
    expect(html).toContain('id="draftdesk-insert"')
  })
})
