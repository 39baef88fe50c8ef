/**
 * What a request takes from the runtime it runs in: CORS from the runtime's own configuration (the
 * environment `startRuntime({ env })` was given, not the process's), and a log scope that says whose
 * every line is (shared/logger.ts), for a request and for the jobs it queues.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp, type TestApp } from '../helpers/app.ts'
import { captureOutput } from '../helpers/logs.ts'

const ORIGIN = 'https://desk.example.test'

let app: TestApp
beforeAll(async () => {
  app = await startTestApp({ workers: false, env: { CORS_ORIGINS: `${ORIGIN},https://other.example.test` } })
})
afterAll(async () => app?.stop())

describe('Function: httpRoute CORS', () => {
  it('answers with the origins of the runtime configuration, not the process environment', async () => {
    // Act
    const allowed = await app.call('GET', '/health', undefined, { headers: { origin: ORIGIN } })
    const foreign = await app.call('GET', '/health', undefined, { headers: { origin: 'https://evil.test' } })
    // Assess: with `*` (the process default) both would be allowed.
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(foreign.headers.get('access-control-allow-origin')).not.toBe('https://evil.test')
    expect(foreign.headers.get('access-control-allow-origin')).not.toBe('*')
  })
})

describe('Function: the log scope of a request and of a job', () => {
  let scoped: TestApp
  beforeAll(async () => {
    // No scheduler: every line captured below belongs to a request or to a job.
    scoped = await startTestApp({ workers: false })
  })
  afterAll(async () => scoped?.stop())

  it('writes the tenant on every line of a request and of its jobs, and the job id on every line of a job', async () => {
    // Prepare
    const t = await createTenant(scoped, 'scoped')
    // Act: an article (an embed job) and a ticket (a draft job), then the workers.
    const { output } = await captureOutput(async () => {
      const article = await scoped.call(
        'POST',
        '/kb/articles',
        { title: 'SMTP settings', content: 'Use port 587 with STARTTLS and your full address as login.' },
        { token: t.admin },
      )
      expect(article.status).toBe(201)
      const ticket = await scoped.call(
        'POST',
        '/tickets',
        { subject: 'Mail', content: 'Which SMTP port do I use?' },
        { token: t.agent },
      )
      expect(ticket.status).toBe(201)
      scoped.rt.queues.start()
      await scoped.rt.queues.idle()
    })
    // Assess
    const lines = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.filter((l) => !('tenantId' in l)).map((l) => l.message)).toEqual([])
    expect(lines.filter((l) => l.tenantId !== t.id).map((l) => l.message)).toEqual([])
    const ofJobs = lines.filter((l) => 'queue' in l)
    expect(ofJobs.filter((l) => typeof l.jobId !== 'string').map((l) => l.message)).toEqual([])
    // Lines whose callers name no tenant themselves: the local server's, the embed worker's.
    const request = lines.find((l) => l.message === 'request' && String(l.url).startsWith('/tickets'))
    expect(request).toMatchObject({ tenantId: t.id, userId: expect.any(Number), route: 'POST /tickets' })
    const indexed = lines.find((l) => l.message === 'indexed')
    expect(indexed).toMatchObject({ tenantId: t.id, queue: 'embed', articleId: expect.any(Number) })
    expect(lines.find((l) => l.message === 'draft stored')).toMatchObject({
      queue: 'draft',
      ticketId: expect.any(Number),
    })
  })
})
