/**
 * Exactly-once promises under real concurrency. On the PGlite leg one connection serialises everything, so
 * these mostly pass by construction; on the server leg (DATABASE_URL) the runtime has a pool of connections
 * and several queue pollers, and the requests, workers and sweeps below really run at the same time.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClaimedJob, enqueue, publishJobs } from '#shared/queue/outbox'
import { signWebhook } from '#shared/whmcs/signature'
import { runWhmcsSync } from '#shared/whmcs/sync'
import { handler as sweep } from '../../functions/schedule/outbox-sweep.ts'
import { loadMigrations } from '../../migrations/runner.ts'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'
import { createTestDatabase } from '../helpers/db.ts'

const CREDS = { identifier: 'race-ident-41c2', secret: 'race-secret-Pq83XzL0', accessKey: 'race-access-9a' }

let app: TestApp
let fake: FakeWhmcs
let acme: TenantFixture
beforeAll(async () => {
  // Workers off: each test starts the pollers when its race is set up (4 per queue, as many as Lambda
  // would run for a small burst).
  ;[app, fake] = await Promise.all([
    startTestApp({ workers: false, queue: { retryBaseMs: 20, pollIntervalMs: 20, concurrency: 4 } }),
    startFakeWhmcs({ ...CREDS, tickets: 40 }),
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
    },
    { token: app.superToken },
  )
  expect(res.status).toBe(200)
  await app.call(
    'POST',
    '/kb/articles',
    { title: 'SMTP settings', content: 'Use port 587 with STARTTLS and your full email address as login.' },
    { token: acme.admin },
  )
  app.rt.queues.start()
  await app.rt.queues.idle()
})
afterAll(async () => {
  await app?.stop()
  await fake?.close()
})

const sql = () => app.rt.deps.sql

/** Runs `n` copies of `fn` at the same moment. */
const race = <T>(n: number, fn: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => fn(i)))

describe('Function: concurrent approvals of one draft', () => {
  it('10 approvals at once: one approval, one WHMCS AddTicketReply, nine 409s', async () => {
    // Prepare: a WHMCS-linked ticket with its draft.
    const created = await app.call(
      'POST',
      '/tickets',
      { subject: 'Mail down', content: 'SMTP rejects my login, which port do I use?' },
      { token: acme.customer },
    )
    const ticketId = created.body.id as number
    await sql()`UPDATE tickets SET whmcs_ticket_id = 1, source = 'whmcs' WHERE id = ${ticketId}`
    await app.rt.queues.idle()
    const drafts = await app.call('GET', `/tickets/${ticketId}/drafts`, undefined, { token: acme.agent })
    const draftId = drafts.body.items[0].id as number
    const repliesBefore = fake.callsOf('AddTicketReply').length
    // Act
    const answers = await race(10, () =>
      app.call('POST', `/drafts/${draftId}/approve`, { sendToWhmcs: true }, { token: acme.agent }),
    )
    await app.rt.queues.idle()
    // Assess
    const statuses = answers.map((a) => a.status).sort()
    expect(statuses).toEqual([201, ...Array(9).fill(409)])
    const [approvals] = await sql()`
      SELECT count(*)::int AS n FROM approved_replies WHERE tenant_id = ${acme.id} AND ai_reply_id = ${draftId}`
    expect(approvals!.n).toBe(1)
    const [agentMessages] = await sql()`
      SELECT count(*)::int AS n FROM messages WHERE tenant_id = ${acme.id} AND ticket_id = ${ticketId} AND role = 'agent'`
    expect(agentMessages!.n).toBe(1)
    expect(fake.callsOf('AddTicketReply').length - repliesBefore).toBe(1)
    expect(await app.rt.queues.deadLetters()).toEqual([])
  })
})

describe('Function: concurrent deliveries of one webhook event', () => {
  it('20 deliveries of one TicketOpen at once: one ticket, one message, one draft', async () => {
    // Prepare
    const raw = JSON.stringify({
      event: 'TicketOpen',
      occurredAt: Math.floor(Date.now() / 1000),
      data: {
        ticketid: '7001',
        ticketmask: 'RACE-7001',
        subject: 'Site down',
        message: 'HTTP 500 everywhere',
      },
    })
    const eventId = randomUUID()
    const deliver = () => {
      const timestamp = Math.floor(Date.now() / 1000)
      return app.call('POST', `/webhooks/whmcs/${acme.slug}`, undefined, {
        raw,
        headers: {
          'content-type': 'application/json',
          'X-Draftdesk-Event-Id': eventId,
          'X-Draftdesk-Timestamp': String(timestamp),
          'X-Draftdesk-Signature': signWebhook(acme.webhookSecret, timestamp, raw),
        },
      })
    }
    // Act
    const answers = await race(20, deliver)
    await app.rt.queues.idle()
    // Assess: every delivery is acknowledged (WHMCS must not retry), exactly one did the work.
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200))
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1)
    const rows = await sql()<{ id: number }[]>`
      SELECT id FROM tickets WHERE tenant_id = ${acme.id} AND whmcs_ticket_id = 7001`
    expect(rows).toHaveLength(1)
    const [counts] = await sql()`
      SELECT (SELECT count(*)::int FROM messages WHERE ticket_id = ${rows[0]!.id} AND role = 'user') AS messages,
             (SELECT count(*)::int FROM ai_replies WHERE ticket_id = ${rows[0]!.id}) AS drafts`
    expect(counts).toEqual({ messages: 1, drafts: 1 })
  })
})

describe('Function: concurrent sync runs of one tenant', () => {
  it('two runs at once import each ticket and reply once', async () => {
    // Act
    const runs = await race(2, () =>
      runWhmcsSync(app.rt.deps, { tenantId: acme.id, trigger: 'manual' }, { client: { retries: 0 } }),
    )
    await app.rt.queues.idle()
    // Assess: the runs take turns or one steps aside; either way nothing is stored twice.
    expect(runs.filter((r) => r.outcome === 'success').length).toBeGreaterThanOrEqual(1)
    for (const r of runs) expect(['success', 'skipped']).toContain(r.outcome)
    const [t] = await sql()`
      SELECT count(*)::int AS n, count(DISTINCT whmcs_ticket_id)::int AS distinct_ids FROM tickets
      WHERE tenant_id = ${acme.id} AND whmcs_ticket_id BETWEEN 1 AND 40`
    expect(t).toEqual({ n: 40, distinctIds: 40 })
    const [m] = await sql()`
      SELECT count(*)::int AS n,
             count(DISTINCT (ticket_id, coalesce(external_id, content)))::int AS distinct_messages
      FROM messages WHERE tenant_id = ${acme.id} AND role = 'user'
        AND ticket_id IN (SELECT id FROM tickets WHERE tenant_id = ${acme.id} AND whmcs_ticket_id BETWEEN 1 AND 40)`
    expect(m!.n).toBe(m!.distinctMessages)
    const [d] = await sql()`
      SELECT count(*)::int AS n, count(DISTINCT message_id)::int AS distinct_messages FROM ai_replies
      WHERE tenant_id = ${acme.id} AND status <> 'superseded'`
    expect(d!.n).toBe(d!.distinctMessages)
  })
})

describe('Function: several draft workers', () => {
  it('never draft one customer message twice, however many copies of its job run at once', async () => {
    // Prepare: five tickets; their draft jobs and three redelivered copies of each wait for the workers.
    await app.rt.queues.stop()
    const ids = await race(5, async (i) => {
      const res = await app.call(
        'POST',
        '/tickets',
        { subject: `Mailbox ${i}`, content: `Which SMTP port should mailbox ${i} use?` },
        { token: acme.customer },
      )
      return res.body.id as number
    })
    const jobs = await sql()<{ body: object }[]>`
      SELECT body FROM outbox WHERE queue = 'draft' AND (body->>'ticketId')::int IN ${sql()(ids)}`
    expect(jobs).toHaveLength(5)
    await app.rt.queues.send(
      'draft',
      jobs.flatMap((j) => [j.body, j.body, j.body]),
    )
    // Act
    app.rt.queues.start()
    await app.rt.queues.idle()
    // Assess
    const drafts = await sql()<{ ticketId: number; n: number }[]>`
      SELECT ticket_id, count(*)::int AS n FROM ai_replies WHERE ticket_id IN ${sql()(ids)}
      GROUP BY ticket_id ORDER BY ticket_id`
    expect(drafts).toEqual(ids.sort((a, b) => a - b).map((ticketId) => ({ ticketId, n: 1 })))
    const [assistant] = await sql()`
      SELECT count(*)::int AS n FROM messages WHERE ticket_id IN ${sql()(ids)} AND role = 'assistant'`
    expect(assistant!.n).toBe(5)
    expect(await app.rt.queues.deadLetters('draft')).toEqual([])
  })
})

describe('Function: requests publishing their own jobs while sweeps run', () => {
  it('publishes every job exactly once', async () => {
    // Prepare: 60 committed outbox rows nobody published yet and no consumers; the callers of half of
    // them are still there to publish, the other half's crashed (their claims expired).
    await app.rt.queues.stop()
    const marker = randomUUID()
    const jobs: ClaimedJob[] = []
    await sql().begin(async (tx) => {
      for (let i = 0; i < 60; i++) await enqueue(tx, jobs, 'embed', acme.id, { kind: 'race', marker, i })
    })
    const [owned, orphaned] = [jobs.slice(0, 30), jobs.slice(30)]
    await sql()`
      UPDATE outbox SET claimed_until = now() - interval '1 second' WHERE id IN ${sql()(orphaned.map((j) => j.id))}`
    // Act: three callers publishing their own ten, and three sweeps, all at once.
    await race<unknown>(6, (i) =>
      i % 2 === 0 ? sweep() : publishJobs(app.rt.deps, owned.slice((i >> 1) * 10, (i >> 1) * 10 + 10)),
    )
    // Assess
    const queued = await sql()<{ i: number; n: number }[]>`
      SELECT (body::jsonb->>'i')::int AS i, count(*)::int AS n FROM local_runtime.jobs
      WHERE queue = 'embed' AND body::jsonb->>'marker' = ${marker} GROUP BY 1 ORDER BY 1`
    expect(queued).toEqual(Array.from({ length: 60 }, (_, i) => ({ i, n: 1 })))
    const [left] = await sql()`
      SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND body->>'marker' = ${marker}`
    expect(left!.n).toBe(0)
    await sql()`DELETE FROM local_runtime.jobs WHERE body::jsonb->>'marker' = ${marker}`
  })
})

describe('Function: startRuntime, three at once on one empty database', () => {
  it('migrates, seeds and bootstraps once; every start succeeds', { timeout: 120_000 }, async () => {
    // Prepare: on the PGlite leg every start boots a database of its own, so one start is all it can check.
    const database = await createTestDatabase({ empty: true })
    const starts = database.url ? 3 : 1
    try {
      // Act
      const apps = await race(starts, () => startTestApp({ workers: false, database }))
      try {
        // Assess
        const s = apps[0]!.rt.deps.sql
        const [counts] = await s`
          SELECT (SELECT count(*)::int FROM schema_migrations) AS migrations,
                 (SELECT count(*)::int FROM users WHERE role = 'superadmin') AS superadmins,
                 (SELECT count(*)::int FROM prompt_versions WHERE tenant_id IS NULL AND is_default) AS defaults`
        expect(counts).toEqual({ migrations: (await loadMigrations()).length, superadmins: 1, defaults: 1 })
        expect(apps.filter((a) => a.rt.bootstrap !== null)).toHaveLength(1)
      } finally {
        await Promise.all(apps.map((a) => a.stop()))
      }
    } finally {
      await database.drop()
    }
  })
})
