import { type Runtime, type RuntimeOptions, startRuntime } from '../../local/runtime.ts'
import { createTestDatabase, type TestDatabase } from './db.ts'

export interface Reply<T = any> {
  status: number
  body: T
  headers: Headers
}

export interface Caller {
  token?: string
  apiKey?: string
  headers?: Record<string, string>
  /** A raw string body (sent as is); otherwise `body` is JSON-encoded. */
  raw?: string
}

/** A running local runtime plus a small HTTP client for it. One per test file: PGlite boots in ~4 s. */
export interface TestApp {
  rt: Runtime
  url: string
  call<T = any>(method: string, path: string, body?: unknown, who?: Caller): Promise<Reply<T>>
  /** Logs in and returns a bearer token. */
  login(tenant: string, email: string, password: string): Promise<string>
  superToken: string
  stop(): Promise<void>
}

export const BOOTSTRAP = { tenant: 'root', email: 'root@draftdesk.test', password: 'root-password-123' }

export interface TestAppOptions extends Partial<RuntimeOptions> {
  /**
   * Server leg: the database to use, kept when the app stops (a restart test passes the same one twice).
   * Default: a fresh copy of the migrated template, dropped by `stop()`. Ignored on the PGlite leg.
   */
  database?: TestDatabase
}

/** Starts the runtime on the leg's engine (see test/helpers/db.ts), logged in as the bootstrap superadmin. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const { database: given, ...runtimeOptions } = options
  const database = given ?? (await createTestDatabase())
  const rt = await startRuntime({
    dataDir: null,
    port: 0,
    queue: { retryBaseMs: 20, pollIntervalMs: 20 },
    ...runtimeOptions,
    env: {
      // Always explicit: the server leg's DATABASE_URL names the admin database, never a test's own.
      DATABASE_URL: database.url ?? '',
      OLLAMA_HOST: '',
      // The fake WHMCS listens on 127.0.0.1, which the SSRF guard refuses unless the operator allows it.
      WHMCS_ALLOWED_NETWORKS: '127.0.0.0/8',
      LOG_LEVEL: 'SILENT',
      DRAFTDESK_BOOTSTRAP_TENANT: BOOTSTRAP.tenant,
      DRAFTDESK_BOOTSTRAP_EMAIL: BOOTSTRAP.email,
      DRAFTDESK_BOOTSTRAP_PASSWORD: BOOTSTRAP.password,
      ...options.env,
    },
  })
  const call = async <T>(
    method: string,
    path: string,
    body?: unknown,
    who: Caller = {},
  ): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...who.headers }
    if (who.token) headers.authorization = `Bearer ${who.token}`
    if (who.apiKey) headers['x-api-key'] = who.apiKey
    let payload: string | undefined = who.raw
    if (payload === undefined && body !== undefined) payload = JSON.stringify(body)
    if (payload !== undefined) headers['content-type'] ??= 'application/json'
    const res = await fetch(`${rt.url}${path}`, { method, headers, body: payload })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {}
    return { status: res.status, body: parsed as T, headers: res.headers }
  }
  const login = async (tenant: string, email: string, password: string) => {
    const res = await call<{ token: string }>('POST', '/auth/login', { tenant, email, password })
    if (res.status !== 200)
      throw new Error(`login ${email} failed: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body.token
  }
  const superToken = await login(BOOTSTRAP.tenant, BOOTSTRAP.email, BOOTSTRAP.password)
  const stop = async () => {
    await rt.stop()
    if (!given) await database.drop()
  }
  return { rt, url: rt.url, call, login, superToken, stop }
}

export interface TenantFixture {
  id: number
  slug: string
  webhookSecret: string
  admin: string
  agent: string
  customer: string
  customerId: number
  agentId: number
}

/** Creates a tenant with an admin, an agent and a customer, and logs each in. */
export async function createTenant(app: TestApp, slug: string): Promise<TenantFixture> {
  const t = await app.call('POST', '/tenants', { name: `Tenant ${slug}`, slug }, { token: app.superToken })
  if (t.status !== 201) throw new Error(`tenant ${slug}: ${t.status} ${JSON.stringify(t.body)}`)
  const ids: Record<string, number> = {}
  for (const role of ['admin', 'support_agent', 'user'] as const) {
    const u = await app.call(
      'POST',
      '/users',
      { email: `${role}@${slug}.test`, password: 'password-123', role, tenantId: t.body.id },
      { token: app.superToken },
    )
    if (u.status !== 201) throw new Error(`user ${role}: ${u.status} ${JSON.stringify(u.body)}`)
    ids[role] = u.body.id
  }
  const [admin, agent, customer] = await Promise.all(
    ['admin', 'support_agent', 'user'].map((r) => app.login(slug, `${r}@${slug}.test`, 'password-123')),
  )
  return {
    id: t.body.id,
    slug,
    webhookSecret: t.body.webhookSecret,
    admin: admin!,
    agent: agent!,
    customer: customer!,
    customerId: ids.user!,
    agentId: ids.support_agent!,
  }
}
