import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contract } from '#shared/api/contract'
import { type RouteAuth, type RouteDef, routeKey, routes } from '#shared/routes'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

/**
 * Walks every route of the route table: 401 without or with a forged token, 403 for the role just below the
 * route's, 413 for a 2 MiB body, 400 for malformed JSON and wrong types, and 404 when tenant A names tenant
 * B's resource. A route added to the table is covered here without touching this file, except for the
 * fixture that says how to create its resource in another tenant.
 */

const BELOW: Record<Exclude<RouteAuth, 'public'>, Exclude<RouteAuth, 'public' | 'superadmin'> | null> = {
  user: null,
  support_agent: 'user',
  admin: 'support_agent',
  superadmin: 'admin',
}

/** A valid body for routes that need one, so that the cross-tenant check reaches the lookup. */
const VALID_BODY: Record<string, unknown> = {
  'PATCH /users/{id}': { fullName: 'Not yours' },
  'PATCH /tickets/{id}': { priority: 'low' },
  'POST /tickets/{id}/messages': { content: 'Not yours' },
  'POST /drafts/{id}/approve': {},
  'POST /drafts/{id}/reject': { reason: 'Not yours' },
  'POST /integrations/whmcs/drafts/{id}/not-helpful': { reason: 'Not yours' },
  'PATCH /kb/articles/{id}': { title: 'Not yours' },
}

const hasBody = (route: RouteDef) =>
  Boolean((contract as Record<string, { body?: unknown }>)[routeKey(route)]?.body)

describe('Every route: authentication, roles, limits, validation and tenant isolation', () => {
  let app: TestApp
  let a: TenantFixture
  let b: TenantFixture
  /** Tenant B's resource id per path parameter owner, filled in beforeAll. */
  const foreign: Record<string, string> = {}

  const tokenFor = (t: TenantFixture, role: Exclude<RouteAuth, 'public'>) =>
    role === 'superadmin'
      ? app.superToken
      : role === 'admin'
        ? t.admin
        : role === 'support_agent'
          ? t.agent
          : t.customer

  const pathOf = (route: RouteDef, id = '1') => route.path.replace(/\{[^}]+\}/g, id)

  beforeAll(async () => {
    app = await startTestApp()
    ;[a, b] = await Promise.all([createTenant(app, 'tenant-a'), createTenant(app, 'tenant-b')])
    const call = (method: string, path: string, body?: unknown) =>
      app.call(method, path, body, { token: b.admin })
    const ticket = await call('POST', '/tickets', { subject: 'B only', content: 'How do I renew my domain?' })
    const article = await call('POST', '/kb/articles', {
      title: 'B article',
      content: 'Renew domains from the client area.',
    })
    const prompt = await call('POST', '/prompts', {
      version: '9.9.9',
      name: 'B prompt',
      systemPrompt: 'You are B.',
      contextTemplate: '{{sources}}',
      taskTemplate: '{{question}}',
    })
    const key = await call('POST', '/api-keys', { name: 'B key' })
    const run = await call('POST', '/calibration/replay', {})
    await app.rt.queues.idle(60_000)
    // A fitted calibration and a knowledge gap of B's, as a replay with enough history would store them.
    const [version] = await app.rt.deps.sql`
      INSERT INTO tenant_calibrations (tenant_id, version, source, space, low_retrieval_threshold, min_coverage,
        min_source_score, confidence_map, budget, based_on, adopted, reason)
      VALUES (${b.id}, 1, 'replay', ${app.rt.deps.sql.json({ provider: 'builtin', model: 'b' })}, 0.5, 0.5,
        0.3, ${app.rt.deps.sql.json([
          [0, 0],
          [100, 1],
        ])}, 0.1, 'builtin', false, 'fixture')
      RETURNING id`
    const [gap] = await app.rt.deps.sql`
      INSERT INTO knowledge_gaps (tenant_id, topic_key, terms, count)
      VALUES (${b.id}, 'renew domain', ${app.rt.deps.sql.json(['renew', 'domain'])}, 1)
      RETURNING id`
    const [draft] = await app.rt.deps
      .sql`SELECT id FROM ai_replies WHERE ticket_id = ${ticket.body.id} ORDER BY id DESC LIMIT 1`
    await app.rt.deps.sql`UPDATE tickets SET whmcs_ticket_id = 4242 WHERE id = ${ticket.body.id}`
    Object.assign(foreign, {
      '/users/{id}': String(b.customerId),
      '/api-keys/{id}': String(key.body.id),
      '/tickets/{id}': String(ticket.body.id),
      '/drafts/{id}': String(draft?.id),
      '/kb/articles/{id}': String(article.body.id),
      '/prompts/{id}': String(prompt.body.id),
      '/integrations/whmcs/tickets/{whmcsTicketId}': '4242',
      '/integrations/whmcs/drafts/{id}': String(draft?.id),
      '/calibration/runs/{id}': String(run.body.id),
      '/calibration/versions/{id}': String(version?.id),
      '/knowledge-gaps/{id}': String(gap?.id),
    })
  }, 120_000)
  afterAll(async () => app?.stop())

  const guarded = routes.filter((r) => r.auth !== 'public')

  it.each(guarded.map((r) => [routeKey(r), r] as const))(
    '%s: 401 without a token or with a forged one',
    async (_, route) => {
      const forged = await new SignJWT({ tid: 1, role: 'superadmin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('1')
        .setIssuer('draftdesk')
        .setAudience('draftdesk-api')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('an-attacker-does-not-know-the-real-key'))
      for (const who of [{}, { token: forged }, { apiKey: 'ddk_made_up' }]) {
        const res = await app.call(route.method, pathOf(route), hasBody(route) ? {} : undefined, who)
        expect(res.status).toBe(401)
        expect(res.body.error.code).toBe('unauthorized')
      }
    },
  )

  it.each(
    guarded
      .filter((r) => BELOW[r.auth as Exclude<RouteAuth, 'public'>])
      .map((r) => [routeKey(r), r] as const),
  )('%s: 403 for the role below', async (_, route) => {
    const lower = BELOW[route.auth as Exclude<RouteAuth, 'public'>]!
    const res = await app.call(route.method, pathOf(route), hasBody(route) ? {} : undefined, {
      token: tokenFor(a, lower),
    })
    expect(res.status).toBe(403)
  })

  // GET is left out: fetch cannot send a GET body, and API Gateway drops one.
  const withBodies = routes.filter((r) => r.method !== 'GET')
  it.each(withBodies.map((r) => [routeKey(r), r] as const))('%s: 413 for a 2 MiB body', async (_, route) => {
    const res = await app.call(route.method, pathOf(route), undefined, {
      token: app.superToken,
      raw: JSON.stringify({ x: 'y'.repeat(2 * 1024 * 1024) }),
    })
    expect(res.status).toBe(413)
  })

  it.each(routes.filter(hasBody).map((r) => [routeKey(r), r] as const))(
    '%s: 400 for malformed JSON and for wrong types',
    async (_, route) => {
      const token = route.auth === 'public' ? undefined : tokenFor(a, route.auth)
      const malformed = await app.call(route.method, pathOf(route), undefined, { token, raw: '{"oops": ' })
      expect(malformed.status).toBe(400)
      expect(malformed.body.error.code).toBe('invalid_json')
      if (route.path.startsWith('/webhooks/')) return // signature is checked before the body's shape
      const wrong = await app.call(route.method, pathOf(route), [1, 2, 3], { token })
      expect(wrong.status).toBe(400)
      expect(wrong.body.error.code).toBe('validation_failed')
    },
  )

  const tenantScoped = guarded.filter((r) => r.path.includes('{') && r.auth !== 'superadmin')
  it.each(tenantScoped.map((r) => [routeKey(r), r] as const))(
    "%s: 404 for another tenant's resource",
    async (_, route) => {
      const owner = Object.keys(foreign).find((prefix) => route.path.startsWith(prefix))
      expect(owner, `no fixture for ${route.path}`).toBeTruthy()
      const id = foreign[owner!]!
      expect(id).not.toBe('undefined')
      const res = await app.call(route.method, pathOf(route, id), VALID_BODY[routeKey(route)], {
        token: tokenFor(a, route.auth as Exclude<RouteAuth, 'public'>),
      })
      expect(res.status).toBe(404)
    },
  )
})
