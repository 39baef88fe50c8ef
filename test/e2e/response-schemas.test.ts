/**
 * Holds every route's real answer to the response schema its contract entry declares (shared/api/*.ts,
 * which the OpenAPI document and the console's types come from), so the schemas cannot drift from the code.
 * A seeded tenant calls every route of the route table once over HTTP, through the real runtime, workers,
 * drafting and a fake WHMCS: the body must parse with the route's schema and lose nothing in parsing (a
 * field the code answers but the schema does not name is drift too). The last test fails for a route no
 * case here calls, so a new route gets a case.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contract, type RouteKey, type RouteSpec } from '#shared/api/contract'
import { routeKey, routes } from '#shared/routes'
import { signWebhookV2 } from '#shared/whmcs/signature'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { createTenant, type Reply, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const CREDS = { identifier: 'drift-ident-5c1d', secret: 'drift-secret-Qx8Wz2' }

// JSON carries dates as ISO strings; the schemas describe what handlers return, Dates.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/
const revive = (body: unknown): unknown =>
  JSON.parse(JSON.stringify(body), (_key, value) =>
    typeof value === 'string' && ISO_INSTANT.test(value) ? new Date(value) : value,
  )

describe('Every route answers what its response schema says', () => {
  let app: TestApp
  let whmcs: FakeWhmcs
  let t: TenantFixture
  const checked = new Set<string>()

  /** The route's success status, and a body its schema parses without dropping anything. */
  function holds<K extends RouteKey>(key: K, res: Reply): Reply {
    const route = routes.find((r) => routeKey(r) === key)!
    const spec: RouteSpec = contract[key]
    const status = spec.status ?? (route.method === 'POST' ? 201 : 200)
    expect(res.status, `${key}: ${JSON.stringify(res.body)}`).toBe(status)
    checked.add(key)
    if (status === 204) {
      expect(res.body, key).toBeNull()
      return res
    }
    const body = revive(res.body)
    const parsed = spec.response.safeParse(body)
    expect(parsed.error?.issues, `${key} does not match its response schema`).toBeUndefined()
    expect(parsed.data, `${key} answers fields its response schema does not name`).toEqual(body)
    return res
  }

  const as = (token: string) => ({ token })
  const idle = () => app.rt.queues.idle(60_000)
  const webhook = (body: unknown, eventId: string = randomUUID()) => {
    const raw = JSON.stringify(body)
    const timestamp = Math.floor(Date.now() / 1000)
    return app.call('POST', `/webhooks/whmcs/${t.slug}`, undefined, {
      raw,
      headers: {
        'content-type': 'application/json',
        'X-Draftdesk-Event-Id': eventId,
        'X-Draftdesk-Timestamp': String(timestamp),
        'X-Draftdesk-Signature': signWebhookV2(t.webhookSecret, timestamp, eventId, raw),
      },
    })
  }

  beforeAll(async () => {
    ;[app, whmcs] = await Promise.all([startTestApp(), startFakeWhmcs({ ...CREDS, tickets: 3 })])
    t = await createTenant(app, 'drift')
  })
  afterAll(async () => {
    await app?.stop()
    await whmcs?.close()
  })

  it('system and identity routes', async () => {
    holds('GET /health', await app.call('GET', '/health'))
    const doc = holds('GET /openapi.json', await app.call('GET', '/openapi.json'))
    expect(doc.body.servers).toEqual([{ url: app.url }])
    holds(
      'POST /auth/login',
      await app.call('POST', '/auth/login', {
        tenant: t.slug,
        email: `admin@${t.slug}.test`,
        password: 'password-123',
      }),
    )
    holds('GET /me', await app.call('GET', '/me', undefined, as(t.agent)))

    const spare = holds(
      'POST /tenants',
      await app.call('POST', '/tenants', { name: 'Spare', slug: 'drift-spare' }, as(app.superToken)),
    )
    holds('GET /tenants', await app.call('GET', '/tenants', undefined, as(app.superToken)))
    holds(
      'POST /tenants/{id}/webhook-secret',
      await app.call('POST', `/tenants/${spare.body.id}/webhook-secret`, undefined, as(app.superToken)),
    )
    holds(
      'PATCH /tenants/{id}',
      await app.call(
        'PATCH',
        `/tenants/${t.id}`,
        { whmcsUrl: whmcs.url, whmcsIdentifier: CREDS.identifier, whmcsSecret: CREDS.secret },
        as(app.superToken),
      ),
    )

    const user = holds(
      'POST /users',
      await app.call(
        'POST',
        '/users',
        { email: 'second@drift.test', password: 'password-123', role: 'support_agent', fullName: 'Second' },
        as(t.admin),
      ),
    )
    holds('GET /users', await app.call('GET', '/users', undefined, as(t.admin)))
    holds(
      'PATCH /users/{id}',
      await app.call('PATCH', `/users/${user.body.id}`, { fullName: null }, as(t.admin)),
    )

    const key = holds(
      'POST /api-keys',
      await app.call('POST', '/api-keys', { name: 'panel', role: 'support_agent' }, as(t.admin)),
    )
    // The other branch of GET /me: an API key.
    holds('GET /me', await app.call('GET', '/me', undefined, { apiKey: key.body.key }))
    const doomed = await app.call('POST', '/api-keys', { name: 'doomed' }, as(t.admin))
    holds('GET /api-keys', await app.call('GET', '/api-keys', undefined, as(t.admin)))
    holds(
      'DELETE /api-keys/{id}',
      await app.call('DELETE', `/api-keys/${doomed.body.id}`, undefined, as(t.admin)),
    )
  })

  it('knowledge base routes', async () => {
    const article = holds(
      'POST /kb/articles',
      await app.call(
        'POST',
        '/kb/articles',
        {
          title: 'Reset your cPanel password',
          content: 'Open the client area, choose Services, then Login to cPanel and Change Password.',
          category: 'faq',
          tags: ['cpanel', 'password'],
          publicUrl: 'https://help.drift.example/cpanel-password',
        },
        as(t.agent),
      ),
    )
    holds(
      'POST /kb/import',
      await app.call(
        'POST',
        '/kb/import',
        {
          articles: [
            { title: 'Backups', content: 'Every site is backed up nightly and kept for 14 days.' },
            { title: 'Temporary', content: 'To be deleted.' },
          ],
        },
        as(t.admin),
      ),
    )
    await idle()
    holds('GET /kb/articles', await app.call('GET', '/kb/articles', undefined, as(t.agent)))
    holds(
      'GET /kb/articles/{id}',
      await app.call('GET', `/kb/articles/${article.body.id}`, undefined, as(t.agent)),
    )
    holds(
      'PATCH /kb/articles/{id}',
      await app.call('PATCH', `/kb/articles/${article.body.id}`, { tags: ['cpanel'] }, as(t.agent)),
    )
    holds(
      'POST /kb/search',
      await app.call('POST', '/kb/search', { query: 'how do I reset my cPanel password?' }, as(t.agent)),
    )
    const temporary = await app.call('GET', '/kb/articles?q=Temporary', undefined, as(t.agent))
    holds(
      'DELETE /kb/articles/{id}',
      await app.call('DELETE', `/kb/articles/${temporary.body.items[0].id}`, undefined, as(t.admin)),
    )
    await idle()
  })

  it('tickets, drafts and review routes, for staff and for customers', async () => {
    const mine = holds(
      'POST /tickets',
      await app.call(
        'POST',
        '/tickets',
        { subject: 'Forgot my cPanel password', content: 'How can I reset my cPanel password?' },
        as(t.customer),
      ),
    )
    const filed = holds(
      'POST /tickets',
      await app.call(
        'POST',
        '/tickets',
        { subject: 'Backups', content: 'How long do you keep backups?', clientEmail: 'c@drift.test' },
        as(t.agent),
      ),
    )
    await idle()
    for (const token of [t.agent, t.customer]) {
      holds('GET /tickets', await app.call('GET', '/tickets', undefined, as(token)))
      holds('GET /tickets/{id}', await app.call('GET', `/tickets/${mine.body.id}`, undefined, as(token)))
      holds(
        'POST /tickets/{id}/messages',
        await app.call('POST', `/tickets/${mine.body.id}/messages`, { content: 'Any news?' }, as(token)),
      )
    }
    holds('GET /tickets', await app.call('GET', '/tickets?needsReview=true', undefined, as(t.agent)))
    holds(
      'PATCH /tickets/{id}',
      await app.call('PATCH', `/tickets/${filed.body.id}`, { priority: 'high' }, as(t.agent)),
    )
    holds(
      'POST /tickets/{id}/drafts',
      await app.call('POST', `/tickets/${mine.body.id}/drafts`, undefined, as(t.agent)),
    )
    await idle()

    const drafts = holds(
      'GET /tickets/{id}/drafts',
      await app.call('GET', `/tickets/${mine.body.id}/drafts`, undefined, as(t.agent)),
    )
    const pending = drafts.body.items.find((d: { status: string }) => d.status === 'pending')
    holds(
      'POST /drafts/{id}/approve',
      await app.call(
        'POST',
        `/drafts/${pending.id}/approve`,
        { finalReply: `${pending.reply} Kind regards, the Drift team.` },
        as(t.agent),
      ),
    )
    const other = await app.call('GET', `/tickets/${filed.body.id}/drafts`, undefined, as(t.agent))
    holds(
      'POST /drafts/{id}/reject',
      await app.call(
        'POST',
        `/drafts/${other.body.items[0].id}/reject`,
        { reason: 'wrong article' },
        as(t.agent),
      ),
    )
    holds(
      'POST /drafts/preview',
      await app.call('POST', '/drafts/preview', { question: 'How long are backups kept?' }, as(t.agent)),
    )
    await idle()
  })

  it('prompts, settings, analytics and audit routes', async () => {
    holds('GET /prompts', await app.call('GET', '/prompts', undefined, as(t.admin)))
    const prompt = holds(
      'POST /prompts',
      await app.call(
        'POST',
        '/prompts',
        {
          version: 'drift-1',
          name: 'Drift',
          systemPrompt: 'You are the Drift hosting support assistant.',
          contextTemplate: 'Sources ({{source_count}}):\n{{sources}}',
          taskTemplate: 'Subject: {{subject}}\nQuestion: {{question}}\nEarlier: {{thread_summary}}',
        },
        as(t.admin),
      ),
    )
    holds(
      'POST /prompts/{id}/activate',
      await app.call('POST', `/prompts/${prompt.body.id}/activate`, undefined, as(t.admin)),
    )
    const reranking = holds(
      'GET /settings/reranking',
      await app.call('GET', '/settings/reranking', undefined, as(t.admin)),
    )
    const { scope: _scope, ...config } = reranking.body
    holds(
      'PUT /settings/reranking',
      await app.call('PUT', '/settings/reranking', { ...config, topKRerank: 4 }, as(t.admin)),
    )
    holds(
      'GET /settings/account-facts',
      await app.call('GET', '/settings/account-facts', undefined, as(t.admin)),
    )
    holds(
      'PUT /settings/account-facts',
      await app.call('PUT', '/settings/account-facts', { kinds: { client: false } }, as(t.admin)),
    )
    holds('GET /analytics/summary', await app.call('GET', '/analytics/summary', undefined, as(t.admin)))
    holds('GET /audit', await app.call('GET', '/audit', undefined, as(t.admin)))
  })

  it('WHMCS routes: sync, webhook and the admin panel', async () => {
    holds(
      'POST /integrations/whmcs/sync',
      await app.call('POST', '/integrations/whmcs/sync', undefined, as(t.admin)),
    )
    await idle()
    holds(
      'GET /integrations/sync-logs',
      await app.call('GET', '/integrations/sync-logs', undefined, as(t.admin)),
    )

    const opened = {
      event: 'TicketOpen',
      data: {
        ticketid: 501,
        ticketmask: 'DRF-501',
        subject: 'Backups',
        message: 'How long are backups kept?',
      },
    }
    holds('POST /webhooks/whmcs/{tenantSlug}', await webhook(opened))
    await idle()
    const key = await app.call('POST', '/api-keys', { name: 'panel-2', role: 'support_agent' }, as(t.admin))
    const panel = { apiKey: key.body.key as string }
    const shown = holds(
      'GET /integrations/whmcs/tickets/{whmcsTicketId}/draft',
      await app.call('GET', '/integrations/whmcs/tickets/501/draft', undefined, panel),
    )
    holds(
      'POST /integrations/whmcs/tickets/{whmcsTicketId}/drafts',
      await app.call('POST', '/integrations/whmcs/tickets/501/drafts', undefined, panel),
    )
    await idle()
    const current = await app.call('GET', '/integrations/whmcs/tickets/501/draft', undefined, panel)
    expect(current.body.draft.id).not.toBe(shown.body.draft.id)
    holds(
      'POST /integrations/whmcs/drafts/{id}/not-helpful',
      await app.call(
        'POST',
        `/integrations/whmcs/drafts/${current.body.draft.id}/not-helpful`,
        { reason: 'cites the wrong article' },
        panel,
      ),
    )
    // A staff reply that settles a pending draft (the answer names the outcome), then the same delivery
    // again: the duplicate answer.
    holds(
      'POST /webhooks/whmcs/{tenantSlug}',
      await webhook({ ...opened, data: { ...opened.data, ticketid: 502 } }),
    )
    await idle()
    const reply = {
      event: 'TicketAdminReply',
      data: { ticketid: 502, replyid: 9502, admin: 'Alice', message: 'We keep them for 14 days.' },
    }
    const eventId = randomUUID()
    const settled = holds('POST /webhooks/whmcs/{tenantSlug}', await webhook(reply, eventId))
    expect(settled.body.review).toMatchObject({ outcome: expect.any(String) })
    const again = holds('POST /webhooks/whmcs/{tenantSlug}', await webhook(reply, eventId))
    expect(again.body).toEqual({ duplicate: true })
  })

  it('calibration and knowledge gap routes: a replay of the desk history, its fit and gaps', async () => {
    whmcs.store.seedHistory([
      {
        subject: 'Backup retention',
        message: 'How long do you keep backups of my site?',
        reply: 'We keep daily backups for 14 days; restore one under Backups > Restore in the panel.',
      },
      {
        subject: 'Mailbox size',
        message: 'How big can one mailbox get?',
        reply: 'Each mailbox holds 5 GB. Raise it under Email > Quotas, up to 25 GB.',
      },
      {
        subject: 'Node versions',
        message: 'Which Node.js versions can I pick?',
        reply: 'Node.js 18, 20 and 22 are available under Software > Node.js Selector.',
      },
    ])
    const held = whmcs.hold((c) => c.action === 'GetTickets')
    const cancelled = holds(
      'POST /calibration/replay',
      await app.call('POST', '/calibration/replay', { days: 30 }, as(t.admin)),
    )
    await held.arrived
    holds(
      'POST /calibration/runs/{id}/cancel',
      await app.call('POST', `/calibration/runs/${cancelled.body.id}/cancel`, undefined, as(t.admin)),
    )
    held.release()
    await idle()
    holds('POST /calibration/replay', await app.call('POST', '/calibration/replay', {}, as(t.admin)))
    await idle()
    const view = holds('GET /calibration', await app.call('GET', '/calibration', undefined, as(t.admin)))
    expect(view.body.run).toMatchObject({ status: 'done', errors: 0 })
    const svg = await app.call('GET', '/calibration/reliability.svg', undefined, as(t.admin))
    expect(svg.status).toBe(200)
    checked.add('GET /calibration/reliability.svg')
    const versions = holds(
      'GET /calibration/versions',
      await app.call('GET', '/calibration/versions', undefined, as(t.admin)),
    )
    holds(
      'POST /calibration/versions/{id}/pin',
      await app.call(
        'POST',
        `/calibration/versions/${versions.body.items[0].id}/pin`,
        undefined,
        as(t.admin),
      ),
    )
    holds(
      'POST /calibration/rollback',
      await app.call('POST', '/calibration/rollback', undefined, as(t.admin)),
    )
    holds(
      'PUT /calibration/settings',
      await app.call('PUT', '/calibration/settings', { budget: 0.12 }, as(t.admin)),
    )
    holds('DELETE /calibration/pin', await app.call('DELETE', '/calibration/pin', undefined, as(t.admin)))
    const gaps = holds(
      'GET /knowledge-gaps',
      await app.call('GET', '/knowledge-gaps', undefined, as(t.admin)),
    )
    holds(
      'POST /knowledge-gaps/{id}/suggestion',
      await app.call('POST', `/knowledge-gaps/${gaps.body.items[0].id}/suggestion`, undefined, as(t.admin)),
    )
  }, 120_000)

  it('covers every route of the route table', () => {
    expect(routes.map(routeKey).filter((key) => !checked.has(key))).toEqual([])
  })
})
