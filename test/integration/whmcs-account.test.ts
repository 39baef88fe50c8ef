/**
 * Account facts from WHMCS (issue 30): the port the draft pipeline is handed (shared/whmcs/account.ts)
 * against the fake WHMCS over real HTTP and the leg's Postgres: the four documented actions in their odd
 * shapes, what is never kept, errors and slow answers within the time budget, and the cache per tenant and
 * client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AccountFactsSettings,
  type AccountLookup,
  DEFAULT_ACCOUNT_SETTINGS,
} from '#shared/drafts/account-facts'
import { whmcsAccountFacts } from '#shared/whmcs/account'
import { dayFromToday } from '../fakes/whmcs-accounts.ts'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { createTenant, startTestApp, type TestApp } from '../helpers/app.ts'

const CREDS = { identifier: 'acct-ident-5d1e', secret: 'acct-secret-9QmV2x' }
// Failing calls fail fast here; production keeps the client's backoff.
const FAST = { client: { minBackoffMs: 1, maxBackoffMs: 2 } }
const SENSITIVE = [
  'Test Street',
  'TE5 5ST',
  '01234567890',
  '$2y$10$',
  'client7@example.net',
  '4242',
  'my first pet',
  'service-password-xyz',
  'cpuser',
  'admin note about this service',
  'internal invoice note',
  'stripe',
  'Credit Card',
  '192.0.2.10',
]

let app: TestApp
const fakes: FakeWhmcs[] = []
beforeAll(async () => {
  app = await startTestApp({ workers: false })
})
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()))
  await app?.stop()
})

/** A tenant connected to its own fake WHMCS. */
async function connected(slug: string) {
  const tenant = await createTenant(app, slug)
  const fake = await startFakeWhmcs(CREDS)
  fakes.push(fake)
  const res = await app.call(
    'PATCH',
    `/tenants/${tenant.id}`,
    { whmcsUrl: fake.url, whmcsIdentifier: CREDS.identifier, whmcsSecret: CREDS.secret },
    { token: app.superToken },
  )
  expect(res.status).toBe(200)
  return { tenant, fake }
}

const settings = (over: Partial<AccountFactsSettings> = {}): AccountFactsSettings => ({
  ...DEFAULT_ACCOUNT_SETTINGS,
  ...over,
})
const read = (tenantId: number, clientId: number, over: Partial<AccountFactsSettings> = {}) =>
  whmcsAccountFacts(app.rt.deps, FAST)({ tenantId, clientId, settings: settings(over) })
const snapshotOf = (lookup: AccountLookup) => {
  if (lookup.state !== 'read') throw new Error(`expected a read account, got ${JSON.stringify(lookup)}`)
  return lookup.snapshot
}
const cacheRows = (tenantId: number) =>
  app.rt.deps.sql<{ clientId: number; snapshot: unknown }[]>`
    SELECT client_id, snapshot FROM whmcs_account_cache WHERE tenant_id = ${tenantId} ORDER BY client_id`

describe('Function: whmcsAccountFacts', () => {
  let tenantId: number
  let fake: FakeWhmcs
  beforeAll(async () => {
    const c = await connected('accounts')
    tenantId = c.tenant.id
    fake = c.fake
    const a = fake.store.accounts
    a.addClient({ id: 7, companyname: 'Shop GmbH', language: 'german' })
    a.addService(7, {
      name: 'Starter',
      domain: 'WWW.Example-Shop.com',
      status: 'Suspended',
      suspensionreason: 'Overdue on Payment',
      nextduedate: '2026-11-20',
    })
    a.addService(7, { name: 'VPS M', groupname: 'VPS', domain: '', nextduedate: '0000-00-00' })
    a.addDomain(7, { domainname: 'example-shop.com', expirydate: '2027-01-05', donotrenew: '1' })
    a.addInvoice(7, { invoicenum: 'INV-4711', duedate: '2026-11-20', total: '12.95' })
    a.addInvoice(7, { status: 'Collections', total: '99.00', currencycode: '', currencysuffix: 'EUR' })
    a.addInvoice(7, { status: 'Paid' })
  })

  it('reads the client, services, domains and unpaid and collections invoices as WHMCS documents them', async () => {
    // Act
    const lookup = await read(tenantId, 7, { cacheSeconds: 0 })
    // Assess
    const snapshot = snapshotOf(lookup)
    expect(snapshot.client).toEqual({ id: 7, status: 'Active', company: 'Shop GmbH', language: 'german' })
    expect(snapshot.services).toEqual([
      expect.objectContaining({
        product: 'Starter',
        group: 'Shared Hosting',
        domain: 'example-shop.com',
        status: 'Suspended',
        suspensionReason: 'Overdue on Payment',
        nextDueDate: '2026-11-20',
        billingCycle: 'Monthly',
        server: 'Saturn',
        recurringAmount: '12.95',
      }),
      expect.objectContaining({ product: 'VPS M', domain: '', nextDueDate: null, suspensionReason: '' }),
    ])
    expect(snapshot.domains).toEqual([
      expect.objectContaining({
        domain: 'example-shop.com',
        status: 'Active',
        expiryDate: '2027-01-05',
        autoRenew: false,
      }),
    ])
    expect(snapshot.invoices.map((i) => [i.number, i.status, i.total, i.currency])).toEqual([
      ['INV-4711', 'Unpaid', '12.95', 'USD'],
      [expect.stringMatching(/^\d+$/), 'Collections', '99.00', 'EUR'],
    ])
    expect(snapshot.truncated).toBe(false)
    const calls = fake.calls.filter((c) => c.params.clientid === '7' || c.params.userid === '7')
    expect(calls.map((c) => `${c.action}${c.params.status ? `:${c.params.status}` : ''}`).sort()).toEqual([
      'GetClientsDetails',
      'GetClientsDomains',
      'GetClientsProducts',
      'GetInvoices:Collections',
      'GetInvoices:Unpaid',
    ])
  })

  it('keeps no address, phone, e-mail, password, card or payment detail, username or note, in memory or in the cache', async () => {
    // Act
    const snapshot = snapshotOf(await read(tenantId, 7))
    // Assess
    const [row] = await cacheRows(tenantId)
    for (const kept of [JSON.stringify(snapshot), JSON.stringify(row!.snapshot)]) {
      for (const secret of SENSITIVE) expect(kept).not.toContain(secret)
    }
    expect(JSON.stringify(row!.snapshot)).toContain('Overdue on Payment')
  })

  it.each([
    ['as ""', 'blank'],
    ['missing', 'missing'],
    ['wrapped and empty', 'wrapped'],
  ] as const)(
    'reads a client without services, domains or invoices whose lists come %s',
    async (_label, style) => {
      // Prepare
      fake.store.accounts.emptyLists = style
      fake.store.accounts.addClient({ id: 70 + ['blank', 'missing', 'wrapped'].indexOf(style) })
      // Act
      const snapshot = snapshotOf(await read(tenantId, 70 + ['blank', 'missing', 'wrapped'].indexOf(style)))
      fake.store.accounts.emptyLists = 'blank'
      // Assess
      expect(snapshot).toMatchObject({ services: [], domains: [], invoices: [], truncated: false })
      expect(snapshot.client).toMatchObject({ status: 'Active' })
    },
  )

  it('reads the flattened form the API reference prints, and rows with fields missing', async () => {
    // Prepare
    const a = fake.store.accounts
    a.addClient({ id: 80 })
    a.addDomain(80, { domainname: 'flat.example', status: 'Pending Transfer', expirydate: '0000-00-00' })
    fake.respondWith(
      (c) => c.action === 'GetClientsProducts' && c.params.clientid === '81',
      () => ({ result: 'success', totalresults: 2, products: { product: [{ id: '5' }, { name: 'no id' }] } }),
    )
    a.addClient({ id: 81 })
    a.flattened = true
    // Act
    const flat = snapshotOf(await read(tenantId, 80))
    a.flattened = false
    const sparse = snapshotOf(await read(tenantId, 81))
    // Assess
    expect(flat.domains).toEqual([
      expect.objectContaining({ domain: 'flat.example', status: 'Pending Transfer', expiryDate: null }),
    ])
    expect(flat.client).toMatchObject({ id: 80, status: 'Active' })
    expect(sparse.services).toEqual([
      {
        id: 5,
        product: '',
        group: '',
        domain: '',
        status: '',
        suspensionReason: '',
        nextDueDate: null,
        billingCycle: '',
        server: '',
        recurringAmount: null,
      },
    ])
  })

  it('reads all 200 services of a client in one call, and pages through 600', async () => {
    // Prepare
    const a = fake.store.accounts
    a.addClient({ id: 90 })
    a.addClient({ id: 91 })
    for (let i = 0; i < 200; i++) a.addService(90, { domain: `site${i}.example` })
    for (let i = 0; i < 600; i++) a.addService(91, { domain: `big${i}.example` })
    const before = fake.calls.length
    // Act
    const two = snapshotOf(await read(tenantId, 90))
    const six = snapshotOf(await read(tenantId, 91))
    // Assess
    expect(two.services).toHaveLength(200)
    expect(two.services.at(-1)!.domain).toBe('site199.example')
    expect(six.services).toHaveLength(600)
    const products = fake.calls.slice(before).filter((c) => c.action === 'GetClientsProducts')
    expect(products.map((c) => [c.params.clientid, c.params.limitstart])).toEqual([
      ['90', '0'],
      ['91', '0'],
      ['91', '250'],
      ['91', '500'],
    ])
  })

  it('answers unavailable, with WHMCS’s reason, for an unknown client and for a WHMCS that keeps failing', async () => {
    // Prepare
    fake.store.accounts.addClient({ id: 95 })
    fake.failOn((c) => c.action === 'GetClientsDomains' && c.params.clientid === '95', '500')
    const before = fake.calls.length
    // Act
    const unknown = await read(tenantId, 9999)
    const failing = await read(tenantId, 95)
    fake.reset()
    // Assess
    expect(unknown).toEqual({ state: 'unavailable', detail: 'WHMCS has no client #9999' })
    expect(failing).toEqual({
      state: 'unavailable',
      detail: 'WHMCS GetClientsDomains returned a non-JSON response (HTTP 500, text/html)',
    })
    // The client's own retries ran inside the budget: the first attempt and two more.
    const domainCalls = fake.calls.slice(before).filter((c) => c.action === 'GetClientsDomains')
    expect(domainCalls.filter((c) => c.params.clientid === '95')).toHaveLength(3)
    expect(JSON.stringify(failing)).not.toContain(CREDS.secret)
    expect((await cacheRows(tenantId)).map((r) => r.clientId)).not.toContain(95)
  })

  it('gives up when WHMCS does not answer within the budget, and aborts the call it waited for', async () => {
    // Prepare
    fake.store.accounts.addClient({ id: 96 })
    const held = fake.hold((c) => c.action === 'GetClientsProducts' && c.params.clientid === '96')
    // Act: the lookup finishes while WHMCS still holds the call
    const lookup = await read(tenantId, 96, { budgetMs: 300 })
    const call = fake.calls.find((c) => c.action === 'GetClientsProducts' && c.params.clientid === '96')
    await expect.poll(() => call?.aborted).toBe(true)
    held.release()
    // Assess
    expect(lookup).toEqual({ state: 'unavailable', detail: 'WHMCS did not answer within 0.3 s' })
    expect((await cacheRows(tenantId)).map((r) => r.clientId)).not.toContain(96)
  })

  it('reuses a cached account for the cache time, per client, and only when it holds every kind asked for', async () => {
    // Prepare
    const a = fake.store.accounts
    a.addClient({ id: 100 })
    a.addService(100, { domain: 'cached.example' })
    a.addClient({ id: 101 })
    const callsOf = (id: string) =>
      fake.calls.filter((c) => c.params.clientid === id || c.params.userid === id).length
    // Act
    const first = await read(tenantId, 100)
    const second = await read(tenantId, 100)
    await read(tenantId, 101)
    const servicesOnly = await read(tenantId, 101, { kinds: ['services'] })
    const afterNarrow = callsOf('101')
    await app.rt.deps.sql`
      UPDATE whmcs_account_cache SET fetched_at = now() - interval '10 minutes'
      WHERE tenant_id = ${tenantId} AND client_id = 100`
    const expired = await read(tenantId, 100)
    // Assess
    expect(first).toMatchObject({ state: 'read', cached: false })
    expect(second).toMatchObject({ state: 'read', cached: true })
    expect(second.state === 'read' && first.state === 'read' && second.readAt.getTime()).toBe(
      first.state === 'read' && first.readAt.getTime(),
    )
    expect(snapshotOf(second).services[0]!.domain).toBe('cached.example')
    expect(servicesOnly).toMatchObject({ state: 'read', cached: true })
    expect(afterNarrow).toBe(5)
    expect(expired).toMatchObject({ state: 'read', cached: false })
    expect(callsOf('100')).toBe(10)
    // A narrower read does not satisfy a wider one: only the kinds asked for are fetched and cached.
    a.addClient({ id: 102 })
    await read(tenantId, 102, { kinds: ['services'] })
    expect(callsOf('102')).toBe(1)
    const wide = await read(tenantId, 102)
    expect(wide).toMatchObject({ state: 'read', cached: false })
    expect(callsOf('102')).toBe(6)
  })

  it('asks WHMCS for nothing the tenant keeps out, and every time when caching is off', async () => {
    // Prepare
    fake.store.accounts.addClient({ id: 103 })
    const callsOf = () => fake.calls.filter((c) => c.params.clientid === '103' || c.params.userid === '103')
    // Act
    await read(tenantId, 103, { kinds: ['domains', 'client'], cacheSeconds: 0 })
    await read(tenantId, 103, { kinds: ['domains', 'client'], cacheSeconds: 0 })
    // Assess
    expect(
      callsOf()
        .map((c) => c.action)
        .sort(),
    ).toEqual(['GetClientsDetails', 'GetClientsDetails', 'GetClientsDomains', 'GetClientsDomains'])
    expect((await cacheRows(tenantId)).map((r) => r.clientId)).not.toContain(103)
  })

  it('keeps each tenant’s accounts apart: the same client id in two WHMCS installs is two accounts', async () => {
    // Prepare
    const other = await connected('accounts-other')
    fake.store.accounts.addClient({ id: 200 })
    fake.store.accounts.addService(200, { domain: 'first-tenant.example' })
    other.fake.store.accounts.addClient({ id: 200 })
    other.fake.store.accounts.addService(200, { domain: 'second-tenant.example' })
    // Act
    const mine = snapshotOf(await read(tenantId, 200))
    const theirs = snapshotOf(await read(other.tenant.id, 200))
    const mineAgain = snapshotOf(await read(tenantId, 200))
    // Assess
    expect(mine.services.map((s) => s.domain)).toEqual(['first-tenant.example'])
    expect(theirs.services.map((s) => s.domain)).toEqual(['second-tenant.example'])
    expect(mineAgain.services.map((s) => s.domain)).toEqual(['first-tenant.example'])
    expect(JSON.stringify(await cacheRows(other.tenant.id))).not.toContain('first-tenant.example')
  })

  it('answers not_configured for a tenant without WHMCS', async () => {
    // Prepare
    const bare = await createTenant(app, 'accounts-bare')
    // Act
    const lookup = await read(bare.id, 7)
    // Assess
    expect(lookup).toEqual({ state: 'not_configured' })
  })

  it('marks an account read only in part as truncated', async () => {
    // Prepare
    fake.store.accounts.addClient({ id: 104 })
    for (let i = 0; i < 101; i++) fake.store.accounts.addInvoice(104, { duedate: dayFromToday(-i) })
    // Act
    const snapshot = snapshotOf(await read(tenantId, 104))
    // Assess
    expect(snapshot.invoices).toHaveLength(100)
    expect(snapshot.truncated).toBe(true)
  })
})
