import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BOOTSTRAP, createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

describe('Function: auth (login, JWT, API keys)', () => {
  let app: TestApp
  let acme: TenantFixture
  beforeAll(async () => {
    app = await startTestApp()
    acme = await createTenant(app, 'acme')
  })
  afterAll(async () => app?.stop())

  it('logs in and returns a token, its expiry and the user', async () => {
    // Act
    const res = await app.call('POST', '/auth/login', {
      tenant: 'acme',
      email: 'ADMIN@acme.test',
      password: 'password-123',
    })
    // Assess
    expect(res.status).toBe(200)
    expect(res.body.user).toMatchObject({ email: 'admin@acme.test', role: 'admin', tenantId: acme.id })
    expect(new Date(res.body.expiresAt).getTime()).toBeGreaterThan(Date.now())
    const me = await app.call('GET', '/me', undefined, { token: res.body.token })
    expect(me.body).toMatchObject({ kind: 'user', email: 'admin@acme.test' })
    expect(me.body).not.toHaveProperty('hashedPassword')
  })

  it('answers unknown accounts and wrong passwords alike', async () => {
    const wrong = await app.call('POST', '/auth/login', {
      tenant: 'acme',
      email: 'admin@acme.test',
      password: 'nope-nope',
    })
    const unknown = await app.call('POST', '/auth/login', {
      tenant: 'acme',
      email: 'ghost@acme.test',
      password: 'nope-nope',
    })
    const otherTenant = await app.call('POST', '/auth/login', {
      tenant: 'zzz',
      email: 'admin@acme.test',
      password: 'password-123',
    })
    for (const res of [wrong, unknown, otherTenant]) {
      expect(res.status).toBe(401)
      expect(res.body.error).toEqual({ code: 'unauthorized', message: 'invalid credentials' })
    }
  })

  it('locks an account after 5 failed logins, even for the right password', async () => {
    // Prepare
    const u = await app.call(
      'POST',
      '/users',
      { email: 'victim@acme.test', password: 'password-123', role: 'support_agent' },
      { token: acme.admin },
    )
    expect(u.status).toBe(201)
    // Act
    for (let i = 0; i < 5; i++) {
      const r = await app.call('POST', '/auth/login', {
        tenant: 'acme',
        email: 'victim@acme.test',
        password: `bad-${i}-pass`,
      })
      expect(r.status).toBe(401)
    }
    const locked = await app.call('POST', '/auth/login', {
      tenant: 'acme',
      email: 'victim@acme.test',
      password: 'password-123',
    })
    // Assess
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    const [row] = await app.rt.deps
      .sql`SELECT count(*)::int AS n FROM audit_logs WHERE action = 'login_failed' AND entity_id = ${u.body.id}`
    expect(row!.n).toBe(5)
  })

  it('rejects missing, forged, expired, never-expiring and wrong-audience tokens with 401', async () => {
    const key = app.rt.deps.jwtKey
    const sign = (
      claims: { iss?: string; aud?: string; exp?: number | null },
      signingKey: Uint8Array = key,
    ) => {
      // A real, active user: every case below differs from a valid token in one claim only.
      const jwt = new SignJWT({ tid: acme.id, role: 'support_agent' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(acme.agentId))
        .setIssuer(claims.iss ?? 'draftdesk')
        .setAudience(claims.aud ?? 'draftdesk-api')
      if (claims.exp !== null) jwt.setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 60)
      return jwt.sign(signingKey)
    }
    const cases = {
      none: undefined,
      garbage: 'not-a-jwt',
      forged: await sign({}, new TextEncoder().encode('x'.repeat(48))),
      expired: await sign({ exp: Math.floor(Date.now() / 1000) - 10 }),
      audience: await sign({ aud: 'someone-else' }),
      issuer: await sign({ iss: 'evil' }),
      // Validly signed, right issuer and audience, but no `exp`: it would be valid for ever.
      noExpiry: await sign({ exp: null }),
    }
    const control = await app.call('GET', '/tickets', undefined, { token: await sign({}) })
    expect(control.status).toBe(200)
    for (const [name, token] of Object.entries(cases)) {
      const res = await app.call('GET', '/tickets', undefined, token ? { token } : {})
      expect(res.status, name).toBe(401)
      expect(res.body.error.code).toBe('unauthorized')
    }
    const expired = await app.call('GET', '/me', undefined, { token: cases.expired })
    expect(expired.body.error.message).toBe('token expired')
  })

  it('stops accepting a token as soon as its user is deactivated', async () => {
    const u = await app.call(
      'POST',
      '/users',
      { email: 'leaver@acme.test', password: 'password-123', role: 'support_agent' },
      { token: acme.admin },
    )
    const token = await app.login('acme', 'leaver@acme.test', 'password-123')
    expect((await app.call('GET', '/me', undefined, { token })).status).toBe(200)
    await app.call('PATCH', `/users/${u.body.id}`, { isActive: false }, { token: acme.admin })
    expect((await app.call('GET', '/me', undefined, { token })).status).toBe(401)
  })

  it('ends every session of a user whose password, role or active flag changes, and only then', async () => {
    // Prepare: two sessions per change (say, two browsers), and a bystander in the same tenant.
    const userOf = async (email: string) => {
      const u = await app.call(
        'POST',
        '/users',
        { email, password: 'password-123', role: 'support_agent' },
        { token: acme.admin },
      )
      expect(u.status).toBe(201)
      const sessions = [
        await app.login('acme', email, 'password-123'),
        await app.login('acme', email, 'password-123'),
      ]
      return { id: u.body.id as number, sessions }
    }
    const me = (token: string) => app.call('GET', '/me', undefined, { token }).then((r) => r.status)
    const [pw, role, off, name, bystander] = await Promise.all(
      ['pw', 'role', 'off', 'name', 'bystander'].map((n) => userOf(`${n}@acme.test`)),
    )
    const patch = (id: number, body: object) =>
      app.call('PATCH', `/users/${id}`, body, { token: acme.admin }).then((r) => r.status)

    // Act
    expect(await patch(pw!.id, { password: 'a-new-password-456' })).toBe(200)
    expect(await patch(role!.id, { role: 'user' })).toBe(200)
    expect(await patch(off!.id, { isActive: false })).toBe(200)
    expect(await patch(off!.id, { isActive: true })).toBe(200) // reactivated: old tokens must not come back
    expect(await patch(name!.id, { fullName: 'Renamed' })).toBe(200)

    // Assess
    for (const user of [pw!, role!, off!]) {
      for (const token of user.sessions) {
        const res = await app.call('GET', '/me', undefined, { token })
        expect(res.status).toBe(401)
        expect(res.body.error.message).toMatch(/log in again/)
      }
    }
    for (const token of [...name!.sessions, ...bystander!.sessions]) expect(await me(token)).toBe(200)
    // New logins work: with the new password, and for the changed role and the reactivated account.
    expect(await me(await app.login('acme', 'pw@acme.test', 'a-new-password-456'))).toBe(200)
    expect(await me(await app.login('acme', 'role@acme.test', 'password-123'))).toBe(200)
    expect(await me(await app.login('acme', 'off@acme.test', 'password-123'))).toBe(200)
    await expect(app.login('acme', 'pw@acme.test', 'password-123')).rejects.toThrow(/401/)
  })

  it('ends the session of an admin who changes their own password (they log in again)', async () => {
    // Prepare
    const admin = await app.call('GET', '/me', undefined, { token: acme.admin })
    const second = await app.login('acme', 'admin@acme.test', 'password-123')
    // Act
    const changed = await app.call(
      'PATCH',
      `/users/${admin.body.id}`,
      { password: 'admin-password-789' },
      { token: second },
    )
    // Assess
    expect(changed.status).toBe(200)
    expect((await app.call('GET', '/me', undefined, { token: second })).status).toBe(401)
    acme.admin = await app.login('acme', 'admin@acme.test', 'admin-password-789')
    expect((await app.call('GET', '/me', undefined, { token: acme.admin })).status).toBe(200)
  })

  it('issues API keys shown once, stored hashed, usable until revoked', async () => {
    // Act
    const created = await app.call(
      'POST',
      '/api-keys',
      { name: 'whmcs panel', role: 'support_agent' },
      { token: acme.admin },
    )
    // Assess
    expect(created.status).toBe(201)
    const key: string = created.body.key
    expect(key).toMatch(/^ddk_/)
    const list = await app.call('GET', '/api-keys', undefined, { token: acme.admin })
    expect(JSON.stringify(list.body)).not.toContain(key)
    const [stored] = await app.rt.deps.sql`SELECT key_hash FROM api_keys WHERE id = ${created.body.id}`
    expect(stored!.keyHash).not.toContain(key)
    const me = await app.call('GET', '/me', undefined, { apiKey: key })
    expect(me.body).toMatchObject({ kind: 'api_key', tenantId: acme.id, role: 'support_agent' })
    // An agent-level key cannot do admin work.
    expect((await app.call('GET', '/users', undefined, { apiKey: key })).status).toBe(403)
    expect(
      (await app.call('DELETE', `/api-keys/${created.body.id}`, undefined, { token: acme.admin })).status,
    ).toBe(204)
    expect((await app.call('GET', '/me', undefined, { apiKey: key })).status).toBe(401)
  })

  it('lets a superadmin act on another tenant, and nobody else', async () => {
    const asSuper = await app.call('GET', `/users?tenantId=${acme.id}`, undefined, { token: app.superToken })
    expect(asSuper.status).toBe(200)
    expect(asSuper.body.items.map((u: { email: string }) => u.email)).toContain('admin@acme.test')
    const [root] = await app.rt.deps.sql`SELECT id FROM tenants WHERE slug = ${BOOTSTRAP.tenant}`
    const asAdmin = await app.call('GET', `/users?tenantId=${root!.id}`, undefined, { token: acme.admin })
    expect(asAdmin.status).toBe(403)
  })
})
