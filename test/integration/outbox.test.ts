import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LocalDb } from '../../local/db.ts'
import { migrate } from '../../migrations/runner.ts'
import { drainOutbox, enqueue } from '../../shared/queue/outbox.ts'
import type { QueuePort } from '../../shared/queue/port.ts'
import type { QueueName } from '../../shared/routes.ts'
import { startTestDb } from '../helpers/db.ts'

describe('Function: drainOutbox', () => {
  let db: LocalDb
  beforeAll(async () => {
    db = await startTestDb()
    await migrate(db.sql) // a no-op on the server leg's migrated copy
  })
  afterAll(async () => db?.close())

  /** A queue that records what it got and, like other requests committing meanwhile, adds outbox rows. */
  function busyQueue(addPerSend: number) {
    const sent: object[] = []
    const port: QueuePort = {
      async send(_queue: QueueName, bodies: object[]) {
        sent.push(...bodies)
        for (let i = 0; i < addPerSend; i++) await enqueue(db.sql, 'embed', null, { late: true })
      },
      depths: async () => ({}),
    }
    return { sent, port }
  }

  it('publishes every waiting job, batch after batch, while batches come back full', async () => {
    // Prepare
    for (let i = 0; i < 25; i++) await enqueue(db.sql, 'embed', null, { n: i })
    const { sent, port } = busyQueue(0)
    // Act
    const published = await drainOutbox(db.sql, port, 10)
    // Assess
    expect(published).toBe(25)
    expect(sent.map((b) => (b as { n: number }).n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, i) => i),
    )
    const [left] = await db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`
    expect(left!.n).toBe(0)
  })

  it('returns after what was waiting instead of chasing jobs committed while it publishes', async () => {
    // Prepare: every send commits one more job, as concurrent requests do under load.
    await enqueue(db.sql, 'embed', null, { first: true })
    const { sent, port } = busyQueue(1)
    // Act
    const published = await drainOutbox(db.sql, port, 10)
    // Assess: the late job is left for its own request's flush (or the sweep), which then publishes it.
    expect(published).toBe(1)
    expect(sent).toEqual([expect.objectContaining({ first: true })])
    const second = await drainOutbox(db.sql, busyQueue(0).port, 10)
    expect(second).toBe(1)
  })

  it('publishes only the queues the process may send to, leaving the others unclaimed for the sweep', async () => {
    // Prepare: a Lambda granted the draft queue only finds jobs of other producers waiting too.
    await drainOutbox(db.sql, busyQueue(0).port)
    await enqueue(db.sql, 'draft', null, { mine: true })
    await enqueue(db.sql, 'send', null, { others: true })
    const sentTo: QueueName[] = []
    const draftOnly: QueuePort = {
      sendable: ['draft'],
      async send(queue: QueueName) {
        sentTo.push(queue)
      },
      depths: async () => ({}),
    }
    const none: QueuePort = { ...draftOnly, sendable: [] }
    // Act
    const nothing = await drainOutbox(db.sql, none)
    const published = await drainOutbox(db.sql, draftOnly)
    // Assess
    expect(nothing).toBe(0)
    expect(published).toBe(1)
    expect(sentTo).toEqual(['draft'])
    const left = await db.sql<{ queue: string; claimedUntil: Date | null }[]>`
      SELECT queue, claimed_until FROM outbox WHERE published_at IS NULL`
    expect(left).toEqual([{ queue: 'send', claimedUntil: null }])
    expect(await drainOutbox(db.sql, busyQueue(0).port)).toBe(1)
  })
})
