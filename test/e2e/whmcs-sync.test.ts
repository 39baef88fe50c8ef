/**
 * Sync through the real routes, queue, worker and schedule handler of the local runtime, against the fake
 * WHMCS: POST /integrations/whmcs/sync, GET /integrations/sync-logs, functions/schedule/whmcs-sync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { handler as scheduleSync } from '../../functions/schedule/whmcs-sync.ts'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const CREDS = { identifier: 'e2e-ident-91ab', secret: 'e2e-secret-Lm3Nq7Rt' }

describe('Function: WHMCS sync routes, worker and schedule', () => {
  let app: TestApp
  let fakeA: FakeWhmcs
  let fakeB: FakeWhmcs
  let acme: TenantFixture
  let globex: TenantFixture
  let bare: TenantFixture
  beforeAll(async () => {
    ;[app, fakeA, fakeB] = await Promise.all([
      startTestApp(),
      startFakeWhmcs({ ...CREDS, tickets: 30 }),
      startFakeWhmcs({ ...CREDS, tickets: 5 }),
    ])
    ;[acme, globex, bare] = await Promise.all([
      createTenant(app, 'acme'),
      createTenant(app, 'globex'),
      createTenant(app, 'bare'),
    ])
    for (const [tenant, fake] of [
      [acme, fakeA],
      [globex, fakeB],
    ] as const) {
      const res = await app.call(
        'PATCH',
        `/tenants/${tenant.id}`,
        { whmcsUrl: fake.url, whmcsIdentifier: CREDS.identifier, whmcsSecret: CREDS.secret },
        { token: app.superToken },
      )
      expect(res.status).toBe(200)
    }
  })
  afterAll(async () => {
    await app?.stop()
    await Promise.all([fakeA?.close(), fakeB?.close()])
  })

  /** Waits until no sync job is waiting or running (dead letters aside). */
  const syncDrained = () => app.rt.queues.idle(30_000, 'sync')

  it('queues a manual sync (202) that the worker runs and GET /integrations/sync-logs reports', async () => {
    // Act
    const trigger = await app.call('POST', '/integrations/whmcs/sync', undefined, { token: acme.admin })
    await syncDrained()
    const logs = await app.call('GET', '/integrations/sync-logs', undefined, { token: acme.admin })
    // Assess
    expect(trigger.status).toBe(202)
    expect(trigger.body).toMatchObject({ queued: true })
    expect(logs.status).toBe(200)
    expect(logs.body.items).toHaveLength(1)
    expect(logs.body.items[0]).toMatchObject({
      system: 'whmcs',
      direction: 'inbound',
      status: 'success',
      recordsProcessed: 30,
      errorMessage: null,
      metadata: { trigger: 'manual', complete: true, limitstart: 30 },
    })
    const [tickets] = await app.rt.deps
      .sql`SELECT count(*)::int AS n FROM tickets WHERE tenant_id = ${acme.id}`
    expect(tickets!.n).toBe(30)
  })

  it('the schedule queues one job per active tenant with WHMCS configured', async () => {
    // Act
    const result = await scheduleSync()
    await syncDrained()
    // Assess
    expect(result).toEqual({ queued: 2 })
    const rows = await app.rt.deps.sql<{ tenantId: number; n: number }[]>`
      SELECT tenant_id, count(*)::int AS n FROM integration_sync_logs GROUP BY tenant_id ORDER BY tenant_id`
    // The tenants were created concurrently, so either may have the lower id.
    expect(rows).toEqual(
      [
        { tenantId: acme.id, n: 2 },
        { tenantId: globex.id, n: 1 },
      ].sort((a, b) => a.tenantId - b.tenantId),
    )
    // The second acme run found nothing new.
    expect(fakeA.callsOf('GetTicket')).toHaveLength(30)
  })

  it('pages sync logs with a cursor and filters by status', async () => {
    // Act
    const first = await app.call('GET', '/integrations/sync-logs?limit=1', undefined, { token: acme.admin })
    const second = await app.call(
      'GET',
      `/integrations/sync-logs?limit=1&cursor=${first.body.nextCursor}`,
      undefined,
      { token: acme.admin },
    )
    const failed = await app.call('GET', '/integrations/sync-logs?status=failed', undefined, {
      token: acme.admin,
    })
    // Assess
    expect(first.body.items).toHaveLength(1)
    expect(first.body.nextCursor).toEqual(expect.any(String))
    expect(second.body.items).toHaveLength(1)
    expect(second.body.items[0].id).toBeLessThan(first.body.items[0].id)
    expect(second.body.nextCursor).toBeNull()
    expect(failed.body.items).toEqual([])
  })

  it('keeps tenants apart and admin-only routes closed to agents', async () => {
    // Act
    const globexLogs = await app.call('GET', '/integrations/sync-logs', undefined, { token: globex.admin })
    const acmeAsGlobex = await app.call('GET', `/integrations/sync-logs?tenantId=${globex.id}`, undefined, {
      token: acme.admin,
    })
    const superAsGlobex = await app.call('GET', `/integrations/sync-logs?tenantId=${globex.id}`, undefined, {
      token: app.superToken,
    })
    const agentLogs = await app.call('GET', '/integrations/sync-logs', undefined, { token: acme.agent })
    const agentSync = await app.call('POST', '/integrations/whmcs/sync', undefined, { token: acme.agent })
    const customerSync = await app.call('POST', '/integrations/whmcs/sync', undefined, {
      token: acme.customer,
    })
    const anonymous = await app.call('GET', '/integrations/sync-logs')
    // Assess
    expect(globexLogs.body.items).toHaveLength(1)
    expect(globexLogs.body.items[0].recordsProcessed).toBe(5)
    expect(acmeAsGlobex.status).toBe(403)
    expect(superAsGlobex.body.items.map((l: { id: number }) => l.id)).toEqual(
      globexLogs.body.items.map((l: { id: number }) => l.id),
    )
    expect(agentLogs.status).toBe(403)
    expect(agentSync.status).toBe(403)
    expect(customerSync.status).toBe(403)
    expect(anonymous.status).toBe(401)
  })

  it('imports every ticket when WHMCS holds one with NUL bytes and lone surrogates (cleaned, not blocking)', async () => {
    // Prepare: the poisoned ticket sits between two ordinary ones, on the first page
    const fake = await startFakeWhmcs({ ...CREDS, tickets: 1 })
    const poisoned = fake.store.addTicket({
      subject: 'Refund\u0000 please \ud83d',
      message: 'Opening\u0000 text',
      name: 'Mal\udc00ory',
    })
    fake.store.addReply(poisoned.id, { message: 'Reply with \u0000NUL and \ud800 surrogate' })
    fake.store.addTicket({})
    const tenant = await createTenant(app, 'poison')
    try {
      await app.call(
        'PATCH',
        `/tenants/${tenant.id}`,
        { whmcsUrl: fake.url, whmcsIdentifier: CREDS.identifier, whmcsSecret: CREDS.secret },
        { token: app.superToken },
      )
      // Act
      await app.call('POST', '/integrations/whmcs/sync', undefined, { token: tenant.admin })
      await syncDrained()
      // Assess
      const logs = await app.call('GET', '/integrations/sync-logs', undefined, { token: tenant.admin })
      expect(logs.body.items[0]).toMatchObject({ status: 'success', recordsProcessed: 3, errorMessage: null })
      const [ticket] = await app.rt.deps.sql<{ id: number; subject: string }[]>`
        SELECT id, subject FROM tickets WHERE tenant_id = ${tenant.id} AND whmcs_ticket_id = ${poisoned.id}`
      expect(ticket!.subject).toBe('Refund please \ufffd')
      // What the sync imported: the draft worker, running meanwhile, may already have added its reply.
      const messages = await app.rt.deps.sql<{ content: string }[]>`
        SELECT content FROM messages WHERE ticket_id = ${ticket!.id} AND role IN ('user', 'agent') ORDER BY id`
      expect(messages.map((m) => m.content)).toEqual(['Opening text', 'Reply with NUL and \ufffd surrogate'])
      const [count] = await app.rt.deps.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM tickets WHERE tenant_id = ${tenant.id}`
      expect(count!.n).toBe(3)
    } finally {
      await fake.close()
    }
  })

  it('answers 409 when the tenant has no WHMCS connection', async () => {
    // Act
    const res = await app.call('POST', '/integrations/whmcs/sync', undefined, { token: bare.admin })
    // Assess
    expect(res.status).toBe(409)
    expect(res.body.error.message).toContain('not configured')
  })

  it('never returns the WHMCS credentials from the tenant API', async () => {
    // Act
    const list = await app.call('GET', '/tenants?limit=200', undefined, { token: app.superToken })
    const patched = await app.call(
      'PATCH',
      `/tenants/${acme.id}`,
      { whmcsSecret: CREDS.secret },
      { token: app.superToken },
    )
    // Assess
    const text = JSON.stringify([list.body, patched.body])
    expect(text).not.toContain(CREDS.secret)
    expect(text).not.toContain(CREDS.identifier)
    expect(patched.body).toMatchObject({ whmcsConfigured: true })
  })
})
