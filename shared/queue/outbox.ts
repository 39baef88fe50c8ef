import { randomUUID } from 'node:crypto'
import type postgres from 'postgres'
import type { Db } from '../db/sql.ts'
import { logger } from '../logger.ts'
import type { QueueName } from '../routes.ts'
import type { QueuePort } from './port.ts'

/** Every job carries a unique id, so consumers can make redelivery a no-op. */
export interface JobEnvelope {
  jobId: string
}

/** How long a publisher owns the rows it claimed; after that another may send them. */
const CLAIM = '30 seconds'

/** A job a transaction enqueued already claimed, for its own caller to publish after commit. */
export interface ClaimedJob {
  id: string
  queue: QueueName
  body: object
}

/** Transactions whose jobs are enqueued claimed (see {@link claimJobsOf}), with the jobs so far. */
const claiming = new WeakMap<Db, ClaimedJob[]>()

/**
 * Makes every job `tx` enqueues from now on claimed by its caller (`claimed_until` set on insert) and
 * collected in the returned list, which the caller passes to {@link publishClaimed} after commit. That
 * caller then sends exactly its own jobs, by id, instead of scanning the outbox for unclaimed rows (which,
 * with many concurrent requests, each one did while the others kept adding rows). If the caller never
 * publishes them (a crash, a failed send), the claim expires and the outbox sweep sends them.
 */
export function claimJobsOf(tx: Db): ClaimedJob[] {
  const jobs: ClaimedJob[] = []
  claiming.set(tx, jobs)
  return jobs
}

/**
 * Records a job in the outbox inside the caller's transaction. It reaches the queue only when the
 * transaction commits (see publishOutbox), so a job never refers to rows that were rolled back.
 * `alongside` is a data-modifying statement the job belongs with (the write that asks for it), run in the
 * same statement as a CTE: one round trip instead of two, and it commits or fails with the job.
 */
export async function enqueue<T extends object>(
  tx: Db,
  queue: QueueName,
  tenantId: number | null,
  body: T,
  options: { alongside?: postgres.Fragment } = {},
): Promise<T & JobEnvelope> {
  const job = { jobId: randomUUID(), ...body }
  const claimed = claiming.get(tx)
  const [row] = await tx<{ id: string }[]>`
    ${options.alongside ? tx`WITH alongside AS (${options.alongside})` : tx``}
    INSERT INTO outbox (tenant_id, queue, body, claimed_until)
    VALUES (${tenantId}, ${queue}, ${tx.json(job)},
            ${claimed ? tx`now() + ${CLAIM}::interval` : tx`NULL`})
    RETURNING id`
  claimed?.push({ id: row!.id, queue, body: job })
  return job
}

/**
 * Moves committed outbox rows to the queue (those of the queues it may send to). Rows are claimed for 30 s (SKIP LOCKED lets concurrent
 * publishers share the work) and marked published after the send; no transaction is held while sending,
 * so a slow queue never blocks the database. A failed send leaves its rows to be retried once the claim
 * expires; a crash after sending re-sends, and consumers are idempotent on `jobId`.
 * @internal
 */
export async function publishOutbox(sql: Db, queue: QueuePort, limit = 100): Promise<number> {
  // Only the queues this process may send to: claiming another's rows would fail their send and hold
  // them back for the claim's 30 s.
  const only = queue.sendable
  if (only?.length === 0) return 0
  const rows = await sql<{ id: string; queue: QueueName; body: object }[]>`
    UPDATE outbox SET claimed_until = now() + ${CLAIM}::interval
    WHERE id IN (
      SELECT id FROM outbox
      WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
        ${only ? sql`AND queue IN ${sql(only)}` : sql``}
      ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING id, queue, body`
  await sendClaimedRows(sql, queue, rows)
  return rows.length
}

/** Sends claimed outbox rows, one send per queue, and marks each queue's rows published after its send. */
async function sendClaimedRows(sql: Db, queue: QueuePort, rows: readonly ClaimedJob[]): Promise<void> {
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
export async function flushOutbox(deps: { sql: Db; queue: QueuePort }): Promise<void> {
  try {
    await drainOutbox(deps.sql, deps.queue)
  } catch (error) {
    logger.warn('outbox publish failed; the sweep will retry', { error: error as Error })
  }
}

/**
 * Publishes the jobs a caller's committed transaction claimed ({@link claimJobsOf}): sends them and marks
 * them published by id, without scanning the outbox. Failures are logged, not thrown, as in flushOutbox:
 * the claim expires and the outbox sweep sends them.
 */
export async function publishClaimed(
  deps: { sql: Db; queue: QueuePort },
  jobs: readonly ClaimedJob[],
): Promise<void> {
  if (jobs.length === 0) return
  try {
    await sendClaimedRows(deps.sql, deps.queue, jobs)
  } catch (error) {
    logger.warn('outbox publish failed; the sweep will retry', { error: error as Error })
  }
}
