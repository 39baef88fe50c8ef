/**
 * The WHMCS sync service against the fake WHMCS (real HTTP) and the embedded Postgres. Workers are off and
 * the service is called directly, so every run is deterministic; test/e2e/whmcs-sync.test.ts covers the
 * queue, the schedule and the HTTP routes.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWhmcsSync, type SyncOptions } from '#shared/whmcs/sync'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { createTenant, startTestApp, type TestApp } from '../helpers/app.ts'
import { captureOutput } from '../helpers/logs.ts'

const CREDS = { identifier: 'dd-ident-7f3a9c', secret: 'dd-secret-Q2x8LmZ4vB', accessKey: 'dd-access-Hk29' }
// Failing calls must fail fast in tests; production keeps the client's backoff.
const FAST: SyncOptions = { client: { retries: 0, minBackoffMs: 1, timeoutMs: 5_000 } }

describe('Function: runWhmcsSync', () => {
  let app: TestApp
  const fakes: FakeWhmcs[] = []
  beforeAll(async () => {
    app = await startTestApp({ workers: false })
  })
  afterAll(async () => {
    await Promise.all(fakes.map((f) => f.close()))
    await app?.stop()
  })

  /** A tenant connected to its own fake WHMCS seeded with `tickets` tickets. */
  const connected = async (slug: string, tickets: number) => {
    const tenant = await createTenant(app, slug)
    const fake = await startFakeWhmcs({ ...CREDS, tickets })
    fakes.push(fake)
    const res = await app.call(
      'PATCH',
      `/tenants/${tenant.id}`,
      {
        whmcsUrl: fake.url,
        whmcsIdentifier: CREDS.identifier,
        whmcsSecret: CREDS.secret,
        whmcsAccessKey: CREDS.accessKey,
        whmcsAdminUsername: 'draftdesk',
      },
      { token: app.superToken },
    )
    expect(res.status).toBe(200)
    return { tenant, fake }
  }
  const sync = (tenantId: number, options: SyncOptions = {}) =>
    runWhmcsSync(app.rt.deps, { tenantId, trigger: 'manual' }, { ...FAST, ...options })
  const sql = () => app.rt.deps.sql
  const counts = async (tenantId: number) => {
    const [row] = await sql()<
      {
        tickets: number
        distinctTickets: number
        messages: number
        distinctMessages: number
        drafts: number
      }[]
    >`
      SELECT
        (SELECT count(*)::int FROM tickets WHERE tenant_id = ${tenantId}) AS tickets,
        (SELECT count(DISTINCT whmcs_ticket_id)::int FROM tickets WHERE tenant_id = ${tenantId}) AS distinct_tickets,
        (SELECT count(*)::int FROM messages WHERE tenant_id = ${tenantId}) AS messages,
        (SELECT count(DISTINCT (ticket_id, external_id))::int FROM messages WHERE tenant_id = ${tenantId}) AS distinct_messages,
        (SELECT count(*)::int FROM outbox WHERE tenant_id = ${tenantId} AND queue = 'draft') AS drafts`
    return row!
  }

  // The 1,000-ticket runs get a longer hang guard (not a time budget): a loaded 2-core CI machine needs it.
  describe('with 1,000 tickets across 40 pages', () => {
    let tenantId: number
    let fake: FakeWhmcs
    beforeAll(async () => {
      const c = await connected('bulk', 1000)
      tenantId = c.tenant.id
      fake = c.fake
    })

    it('imports every ticket and reply exactly once and queues one draft per ticket awaiting a reply', {
      timeout: 120_000,
    }, async () => {
      // Act
      const result = await sync(tenantId)
      // Assess
      expect(result).toMatchObject({ outcome: 'success', recordsProcessed: 1000, complete: true })
      expect(fake.callsOf('GetTickets')).toHaveLength(40)
      expect(fake.callsOf('GetTicket')).toHaveLength(1000)
      // Seeded threads: opening message, a staff reply, then the customer again.
      expect(await counts(tenantId)).toEqual({
        tickets: 1000,
        distinctTickets: 1000,
        messages: 3000,
        distinctMessages: 3000,
        drafts: 1000,
      })
      const wrong = await sql()`
        SELECT m.external_id FROM messages m JOIN tickets t ON t.id = m.ticket_id
        WHERE m.tenant_id = ${tenantId}
          AND ((m.role = 'agent') <> (m.content LIKE 'Thanks for reaching out%'))`
      expect(wrong).toEqual([])
      const [log] = await sql()`
        SELECT status, records_processed, error_message, metadata_json FROM integration_sync_logs
        WHERE id = ${result.outcome === 'success' ? result.logId : 0}`
      expect(log).toMatchObject({ status: 'success', recordsProcessed: 1000, errorMessage: null })
      expect(log!.metadataJson).toMatchObject({
        complete: true,
        limitstart: 1000,
        pages: 40,
        detailsFetched: 1000,
      })
    })

    it('maps WHMCS statuses and priorities and keeps ticket fields', async () => {
      // Act
      const rows = await sql()<
        { whmcsTicketId: number; status: string; priority: string; clientEmail: string; source: string }[]
      >`
        SELECT whmcs_ticket_id, status, priority, client_email, source FROM tickets
        WHERE tenant_id = ${tenantId} AND whmcs_ticket_id IN (1, 2, 3, 4, 5) ORDER BY whmcs_ticket_id`
      // Assess: the fake seeds status by id % 5 and priority by id % 3.
      const status = ['open', 'customer_reply', 'answered', 'in_progress', 'on_hold']
      const priority = ['low', 'medium', 'high']
      for (const r of rows) {
        const w = fake.store.get(r.whmcsTicketId)!
        expect(r.status).toBe(
          status[['Open', 'Customer-Reply', 'Answered', 'In Progress', 'On Hold'].indexOf(w.status)],
        )
        expect(r.priority).toBe(priority[['Low', 'Medium', 'High'].indexOf(w.priority)])
        expect(r.clientEmail).toBe(w.email)
        expect(r.source).toBe('whmcs')
      }
      expect(rows).toHaveLength(5)
    })

    it('calls GetTicket zero times when nothing changed', async () => {
      // Prepare
      const before = fake.calls.length
      // Act
      const result = await sync(tenantId)
      // Assess
      const calls = fake.calls.slice(before)
      expect(result).toMatchObject({ outcome: 'success', recordsProcessed: 1000 })
      expect(calls.filter((c) => c.action === 'GetTicket')).toHaveLength(0)
      expect(calls.filter((c) => c.action === 'GetTickets')).toHaveLength(40)
      expect((await counts(tenantId)).messages).toBe(3000)
    })

    it('fetches only what changed: a new reply costs one GetTicket and one draft, a status change none', async () => {
      // Prepare
      fake.addCustomerReply(500, 'Any update? The site is still down.')
      fake.store.mustGet(600).status = 'On Hold'
      const before = fake.calls.length
      const draftsBefore = (await counts(tenantId)).drafts
      // Act
      await sync(tenantId)
      // Assess
      const getTicket = fake.calls.slice(before).filter((c) => c.action === 'GetTicket')
      expect(getTicket.map((c) => c.params.ticketid)).toEqual(['500'])
      const [t500] = await sql()`
        SELECT t.status, (SELECT count(*)::int FROM messages m WHERE m.ticket_id = t.id) AS messages
        FROM tickets t WHERE tenant_id = ${tenantId} AND whmcs_ticket_id = 500`
      expect(t500).toEqual({ status: 'customer_reply', messages: 4 })
      const [t600] =
        await sql()`SELECT status FROM tickets WHERE tenant_id = ${tenantId} AND whmcs_ticket_id = 600`
      expect(t600!.status).toBe('on_hold')
      expect((await counts(tenantId)).drafts).toBe(draftsBefore + 1)
    })

    it('does not undo a Draftdesk-only status (escalated) while WHMCS’s own status stays the same', async () => {
      // Prepare
      await sql()`UPDATE tickets SET status = 'escalated' WHERE tenant_id = ${tenantId} AND whmcs_ticket_id = 700`
      fake.store.mustGet(701).status = 'Answered'
      // Act
      await sync(tenantId)
      // Assess
      const rows = await sql()`
        SELECT whmcs_ticket_id, status FROM tickets WHERE tenant_id = ${tenantId} AND whmcs_ticket_id IN (700, 701)
        ORDER BY whmcs_ticket_id`
      expect(rows).toEqual([
        { whmcsTicketId: 700, status: 'escalated' },
        { whmcsTicketId: 701, status: 'answered' },
      ])
    })

    it('closes tickets that left WHMCS’s active list (closed or deleted) at the end of the sweep', async () => {
      // Prepare
      fake.store.mustGet(800).status = 'Closed'
      fake.store.tickets.delete(801)
      const before = fake.calls.length
      // Act
      const result = await sync(tenantId)
      // Assess
      expect(result).toMatchObject({ outcome: 'success', recordsProcessed: 998 })
      const getTicket = fake.calls.slice(before).filter((c) => c.action === 'GetTicket')
      expect(getTicket.map((c) => c.params.ticketid).sort()).toEqual(['800', '801'])
      const rows = await sql()`
        SELECT whmcs_ticket_id, status FROM tickets WHERE tenant_id = ${tenantId} AND whmcs_ticket_id IN (800, 801)
        ORDER BY whmcs_ticket_id`
      expect(rows).toEqual([
        { whmcsTicketId: 800, status: 'closed' },
        { whmcsTicketId: 801, status: 'closed' },
      ])
    })
  })

  it('fails on page 17 with WHMCS’s message, then the next run resumes there and completes without duplicates', {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const { tenant, fake } = await connected('flaky', 1000)
    fake.failOn(
      (c) => c.action === 'GetTickets' && c.params.limitstart === '400',
      'error',
      1,
      'Database error: MySQL server has gone away',
    )
    // Act
    const failed = await sync(tenant.id)
    const afterFailure = await counts(tenant.id)
    const callsAfterFailure = fake.calls.length
    const resumed = await sync(tenant.id)
    // Assess
    expect(failed).toMatchObject({ outcome: 'failed', recordsProcessed: 400, complete: false })
    const logs = await sql()`
      SELECT status, records_processed, error_message, metadata_json FROM integration_sync_logs
      WHERE tenant_id = ${tenant.id} ORDER BY id`
    expect(logs[0]).toMatchObject({ status: 'failed', recordsProcessed: 400 })
    expect(logs[0]!.errorMessage).toContain('Database error: MySQL server has gone away')
    expect(logs[0]!.metadataJson).toMatchObject({ limitstart: 400, complete: false, pages: 16 })
    // Everything the 16 good pages fetched was kept.
    expect(afterFailure).toMatchObject({ tickets: 400, messages: 1200, drafts: 400 })

    expect(resumed).toMatchObject({ outcome: 'success', complete: true })
    expect(logs[1]).toMatchObject({ status: 'success' })
    // Resumed one page early (overlap), not from zero.
    expect(logs[1]!.metadataJson).toMatchObject({
      startLimitstart: 375,
      resumedFromLogId: expect.any(Number),
    })
    const second = fake.calls.slice(callsAfterFailure)
    expect(second.find((c) => c.action === 'GetTickets')!.params.limitstart).toBe('375')
    expect(second.filter((c) => c.action === 'GetTicket')).toHaveLength(600)
    expect(await counts(tenant.id)).toEqual({
      tickets: 1000,
      distinctTickets: 1000,
      messages: 3000,
      distinctMessages: 3000,
      drafts: 1000,
    })
  })

  it('starts over from the top after three failed runs at the same sweep', async () => {
    // Prepare
    const { tenant, fake } = await connected('poison', 60)
    fake.failOn((c) => c.action === 'GetTickets' && c.params.limitstart === '50', 'error', 4, 'Poison page')
    // Act
    const runs = []
    for (let i = 0; i < 5; i++) runs.push(await sync(tenant.id))
    // Assess
    const logs = await sql()<{ status: string; metadataJson: { startLimitstart: number } }[]>`
      SELECT status, metadata_json FROM integration_sync_logs WHERE tenant_id = ${tenant.id} ORDER BY id`
    expect(logs.map((l) => l.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'success'])
    expect(logs.map((l) => l.metadataJson.startLimitstart)).toEqual([0, 25, 25, 0, 25])
    expect(runs.at(-1)).toMatchObject({ outcome: 'success' })
  })

  it('runs one sync per tenant at a time and takes over a run whose worker died', async () => {
    // Prepare
    const { tenant } = await connected('single', 3)
    const [running] = await sql()<{ id: number }[]>`
      INSERT INTO integration_sync_logs (tenant_id, system, direction, status, metadata_json)
      VALUES (${tenant.id}, 'whmcs', 'inbound', 'running', ${sql().json({ heartbeatAt: new Date().toISOString() })})
      RETURNING id`
    // Act
    const blocked = await sync(tenant.id)
    await sql()`
      UPDATE integration_sync_logs SET metadata_json = ${sql().json({ heartbeatAt: new Date(Date.now() - 10 * 60_000).toISOString() })}
      WHERE id = ${running!.id}`
    const takeover = await sync(tenant.id)
    // Assess
    expect(blocked).toEqual({ outcome: 'skipped', reason: 'already_running', logId: running!.id })
    expect(takeover).toMatchObject({ outcome: 'success', recordsProcessed: 3 })
    const [dead] =
      await sql()`SELECT status, error_message FROM integration_sync_logs WHERE id = ${running!.id}`
    expect(dead).toMatchObject({ status: 'failed', errorMessage: expect.stringContaining('interrupted') })
  })

  it('lets a redelivered job take over its own run at once, and stops the leftover delivery', async () => {
    // Prepare: the first delivery commits page 1, then waits on WHMCS for page 2.
    const { tenant } = await connected('taken-over', 6)
    const fake = fakes.at(-1)!
    const job = { tenantId: tenant.id, trigger: 'schedule' as const, jobId: 'job-takeover' }
    const page2 = fake.hold((c) => c.action === 'GetTickets' && c.params.limitstart === '3')
    const leftover = runWhmcsSync(app.rt.deps, job, { ...FAST, pageSize: 3 })
    await page2.arrived
    // Act: the queue delivers the same job again (the first worker looks dead), then the first wakes up.
    const redelivered = await runWhmcsSync(app.rt.deps, job, { ...FAST, pageSize: 3 })
    page2.release()
    const late = await leftover
    // Assess
    expect(redelivered).toMatchObject({ outcome: 'success', complete: true })
    expect(late).toMatchObject({ outcome: 'skipped', reason: 'already_running' })
    const runs = await sql()<{ status: string; errorMessage: string | null; recordsProcessed: number }[]>`
      SELECT status, error_message, records_processed FROM integration_sync_logs
      WHERE tenant_id = ${tenant.id} ORDER BY id`
    expect(runs).toEqual([
      { status: 'failed', errorMessage: expect.stringMatching(/^interrupted/), recordsProcessed: 3 },
      { status: 'success', errorMessage: null, recordsProcessed: 6 },
    ])
    const c = await counts(tenant.id)
    expect(c).toMatchObject({ tickets: 6, distinctTickets: 6 })
    expect(c.messages).toBe(c.distinctMessages)
  })

  it('skips tenants without WHMCS and does nothing for a job that already succeeded', async () => {
    // Prepare
    const bare = await createTenant(app, 'bare')
    const { tenant, fake } = await connected('redelivered', 2)
    const job = { tenantId: tenant.id, trigger: 'schedule' as const, jobId: 'job-123' }
    // Act
    const notConfigured = await runWhmcsSync(app.rt.deps, { tenantId: bare.id, trigger: 'schedule' })
    const first = await runWhmcsSync(app.rt.deps, job, FAST)
    const callsAfterFirst = fake.calls.length
    const again = await runWhmcsSync(app.rt.deps, job, FAST)
    // Assess
    expect(notConfigured).toEqual({ outcome: 'skipped', reason: 'not_configured' })
    expect(first).toMatchObject({ outcome: 'success' })
    expect(again).toMatchObject({ outcome: 'skipped', reason: 'job_done' })
    expect(fake.calls.length).toBe(callsAfterFirst)
  })

  it('never writes credentials to logs or the sync log, even when WHMCS echoes them back', async () => {
    // Prepare
    const { tenant, fake } = await connected('leaky', 30)
    fake.respondWith(
      (c) => c.action === 'GetTicket',
      () => ({
        result: 'error',
        message: `Invalid secret ${CREDS.secret} for ${CREDS.identifier} (${CREDS.accessKey})`,
      }),
    )
    // Act
    const { result, output: logText } = await captureOutput(async () => {
      const first = await sync(tenant.id)
      await sync(tenant.id)
      return first
    })
    // Assess
    expect(result).toMatchObject({ outcome: 'failed' })
    expect(logText).toContain('whmcs sync failed')
    const [row] =
      await sql()`SELECT error_message, metadata_json FROM integration_sync_logs WHERE tenant_id = ${tenant.id} ORDER BY id LIMIT 1`
    expect(row!.errorMessage).toContain('[redacted]')
    const api = await app.call('GET', '/integrations/sync-logs', undefined, { token: tenant.admin })
    const tenants = await app.call('GET', '/tenants?limit=200', undefined, { token: app.superToken })
    const everything = [
      logText,
      JSON.stringify(row),
      JSON.stringify(api.body),
      JSON.stringify(tenants.body),
    ].join('\n')
    for (const secret of Object.values(CREDS)) expect(everything).not.toContain(secret)
  })

  it('keeps a non-JSON answer’s body out of the sync log the tenant reads: status and content type only', async () => {
    // Prepare
    const { tenant, fake } = await connected('html', 3)
    fake.failOn((c) => c.action === 'GetTickets', 'html')
    // Act
    const result = await sync(tenant.id)
    const api = await app.call('GET', '/integrations/sync-logs', undefined, { token: tenant.admin })
    // Assess
    expect(result).toMatchObject({ outcome: 'failed' })
    expect(api.body.items[0].errorMessage).toBe(
      'WHMCS GetTickets returned a non-JSON response (HTTP 200, text/html)',
    )
  })

  it.each([302, 307])(
    'does not follow a %i from the WHMCS URL: its target receives nothing, the sync log says why',
    async (status) => {
      // Prepare: the tenant's WHMCS URL answers with a redirect to another WHMCS (a stand-in for any origin).
      const { tenant } = await connected(`redirect-${status}`, 3)
      const target = await startFakeWhmcs({ ...CREDS, tickets: 3 })
      fakes.push(target)
      const redirector = createServer((req, res) => {
        req.resume()
        res.writeHead(status, { location: `${target.url}/includes/api.php?from=draftdesk` })
        res.end()
      })
      redirector.listen(0, '127.0.0.1')
      await once(redirector, 'listening')
      const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`
      const patch = await app.call(
        'PATCH',
        `/tenants/${tenant.id}`,
        { whmcsUrl: url },
        { token: app.superToken },
      )
      expect(patch.status).toBe(200)
      try {
        // Act
        const result = await sync(tenant.id)
        const api = await app.call('GET', '/integrations/sync-logs', undefined, { token: tenant.admin })
        // Assess
        expect(result).toMatchObject({ outcome: 'failed' })
        expect(api.body.items[0].errorMessage).toBe(
          `WHMCS GetTickets failed: HTTP ${status} redirect to ${target.url} not followed: redirects are never followed, so configure the final address`,
        )
        expect(target.calls).toEqual([])
      } finally {
        await new Promise((resolve) => redirector.close(resolve))
      }
    },
  )

  it('keeps an internal failure out of the sync log the tenant reads, and hands it to the queue to retry', async () => {
    // Prepare: the database refuses this tenant's tickets with a text that names internals.
    const { tenant } = await connected('internal', 3)
    await sql().unsafe(`
      CREATE FUNCTION refuse_internal() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'relation pg_internal_thing is corrupt at block 7'; END $$;
      CREATE TRIGGER refuse_internal BEFORE INSERT ON tickets FOR EACH ROW
        WHEN (NEW.tenant_id = ${tenant.id}) EXECUTE FUNCTION refuse_internal();`)
    try {
      // Act
      const run = sync(tenant.id)
      // Assess
      await expect(run).rejects.toThrow(/pg_internal_thing/)
      const [log] = await sql()<{ status: string; errorMessage: string }[]>`
        SELECT status, error_message FROM integration_sync_logs WHERE tenant_id = ${tenant.id}`
      expect(log).toEqual({ status: 'failed', errorMessage: 'internal error; the sync is retried' })
    } finally {
      await sql().unsafe('DROP TRIGGER refuse_internal ON tickets; DROP FUNCTION refuse_internal()')
    }
  })
})
