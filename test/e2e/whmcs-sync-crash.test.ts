/**
 * Issue 13, item 7: a WHMCS sync interrupted by a crash resumes as soon as the runtime is back, instead of
 * being skipped as `already_running` until the dead run's heartbeat goes stale.
 *
 * The crash is real: `npm start`'s entry point runs in a child process with a data directory and is
 * killed with SIGKILL between two pages of a sync; the runtime is then started again on the same data.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { BOOTSTRAP, startTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const CREDS = { identifier: 'crash-ident-4f1c', secret: 'crash-secret-Q8wZ2' }

/** Starts local/main.ts as `npm start` does and resolves with its URL once the banner is printed. */
async function startChild(
  dataDir: string,
  database: TestDatabase,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DRAFTDESK_DATA_DIR: dataDir,
      // Server leg: this file's own database, never the admin database the leg's DATABASE_URL names.
      DATABASE_URL: database.url ?? '',
      PORT: '0',
      OLLAMA_HOST: '',
      WHMCS_ALLOWED_NETWORKS: '127.0.0.0/8',
      LOG_LEVEL: 'WARN',
      DRAFTDESK_BOOTSTRAP_TENANT: BOOTSTRAP.tenant,
      DRAFTDESK_BOOTSTRAP_EMAIL: BOOTSTRAP.email,
      DRAFTDESK_BOOTSTRAP_PASSWORD: BOOTSTRAP.password,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d
      const m = /running at (http:\/\/\S+)/.exec(out)
      if (m) resolve(m[1]!)
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => reject(new Error(`runtime exited with ${code}:\n${out}`)))
  })
  return { child, url }
}

async function call(url: string, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as any }
}

/** Polls until `check` returns a value (a condition, not a guessed delay). */
async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 1500; i++) {
    const value = await check()
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('Function: WHMCS sync after a crash', () => {
  let dir: string
  let fake: FakeWhmcs
  let app: TestApp | undefined
  let child: ChildProcess | undefined
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'draftdesk-sync-crash-'))
    fake = await startFakeWhmcs({ ...CREDS, tickets: 30 })
  })
  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL')
    await app?.stop()
    await fake?.close()
    await rm(dir, { recursive: true, force: true })
    await database?.drop()
  })

  it('resumes a sync killed between pages as soon as the runtime restarts, one run at a time', async () => {
    // Prepare: a tenant with WHMCS, in a runtime of its own process.
    const first = await startChild(dir, database)
    child = first.child
    const login = (email: string, password: string, tenant: string) =>
      call(first.url, 'POST', '/auth/login', { tenant, email, password })
    const root = (await login(BOOTSTRAP.email, BOOTSTRAP.password, BOOTSTRAP.tenant)).body.token
    const tenant = await call(first.url, 'POST', '/tenants', { name: 'Crash Co', slug: 'crash' }, root)
    expect(tenant.status).toBe(201)
    const tenantId: number = tenant.body.id
    const patch = { whmcsUrl: fake.url, whmcsIdentifier: CREDS.identifier, whmcsSecret: CREDS.secret }
    expect((await call(first.url, 'PATCH', `/tenants/${tenantId}`, patch, root)).status).toBe(200)
    const admin = { email: 'admin@crash.test', password: 'password-123', role: 'admin', tenantId }
    expect((await call(first.url, 'POST', '/users', admin, root)).status).toBe(201)
    const token = (await login(admin.email, admin.password, 'crash')).body.token
    // The second page never answers while the first process lives.
    fake.failOn((c) => c.action === 'GetTickets' && c.params.limitstart === '25', 'timeout')

    // Act: sync, wait until page 1 is committed and page 2 is being fetched, then kill the process.
    expect((await call(first.url, 'POST', '/integrations/whmcs/sync', undefined, token)).status).toBe(202)
    const dead = await until(async () => {
      const logs = await call(first.url, 'GET', '/integrations/sync-logs', undefined, token)
      const run = logs.body.items?.[0]
      const fetchingPage2 = fake.callsOf('GetTickets').some((c) => c.params.limitstart === '25')
      return run?.status === 'running' && run.metadata.pages === 1 && fetchingPage2 ? run : undefined
    }, 'page 1 of the sync')
    const exited = new Promise((resolve) => first.child.on('exit', resolve))
    first.child.kill('SIGKILL')
    await exited
    fake.reset()
    app = await startTestApp({ dataDir: dir, database })
    await app.rt.queues.idle()

    // Assess
    const sql = app.rt.deps.sql
    const runs = await sql<{ id: number; status: string; errorMessage: string | null; metadata: any }[]>`
      SELECT id, status, error_message, metadata_json AS metadata FROM integration_sync_logs
      WHERE tenant_id = ${tenantId} ORDER BY id`
    expect(runs).toHaveLength(2)
    expect(runs[0]).toMatchObject({ id: dead.id, status: 'failed' })
    expect(runs[0]!.errorMessage).toMatch(/^interrupted/)
    expect(runs[1]).toMatchObject({
      status: 'success',
      metadata: { jobId: dead.metadata.jobId, resumedFromLogId: dead.id, complete: true },
    })
    const [tickets] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM tickets WHERE tenant_id = ${tenantId}`
    expect(tickets!.n).toBe(30)
    const [jobs] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM local_runtime.jobs WHERE queue = 'sync'`
    expect(jobs!.n).toBe(0)
  }, 180_000)
})
