/**
 * Issue 28: a replay survives a restart of the runtime (it resumes where its last committed chunk stopped,
 * without importing the history again), and the Ollama path runs the same replay against the fake Ollama.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadDataset } from '../../eval/run.ts'
import { type FakeOllama, startFakeOllama } from '../fakes/ollama-server.ts'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'

const CREDS = { identifier: 'resume-ident-2b7d', secret: 'resume-secret-P0q8w' }
const IDLE_MS = 180_000
const { articles, tickets } = loadDataset()

/** A tenant with WHMCS configured and the eval set's articles imported. */
async function deskOn(app: TestApp, fake: FakeWhmcs, slug: string): Promise<TenantFixture> {
  const desk = await createTenant(app, slug)
  const patch = { whmcsUrl: fake.url, whmcsIdentifier: CREDS.identifier, whmcsSecret: CREDS.secret }
  expect((await app.call('PATCH', `/tenants/${desk.id}`, patch, { token: app.superToken })).status).toBe(200)
  const markdown = articles.map(({ filename, text }) => ({ filename, text }))
  expect((await app.call('POST', '/kb/import', { markdown }, { token: desk.admin })).status).toBeLessThan(300)
  await app.rt.queues.idle(IDLE_MS)
  return desk
}

const history = (n: number) =>
  tickets
    .slice(0, n)
    .map((t, i) => ({ subject: t.subject, message: t.content, reply: t.staffReply, daysAgo: 1 + (i % 20) }))

describe('Function: a replay across a restart', () => {
  let fake: FakeWhmcs
  let database: TestDatabase
  let dir: string
  let app: TestApp | undefined
  afterAll(async () => {
    await app?.stop()
    await fake?.close()
    await database?.drop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('resumes after the runtime stops mid-import and finishes the run once', async () => {
    // Prepare: 60 answered and closed tickets, two pages of each status
    fake = await startFakeWhmcs(CREDS)
    fake.store.seedHistory(history(60))
    database = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'draftdesk-calib-resume-'))
    app = await startTestApp({ database, dataDir: dir })
    const desk = await deskOn(app, fake, 'resume-desk')
    const held = fake.hold((c) => c.action === 'GetTickets' && c.params.limitstart === '25')

    // Act: stop while the second page is being read; the chunk in flight finishes, the next one waits
    const started = await app.call('POST', '/calibration/replay', {}, { token: desk.admin })
    await held.arrived
    const stopping = app.stop()
    held.release()
    await stopping
    app = await startTestApp({ database, dataDir: dir })
    await app.rt.queues.idle(IDLE_MS)
    const token = await app.login('resume-desk', 'admin@resume-desk.test', 'password-123')
    const view = await app.call('GET', '/calibration', undefined, { token })

    // Assess
    // Resumed, not restarted: each status's first page was listed once, every thread read once
    expect(view.body.run).toMatchObject({
      id: started.body.id,
      status: 'done',
      total: 60,
      done: 60,
      errors: 0,
    })
    const firstPages = fake.callsOf('GetTickets').filter((c) => c.params.limitstart === '0')
    expect(firstPages.map((c) => c.params.status)).toEqual(['Answered', 'Closed'])
    expect(fake.callsOf('GetTicket')).toHaveLength(60)
    expect(view.body.latestFit).toMatchObject({ version: 1, source: 'replay' })
  }, 600_000)
})

describe('Function: a replay through the Ollama client (fake Ollama)', () => {
  let fake: FakeWhmcs
  let ollama: FakeOllama
  let app: TestApp
  afterAll(async () => {
    await app?.stop()
    await fake?.close()
    await ollama?.close()
  })

  it('drafts the history through Ollama, labels it and fits the space that had no calibration', async () => {
    // Prepare
    fake = await startFakeWhmcs(CREDS)
    fake.store.seedHistory(history(tickets.length))
    ollama = await startFakeOllama()
    app = await startTestApp({ env: { OLLAMA_HOST: ollama.url } })
    const desk = await deskOn(app, fake, 'ollama-desk')

    // Act
    const started = await app.call('POST', '/calibration/replay', {}, { token: desk.admin })
    await app.rt.queues.idle(IDLE_MS)
    const view = await app.call('GET', '/calibration', undefined, { token: desk.admin })
    const samples = await app.rt.deps.sql<
      { space: unknown; sources: unknown[]; answerable: boolean | null }[]
    >`
      SELECT space, sources, answerable FROM calibration_samples WHERE run_id = ${started.body.id}`

    // Assess
    expect(view.body.run).toMatchObject({ status: 'done', total: tickets.length, errors: 0 })
    expect(ollama.calls.filter((c) => c.path === '/api/chat').length).toBeGreaterThanOrEqual(tickets.length)
    expect(samples.map((s) => s.space)).toEqual(
      samples.map(() => ({ provider: 'ollama', model: 'nomic-embed-text' })),
    )
    // The fallback's 0.5 would have shown no source at all; the replay shows the reranked ones.
    expect(samples.filter((s) => s.sources.length > 0).length).toBeGreaterThan(tickets.length / 2)
    expect(samples.filter((s) => s.answerable !== null).length).toBeGreaterThan(tickets.length / 2)
    expect(view.body.latestFit).toMatchObject({ version: 1, source: 'replay', space: { provider: 'ollama' } })
    expect(view.body.latestFit.current.answerableEscalated).toBeGreaterThan(0.5)
    expect(view.body.inForce).toMatchObject({ source: 'replay', version: 1, calibrated: true })
  }, 600_000)
})
