/**
 * Issue 26, item 2, through the local runtime: a tenant's whmcsUrl cannot make Draftdesk reach internal
 * addresses. This runtime allows no private network (`WHMCS_ALLOWED_NETWORKS` empty, the production
 * default), so the fake WHMCS on loopback stands in for an internal service: refused when the URL is saved
 * if the address is literal, and refused on connection, with nothing sent, when a name resolves to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const CREDS = { identifier: 'ssrf-ident-5c2e', secret: 'ssrf-secret-Hq7Vx3' }

describe('Function: the SSRF guard on a tenant’s WHMCS URL', () => {
  let app: TestApp
  let fake: FakeWhmcs
  let acme: TenantFixture
  beforeAll(async () => {
    ;[app, fake] = await Promise.all([
      startTestApp({ env: { WHMCS_ALLOWED_NETWORKS: '' } }),
      startFakeWhmcs({ ...CREDS, tickets: 3 }),
    ])
    acme = await createTenant(app, 'acme')
  })
  afterAll(async () => {
    await app?.stop()
    await fake?.close()
  })

  const storedUrl = async () => {
    const [row] = await app.rt.deps.sql`SELECT whmcs_url FROM tenants WHERE id = ${acme.id}`
    return row!.whmcsUrl as string | null
  }

  it('refuses a literal internal address when the URL is saved, naming the field and the reason', async () => {
    // Prepare
    const port = new URL(fake.url).port
    const cases: Array<[string, RegExp]> = [
      ['http://169.254.169.254/latest/meta-data/', /refused: 169\.254\.169\.254 is link-local/],
      [`http://127.0.0.1:${port}`, /127\.0\.0\.1 is loopback/],
      ['http://[::1]/', /::1 is loopback/],
      ['http://2130706433/', /127\.0\.0\.1 is loopback/],
      ['http://0x7f000001/', /127\.0\.0\.1 is loopback/],
      ['http://10.0.0.7/', /10\.0\.0\.7 is private/],
      ['http://[::ffff:169.254.169.254]/', /::ffff:a9fe:a9fe \(169\.254\.169\.254\) is link-local/],
    ]
    // Act
    const answers = await Promise.all(
      cases.map(([whmcsUrl]) =>
        app.call('PATCH', `/tenants/${acme.id}`, { whmcsUrl }, { token: app.superToken }),
      ),
    )
    // Assess
    for (const [i, res] of answers.entries()) {
      const [url, reason] = cases[i]!
      expect(res.status, url).toBe(400)
      expect(res.body.error.code, url).toBe('validation_failed')
      expect(res.body.error.details[0], url).toMatchObject({ in: 'body', path: 'whmcsUrl' })
      expect(res.body.error.details[0].message, url).toMatch(reason)
      expect(res.body.error.details[0].message, url).toMatch(/set WHMCS_ALLOWED_NETWORKS to allow it$/)
    }
    expect(await storedUrl()).toBeNull()
    expect(fake.calls).toEqual([])
  })

  it('refuses on connection a name that resolves to an internal address: the sync log says why, nothing is sent', async () => {
    // Prepare: a name is accepted when saved; what it resolves to is only known when connecting.
    const whmcsUrl = `http://localhost:${new URL(fake.url).port}`
    const patch = await app.call(
      'PATCH',
      `/tenants/${acme.id}`,
      { whmcsUrl, whmcsIdentifier: CREDS.identifier, whmcsSecret: CREDS.secret },
      { token: app.superToken },
    )
    // Act
    const trigger = await app.call('POST', '/integrations/whmcs/sync', undefined, { token: acme.admin })
    await app.rt.queues.idle(30_000, 'sync')
    const logs = await app.call('GET', '/integrations/sync-logs', undefined, { token: acme.admin })
    // Assess
    expect(patch.status).toBe(200)
    expect(trigger.status).toBe(202)
    expect(logs.body.items).toHaveLength(1)
    expect(logs.body.items[0]).toMatchObject({ status: 'failed', recordsProcessed: 0 })
    expect(logs.body.items[0].errorMessage).toMatch(
      /^WHMCS GetTickets refused: localhost resolves to (127\.0\.0\.1|::1), which is loopback; set WHMCS_ALLOWED_NETWORKS to allow it$/,
    )
    expect(fake.calls).toEqual([])
  })
})
