import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

describe('Function: tenants and users', () => {
  let app: TestApp
  let acme: TenantFixture
  let globex: TenantFixture
  beforeAll(async () => {
    app = await startTestApp()
    ;[acme, globex] = await Promise.all([createTenant(app, 'acme'), createTenant(app, 'globex')])
  })
  afterAll(async () => app?.stop())

  it('creates tenants once per slug and shows the webhook secret only at creation', async () => {
    const dup = await app.call('POST', '/tenants', { name: 'Other', slug: 'acme' }, { token: app.superToken })
    expect(dup.status).toBe(409)
    expect(acme.webhookSecret).toMatch(/^whsec_/)
    const list = await app.call('GET', '/tenants?limit=100', undefined, { token: app.superToken })
    expect(list.status).toBe(200)
    expect(list.body.items.map((t: { slug: string }) => t.slug)).toEqual(
      expect.arrayContaining(['acme', 'globex']),
    )
    expect(JSON.stringify(list.body)).not.toContain(acme.webhookSecret)
    const [row] = await app.rt.deps.sql`SELECT webhook_secret FROM tenants WHERE id = ${acme.id}`
    expect(row!.webhookSecret).not.toContain(acme.webhookSecret)
  })

  it('stores WHMCS credentials encrypted and never returns them', async () => {
    // Act
    const res = await app.call(
      'PATCH',
      `/tenants/${acme.id}`,
      {
        whmcsUrl: 'https://billing.acme.test/',
        whmcsIdentifier: 'ident-SECRET-1',
        whmcsSecret: 'secret-SECRET-2',
      },
      { token: app.superToken },
    )
    // Assess
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ whmcsUrl: 'https://billing.acme.test', whmcsConfigured: true })
    expect(JSON.stringify(res.body)).not.toMatch(/SECRET/)
    const [row] = await app.rt.deps
      .sql`SELECT whmcs_api_identifier, whmcs_api_secret FROM tenants WHERE id = ${acme.id}`
    expect(`${row!.whmcsApiIdentifier}${row!.whmcsApiSecret}`).not.toMatch(/SECRET/)
    const rotated = await app.call('POST', `/tenants/${acme.id}/webhook-secret`, undefined, {
      token: app.superToken,
    })
    expect(rotated.status).toBe(200)
    expect(rotated.body.webhookSecret).not.toBe(acme.webhookSecret)
  })

  it('keeps tenant management to superadmins', async () => {
    expect((await app.call('GET', '/tenants', undefined, { token: acme.admin })).status).toBe(403)
    expect((await app.call('POST', '/tenants', { name: 'x', slug: 'x' }, { token: acme.admin })).status).toBe(
      403,
    )
    expect(
      (await app.call('PATCH', `/tenants/${acme.id}`, { name: 'x' }, { token: acme.admin })).status,
    ).toBe(403)
    expect(
      (await app.call('PATCH', '/tenants/999999', { name: 'x' }, { token: app.superToken })).status,
    ).toBe(404)
  })

  it('lets admins manage users of their own tenant only', async () => {
    // Prepare
    const created = await app.call(
      'POST',
      '/users',
      { email: 'New@Acme.test', password: 'password-123', role: 'agent', fullName: 'New' },
      { token: acme.admin },
    )
    // Assess: `agent` is accepted as an alias of support_agent; emails are normalised.
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ email: 'new@acme.test', role: 'support_agent', tenantId: acme.id })
    expect(created.body).not.toHaveProperty('hashedPassword')
    const dup = await app.call(
      'POST',
      '/users',
      { email: 'new@acme.test', password: 'password-123', role: 'user' },
      { token: acme.admin },
    )
    expect(dup.status).toBe(409)
    const superRole = await app.call(
      'POST',
      '/users',
      { email: 's@acme.test', password: 'password-123', role: 'superadmin' },
      { token: acme.admin },
    )
    expect(superRole.status).toBe(400)
    // Another tenant's user is invisible and unchangeable.
    const list = await app.call('GET', '/users', undefined, { token: globex.admin })
    expect(list.body.items.map((u: { email: string }) => u.email)).not.toContain('new@acme.test')
    const patch = await app.call(
      'PATCH',
      `/users/${created.body.id}`,
      { fullName: 'Hacked' },
      { token: globex.admin },
    )
    expect(patch.status).toBe(404)
    const ok = await app.call(
      'PATCH',
      `/users/${created.body.id}`,
      { fullName: 'Renamed', role: 'admin' },
      { token: acme.admin },
    )
    expect(ok.body).toMatchObject({ fullName: 'Renamed', role: 'admin' })
    // Agents are not admins.
    expect((await app.call('GET', '/users', undefined, { token: acme.agent })).status).toBe(403)
  })

  it('paginates with an opaque cursor', async () => {
    for (let i = 0; i < 5; i++) {
      await app.call(
        'POST',
        '/users',
        { email: `p${i}@globex.test`, password: 'password-123', role: 'user' },
        { token: globex.admin },
      )
    }
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const res: { body: { items: { id: number }[]; nextCursor: string | null } } = await app.call(
        'GET',
        `/users?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        { token: globex.admin },
      )
      seen.push(...res.body.items.map((u) => u.id))
      cursor = res.body.nextCursor
    } while (cursor)
    expect(seen.length).toBe(8) // 3 fixture users + 5
    expect(new Set(seen).size).toBe(seen.length)
    expect((await app.call('GET', '/users?cursor=%%%', undefined, { token: globex.admin })).status).toBe(400)
  })
})
