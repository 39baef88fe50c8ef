import { randomUUID } from 'node:crypto'
import type { Db } from '../db/sql.ts'
import type { Deps } from '../deps.ts'
import { logger } from '../logger.ts'
import type { QueueName } from '../routes.ts'
import type { QueuePort } from './port.ts'

/** Every job carries a unique id, so consumers can make redelivery a no-op. */
export interface JobEnvelope {
  jobId: string
}

/**
 * Records a job in the outbox inside the caller's transaction. It reaches the queue only when the
 * transaction commits (see publishOutbox), so a job never refers to rows that were rolled back.
 */
export async function enqueue<T extends object>(
  tx: Db,
  queue: QueueName,
  tenantId: number | null,
  body: T,
): Promise<T & JobEnvelope> {
  const job = { jobId: randomUUID(), ...body }
  await tx`INSERT INTO outbox (tenant_id, queue, body) VALUES (${tenantId}, ${queue}, ${tx.json(job)})`
  return job
}

/**
 * Moves committed outbox rows to the queue. Rows are claimed for 30 s (SKIP LOCKED lets concurrent
 * publishers share the work) and marked published after the send; no transaction is held while sending,
 * so a slow queue never blocks the database. A failed send leaves its rows to be retried once the claim
 * expires; a crash after sending re-sends, and consumers are idempotent on `jobId`.
 */
export async function publishOutbox(sql: Db, queue: QueuePort, limit = 100): Promise<number> {
  const rows = await sql<{ id: string; queue: QueueName; body: object }[]>`
    UPDATE outbox SET claimed_until = now() + interval '30 seconds'
    WHERE id IN (
      SELECT id FROM outbox
      WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
      ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING id, queue, body`
  if (rows.length === 0) return 0
  const byQueue = new Map<QueueName, { ids: string[]; bodies: object[] }>()
  for (const row of rows) {
    const group = byQueue.get(row.queue) ?? { ids: [], bodies: [] }
    group.ids.push(row.id)
    group.bodies.push(row.body)
    byQueue.set(row.queue, group)
  }
  for (const [name, group] of byQueue) {
    await queue.send(name, group.bodies)
    await sql`UPDATE outbox SET published_at = now() WHERE id IN ${sql(group.ids)}`
  }
  return rows.length
}

/**
 * Publishes what was waiting when it started: it stops at the first batch that is not full, since that
 * claim saw every unclaimed committed row (the caller's own among them, or another publisher has them).
 * Looping until the outbox is empty instead chases the rows other requests keep committing: with 50
 * concurrent webhook senders on one connection, one unlucky request drained for the whole 36 s run.
 * Returns how many were sent.
 */
export async function drainOutbox(sql: Db, queue: QueuePort, limit = 100): Promise<number> {
  let total = 0
  let batch: number
  do {
    batch = await publishOutbox(sql, queue, limit)
    total += batch
  } while (batch === limit)
  return total
}

/**
 * Publishes jobs a request or a job just committed. A failure is logged, not returned: the data is saved
 * and the outbox sweep schedule will deliver the job, so the caller must not retry (and duplicate) its work.
 */
export async function flushOutbox(deps: Pick<Deps, 'sql' | 'queue'>): Promise<void> {
  try {
    await drainOutbox(deps.sql, deps.queue)
  } catch (error) {
    logger.warn('outbox publish failed; the sweep will retry', { error: error as Error })
  }
}
