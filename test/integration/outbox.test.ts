import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LocalDb } from '../../local/db.ts'
import { migrate } from '../../migrations/runner.ts'
import type { Db } from '../../shared/db/sql.ts'
import { type ClaimedJob, drainOutbox, enqueue, publishJobs } from '../../shared/queue/outbox.ts'
import type { QueuePort } from '../../shared/queue/port.ts'
import type { QueueName } from '../../shared/routes.ts'
import { createTenant, startTestApp, type TestApp } from '../helpers/app.ts'
import { startTestDb } from '../helpers/db.ts'

/** A queue that records what it got and, like other requests committing meanwhile, runs `onSend`. */
function recordingQueue(onSend: () => Promise<void> = async () => {}, sendable?: QueueName[]) {
  const sent: Array<{ queue: QueueName; body: object }> = []
  const port: QueuePort = {
    ...(sendable ? { sendable } : {}),
    async send(queue: QueueName, bodies: object[]) {
      sent.push(...bodies.map((body) => ({ queue, body })))
      await onSend()
    },
    depths: async () => ({}),
  }
  return { sent, port }
}

describe('Functions: enqueue, publishJobs and the outbox sweep', () => {
  let db: LocalDb
  beforeAll(async () => {
    db = await startTestDb()
    await migrate(db.sql) // a no-op on the server leg's migrated copy
  })
  afterAll(async () => db?.close())

  /** Jobs enqueued in one committed transaction, as a request's service writes them. */
  const commit = (fn: (tx: Db, jobs: ClaimedJob[]) => Promise<unknown>) =>
    db.sql.begin(async (tx) => {
      const jobs: ClaimedJob[] = []
      await fn(tx, jobs)
      return jobs
    })

  /** What 30 s do to a claim: the caller that held it is gone (it crashed between commit and publish). */
  const expireClaims = () =>
    db.sql`UPDATE outbox SET claimed_until = now() - interval '1 second' WHERE published_at IS NULL`

  const unpublished = () =>
    db.sql<
      { body: Record<string, unknown> }[]
    >`SELECT body FROM outbox WHERE published_at IS NULL ORDER BY id`

  it('a caller publishes exactly its own jobs, never another caller’s', async () => {
    // Prepare: two requests commit a job each; only the first publishes.
    const mine = await commit((tx, jobs) => enqueue(tx, jobs, 'embed', null, { who: 'mine' }))
    await commit((tx, jobs) => enqueue(tx, jobs, 'embed', null, { who: 'theirs' }))
    const { sent, port } = recordingQueue()
    // Act
    await publishJobs({ sql: db.sql, queue: port }, mine)
    // Assess: the other request's job is still its own to publish (claimed), not the sweep's yet.
    expect(sent).toEqual([{ queue: 'embed', body: expect.objectContaining({ who: 'mine' }) }])
    expect((await unpublished()).map((r) => r.body.who)).toEqual(['theirs'])
    expect(await drainOutbox(db.sql, recordingQueue().port)).toBe(0)
    await expireClaims()
    expect(await drainOutbox(db.sql, recordingQueue().port)).toBe(1)
  })

  it('leaves a job committed but never published to the sweep, which sends it once its claim expired', async () => {
    // Prepare: the request committed, then crashed before publishing.
    await commit((tx, jobs) => enqueue(tx, jobs, 'draft', null, { crashed: true }))
    const { sent, port } = recordingQueue()
    // Act
    const early = await drainOutbox(db.sql, port)
    await expireClaims()
    const late = await drainOutbox(db.sql, port)
    // Assess
    expect(early).toBe(0)
    expect(late).toBe(1)
    expect(sent).toEqual([{ queue: 'draft', body: expect.objectContaining({ crashed: true }) }])
    expect(await unpublished()).toEqual([])
  })

  it('logs a failed publish instead of throwing, and the sweep delivers the job later', async () => {
    // Prepare
    const jobs = await commit((tx, jobs) => enqueue(tx, jobs, 'embed', null, { unlucky: true }))
    const down: QueuePort = {
      send: () => Promise.reject(new Error('queue down')),
      depths: async () => ({}),
    }
    // Act
    await publishJobs({ sql: db.sql, queue: down }, jobs)
    await expireClaims()
    const { sent, port } = recordingQueue()
    const swept = await drainOutbox(db.sql, port)
    // Assess
    expect(swept).toBe(1)
    expect(sent).toEqual([{ queue: 'embed', body: expect.objectContaining({ unlucky: true }) }])
  })

  it('publishes only the queues the process may send to, leaving the others to the sweep', async () => {
    // Prepare: a Lambda granted the draft queue only wrote a send job too (a route-table mistake).
    const jobs = await commit(async (tx, jobs) => {
      await enqueue(tx, jobs, 'draft', null, { mine: true })
      await enqueue(tx, jobs, 'send', null, { others: true })
    })
    const draftOnly = recordingQueue(undefined, ['draft'])
    // Act
    await publishJobs({ sql: db.sql, queue: draftOnly.port }, jobs)
    await expireClaims()
    const none = await drainOutbox(db.sql, recordingQueue(undefined, []).port)
    const sweep = recordingQueue()
    const swept = await drainOutbox(db.sql, sweep.port)
    // Assess
    expect(draftOnly.sent.map((s) => s.queue)).toEqual(['draft'])
    expect(none).toBe(0)
    expect(swept).toBe(1)
    expect(sweep.sent).toEqual([{ queue: 'send', body: expect.objectContaining({ others: true }) }])
  })

  it('sweeps every unowned job, batch after batch, while batches come back full', async () => {
    // Prepare
    await commit(async (tx, jobs) => {
      for (let i = 0; i < 25; i++) await enqueue(tx, jobs, 'embed', null, { n: i })
    })
    await expireClaims()
    const { sent, port } = recordingQueue()
    // Act
    const published = await drainOutbox(db.sql, port, 10)
    // Assess
    expect(published).toBe(25)
    expect(sent.map((s) => (s.body as { n: number }).n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, i) => i),
    )
    expect(await unpublished()).toEqual([])
  })

  it('returns after what was left instead of chasing jobs whose claims expire while it sends', async () => {
    // Prepare: every send, another crashed request's job becomes the sweep's.
    await commit((tx, jobs) => enqueue(tx, jobs, 'embed', null, { first: true }))
    await expireClaims()
    const { sent, port } = recordingQueue(async () => {
      await commit((tx, jobs) => enqueue(tx, jobs, 'embed', null, { late: true }))
      await expireClaims()
    })
    // Act
    const published = await drainOutbox(db.sql, port, 10)
    // Assess: the late job is the next sweep's.
    expect(published).toBe(1)
    expect(sent).toEqual([{ queue: 'embed', body: expect.objectContaining({ first: true }) }])
    expect(await drainOutbox(db.sql, recordingQueue().port, 10)).toBe(1)
  })
})

describe('Function: httpRoute publishing a request’s jobs', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({ workers: false })
  })
  afterAll(async () => app?.stop())

  it('sends the request’s own job and leaves a crashed request’s job to the sweep', async () => {
    // Prepare: another request committed a job and died before publishing it; its claim has expired.
    const t = await createTenant(app, 'outbox')
    const sql = app.rt.deps.sql
    await sql.begin((tx) => enqueue(tx, [], 'embed', t.id, { kind: 'article', tenantId: t.id, articleId: 1 }))
    await sql`UPDATE outbox SET claimed_until = now() - interval '1 second' WHERE published_at IS NULL`
    // Act
    const res = await app.call(
      'POST',
      '/tickets',
      { subject: 'Mail', content: 'SMTP fails' },
      { token: t.agent },
    )
    // Assess: the request's draft job is sent; the other one is untouched, for the sweep.
    expect(res.status).toBe(201)
    const rows = await sql<{ queue: string; published: boolean }[]>`
      SELECT queue, published_at IS NOT NULL AS published FROM outbox WHERE tenant_id = ${t.id} ORDER BY id`
    expect(rows).toEqual([
      { queue: 'embed', published: false },
      { queue: 'draft', published: true },
    ])
    const queued = await sql<{ body: string }[]>`SELECT body FROM local_runtime.jobs WHERE queue = 'draft'`
    expect(queued.map((q) => JSON.parse(q.body).ticketId)).toEqual([res.body.id])
  })
})
