import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { QueueDef } from '#shared/routes'
import { type LocalDb, openDb } from '../../local/db.ts'
import { LocalQueues } from '../../local/queues.ts'
import { createTestDatabase, startTestDb, type TestDatabase } from '../helpers/db.ts'

const def: QueueDef = { name: 'embed', worker: 'unused', batchSize: 5, maxReceiveCount: 3, timeoutSeconds: 1 }

/** A worker that fails records whose body says so and remembers every delivery. */
function recordingWorker(deliveries: { id: number; receive: number }[]) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures = []
    for (const r of event.Records) {
      const body = JSON.parse(r.body)
      deliveries.push({ id: body.n, receive: Number(r.attributes.ApproximateReceiveCount) })
      if (body.poison) failures.push({ itemIdentifier: r.messageId })
    }
    return { batchItemFailures: failures }
  }
}

describe('Function: LocalQueues', () => {
  let db: LocalDb
  beforeAll(async () => {
    db = await startTestDb()
  })
  afterAll(async () => db?.close())

  it('delivers batches, retries only failed records and dead-letters them after maxReceiveCount', async () => {
    // Prepare
    const deliveries: { id: number; receive: number }[] = []
    const queues = new LocalQueues(db.sql, [def], async () => recordingWorker(deliveries), {
      retryBaseMs: 10,
      pollIntervalMs: 10,
    })
    await queues.init()
    await queues.send('embed', [{ n: 1 }, { n: 2, poison: true }, { n: 3 }])
    // Act
    queues.start()
    await queues.idle()
    await queues.stop()
    // Assess
    expect(deliveries.filter((d) => d.id === 1)).toHaveLength(1)
    expect(deliveries.filter((d) => d.id === 3)).toHaveLength(1)
    expect(deliveries.filter((d) => d.id === 2).map((d) => d.receive)).toEqual([1, 2, 3])
    const dead = await queues.deadLetters('embed')
    expect(dead).toHaveLength(1)
    expect(dead[0]).toMatchObject({ body: { n: 2, poison: true }, receiveCount: 3 })
    expect(await queues.depths()).toEqual({ embed: 0 })
    // Redrive puts it back.
    expect(await queues.redrive('embed')).toBe(1)
    expect(await queues.depths()).toEqual({ embed: 1 })
  })

  it('delays each retry exponentially: base, then 2 × base', async () => {
    // Prepare: a base long enough that no retry happens by itself (the delay caps at 30 s); the test makes
    // the row visible instead of waiting.
    await db.sql`DELETE FROM local_runtime.jobs`
    const deliveries: { id: number; receive: number }[] = []
    const queues = new LocalQueues(db.sql, [def], async () => recordingWorker(deliveries), {
      retryBaseMs: 14_000,
      pollIntervalMs: 10,
    })
    await queues.send('embed', [{ n: 1, poison: true }])
    const delayAfter = async (receives: number) => {
      await expect
        .poll(async () => (await db.sql`SELECT receive_count, claimed_at FROM local_runtime.jobs`)[0])
        .toEqual({ receiveCount: receives, claimedAt: null })
      const [row] = await db.sql<{ s: number }[]>`
        SELECT extract(epoch FROM visible_at - now())::float8 AS s FROM local_runtime.jobs`
      // Make it visible now, as if the delay had passed.
      await db.sql`UPDATE local_runtime.jobs SET visible_at = now()`
      return row!.s
    }
    // Act
    queues.start()
    const first = await delayAfter(1)
    const second = await delayAfter(2)
    await queues.idle()
    await queues.stop()
    // Assess: the scheduled delays, less the moment this test took to read them (half the base of slack),
    // then a dead letter.
    expect(first).toBeGreaterThan(7)
    expect(first).toBeLessThanOrEqual(14)
    expect(second).toBeGreaterThan(28 - 7)
    expect(second).toBeLessThanOrEqual(28)
    expect(deliveries.map((d) => d.receive)).toEqual([1, 2, 3])
    expect((await queues.deadLetters('embed')).map((d) => d.receiveCount)).toEqual([3])
  })

  it('treats a thrown handler as a failure of the whole batch', async () => {
    // Prepare
    await db.sql`DELETE FROM local_runtime.jobs`
    const receives: Record<number, number[]> = { 1: [], 2: [] }
    const queues = new LocalQueues(
      db.sql,
      [{ ...def, maxReceiveCount: 2 }],
      async () => async (event: SQSEvent) => {
        for (const r of event.Records)
          receives[JSON.parse(r.body).n]!.push(Number(r.attributes.ApproximateReceiveCount))
        throw new Error('boom')
      },
      { retryBaseMs: 10, pollIntervalMs: 10 },
    )
    await queues.send('embed', [{ n: 1 }, { n: 2 }])
    // Act
    queues.start()
    await queues.idle()
    await queues.stop()
    // Assess: per message, not per call. Retries come back one row at a time, as visibility allows (SQS
    // never promised that messages failed together return together), so the number of calls varies.
    expect(receives).toEqual({ 1: [1, 2], 2: [1, 2] })
    const dead = await queues.deadLetters('embed')
    expect(dead.map((d) => [d.body, d.receiveCount, d.lastError])).toEqual([
      [{ n: 1 }, 2, 'boom'],
      [{ n: 2 }, 2, 'boom'],
    ])
  })
})

describe('Function: LocalQueues across a restart', () => {
  let dir: string
  let database: TestDatabase
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'draftdesk-queue-'))
  })
  afterAll(async () => {
    await database?.drop()
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps queued and in-flight jobs when the process stops, and delivers them after', async () => {
    // Prepare: a job is queued and another claimed (in flight) when the first process goes away.
    database = await createTestDatabase()
    const open = () => openDb({ databaseUrl: database.url, dataDir: dir })
    let db = await open()
    const first = new LocalQueues(db.sql, [def], async () => async () => ({ batchItemFailures: [] }))
    await first.init()
    await first.send('embed', [{ n: 1 }, { n: 2 }])
    await db.sql`UPDATE local_runtime.jobs SET claimed_at = now(), visible_at = now() + interval '1 hour', receive_count = 1 WHERE id = (SELECT min(id) FROM local_runtime.jobs)`
    await db.close()
    // Act
    db = await open()
    const seen: number[] = []
    const second = new LocalQueues(
      db.sql,
      [def],
      async () => async (event: SQSEvent) => {
        for (const r of event.Records) seen.push(JSON.parse(r.body).n)
        return { batchItemFailures: [] }
      },
      { pollIntervalMs: 10 },
    )
    await second.init()
    second.start()
    await second.idle()
    await second.stop()
    await db.close()
    // Assess
    expect(seen.sort()).toEqual([1, 2])
  })
})
