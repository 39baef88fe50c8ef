/**
 * Issue 13, items 3, 4, 6 and 9: the login lockout under parallel requests and for unknown accounts, API
 * keys whose creator lost rights, and customers filing tickets under someone else's email.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

describe('Function: login lockout, API key rights and ticket ownership', () => {
  let app: TestApp
  let acme: TenantFixture
  beforeAll(async () => {
    app = await startTestApp()
    acme = await createTenant(app, 'acme')
  })
  afterAll(async () => app?.stop())

  const attempt = (email: string, password: string, tenant = 'acme') =>
    app.call('POST', '/auth/login', { tenant, email, password })

  const createUser = async (email: string, role: string) => {
    const u = await app.call(
      'POST',
      '/users',
      { email, password: 'password-123', role },
      { token: acme.admin },
    )
    expect(u.status).toBe(201)
    return u.body.id as number
  }

  it('evaluates at most 5 passwords when 40 wrong ones arrive in parallel', async () => {
    // Prepare
    const userId = await createUser('racer@acme.test', 'support_agent')
    // Act
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => attempt('racer@acme.test', `wrong-password-${i}`)),
    )
    const right = await attempt('racer@acme.test', 'password-123')
    // Assess: a 401 is a password that was compared; a 429 was refused before its password was looked at.
    const statuses = replies.map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(35)
    expect(right.status).toBe(429)
    const [failed] = await app.rt.deps.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM audit_logs WHERE action = 'login_failed' AND entity_id = ${userId}`
    expect(failed!.n).toBe(5)
  })

  it('answers an unknown email and an unknown tenant exactly like a real account while locking', async () => {
    // Prepare
    await createUser('real@acme.test', 'support_agent')
    const accounts: Array<[string, string]> = [
      ['acme', 'real@acme.test'],
      ['acme', 'ghost@acme.test'],
      ['no-such-tenant', 'real@acme.test'],
    ]
    // Act
    const transcripts = []
    for (const [tenant, email] of accounts) {
      const replies = []
      for (let i = 0; i < 6; i++) replies.push(await attempt(email, `bad-${i}-password`, tenant))
      transcripts.push(replies)
    }
    // Assess
    for (const replies of transcripts) {
      expect(replies.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 429])
      expect(replies[0]!.body).toEqual({ error: { code: 'unauthorized', message: 'invalid credentials' } })
      expect(replies[5]!.body).toEqual(transcripts[0]![5]!.body)
      expect(Number(replies[5]!.headers.get('retry-after'))).toBeGreaterThan(0)
    }
  })

  it('forgets failures after a successful login', async () => {
    // Prepare
    await createUser('typo@acme.test', 'support_agent')
    for (let i = 0; i < 4; i++)
      expect((await attempt('typo@acme.test', `typo-${i}-password`)).status).toBe(401)
    // Act
    const ok = await attempt('typo@acme.test', 'password-123')
    const after = []
    for (let i = 0; i < 4; i++) after.push((await attempt('typo@acme.test', `again-${i}-password`)).status)
    // Assess
    expect(ok.status).toBe(200)
    expect(after).toEqual([401, 401, 401, 401])
  })

  it('caps an API key at its creator’s current role and stops it when the creator is deactivated', async () => {
    // Prepare: a second admin makes an admin key, then is demoted.
    const creatorId = await createUser('admin2@acme.test', 'admin')
    const creator = await app.login('acme', 'admin2@acme.test', 'password-123')
    const made = await app.call('POST', '/api-keys', { name: 'ops', role: 'admin' }, { token: creator })
    expect(made.status).toBe(201)
    const key: string = made.body.key
    expect((await app.call('GET', '/users', undefined, { apiKey: key })).status).toBe(200)
    // Act
    await app.call('PATCH', `/users/${creatorId}`, { role: 'support_agent' }, { token: acme.admin })
    const demotedMe = await app.call('GET', '/me', undefined, { apiKey: key })
    const demotedUsers = await app.call('GET', '/users', undefined, { apiKey: key })
    const demotedTickets = await app.call('GET', '/tickets', undefined, { apiKey: key })
    await app.call('PATCH', `/users/${creatorId}`, { isActive: false }, { token: acme.admin })
    const deactivated = await app.call('GET', '/tickets', undefined, { apiKey: key })
    // Assess
    expect(demotedMe.body).toMatchObject({ kind: 'api_key', role: 'support_agent' })
    expect(demotedUsers.status).toBe(403)
    expect(demotedTickets.status).toBe(200)
    expect(deactivated.status).toBe(401)
  })

  it('stops an API key whose creator was deleted', async () => {
    // Prepare
    const creatorId = await createUser('temp-admin@acme.test', 'admin')
    const creator = await app.login('acme', 'temp-admin@acme.test', 'password-123')
    const made = await app.call(
      'POST',
      '/api-keys',
      { name: 'temp', role: 'support_agent' },
      { token: creator },
    )
    expect((await app.call('GET', '/tickets', undefined, { apiKey: made.body.key })).status).toBe(200)
    // Act: no route deletes users; the foreign key leaves the key without a creator.
    await app.rt.deps.sql`DELETE FROM users WHERE id = ${creatorId} AND tenant_id = ${acme.id}`
    const res = await app.call('GET', '/tickets', undefined, { apiKey: made.body.key })
    // Assess
    expect(res.status).toBe(401)
  })

  it('files a customer’s ticket under their own email and rejects anyone else’s', async () => {
    // Act
    const foreign = await app.call(
      'POST',
      '/tickets',
      { subject: 'Refund please', content: 'Refund my order.', clientEmail: 'victim@elsewhere.test' },
      { token: acme.customer },
    )
    const own = await app.call(
      'POST',
      '/tickets',
      { subject: 'Mine', content: 'My own ticket.', clientEmail: 'USER@acme.test' },
      { token: acme.customer },
    )
    const implicit = await app.call(
      'POST',
      '/tickets',
      { subject: 'Also mine', content: 'No email given.' },
      { token: acme.customer },
    )
    const staff = await app.call(
      'POST',
      '/tickets',
      { subject: 'On behalf', content: 'Filed by an agent.', clientEmail: 'client@example.test' },
      { token: acme.agent },
    )
    // Assess
    expect(foreign.status).toBe(400)
    expect(foreign.body.error.details).toEqual([expect.objectContaining({ path: 'clientEmail' })])
    const [stored] = await app.rt.deps.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM tickets WHERE tenant_id = ${acme.id} AND client_email = 'victim@elsewhere.test'`
    expect(stored!.n).toBe(0)
    expect(own.status).toBe(201)
    expect(own.body.clientEmail).toBe('user@acme.test')
    expect(implicit.body.clientEmail).toBe('user@acme.test')
    expect(staff.body.clientEmail).toBe('client@example.test')
  })
})
