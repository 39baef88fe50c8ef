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

/** How long a publisher owns the rows it claimed; after that the outbox sweep may send them. */
const CLAIM = '30 seconds'

/** A job in the outbox, claimed by the request or job that enqueued it (see {@link enqueue}). */
export interface ClaimedJob {
  /** The outbox row's id. */
  id: string
  queue: QueueName
  body: object
}

/**
 * Records a job in the outbox inside the caller's transaction, claimed by that caller: the row is written
 * with `claimed_until` 30 s ahead, and the job is appended to `jobs`, the list the request or job that
 * owns the transaction publishes after commit ({@link publishJobs}). A job reaches the queue only once
 * its transaction committed, so it never refers to rows that were rolled back; if its caller never
 * publishes it (a crash between commit and publish, a failed send), the claim expires and the outbox
 * sweep sends it ({@link drainOutbox}). Returns the job's body (with its `jobId`).
 *
 * `alongside` is a data-modifying statement the job belongs with (the write that asks for it), run in the
 * same statement as a CTE: one round trip instead of two, and it commits or fails with the job.
 */
export async function enqueue<T extends object>(
  tx: Db,
  jobs: ClaimedJob[],
  queue: QueueName,
  tenantId: number | null,
  body: T,
  options: { alongside?: postgres.Fragment } = {},
): Promise<T & JobEnvelope> {
  const job = { jobId: randomUUID(), ...body }
  // clock_timestamp(), not now(): the claim runs from the insert, not from the transaction's start.
  const [row] = await tx<{ id: string }[]>`
    ${options.alongside ? tx`WITH alongside AS (${options.alongside})` : tx``}
    INSERT INTO outbox (tenant_id, queue, body, claimed_until)
    VALUES (${tenantId}, ${queue}, ${tx.json(job)}, clock_timestamp() + ${CLAIM}::interval)
    RETURNING id`
  jobs.push({ id: row!.id, queue, body: job })
  return job
}

/**
 * Publishes the jobs a request or job enqueued ({@link enqueue}), after its transaction committed: sends
 * them, one send per queue, and marks them published by id, without scanning the outbox. Only the queues
 * this process may send to (`queue.sendable`: a Lambda is granted the queues its route-table entry names);
 * a job for another queue is left to the sweep. A failure is logged, not thrown: the data is saved and
 * the sweep delivers the job once its claim expires, so the caller must not retry (and duplicate) its work.
 */
export async function publishJobs(
  deps: { sql: Db; queue: QueuePort },
  jobs: readonly ClaimedJob[],
): Promise<void> {
  const only = deps.queue.sendable
  const mine = only ? jobs.filter((j) => only.includes(j.queue)) : jobs
  if (mine.length === 0) return
  try {
    await sendClaimedRows(deps.sql, deps.queue, mine)
  } catch (error) {
    logger.warn('outbox publish failed; the sweep will retry', { error: error as Error })
  }
}

/**
 * The sweep's step: moves committed outbox rows that nobody owns (their caller's claim expired: a crash
 * between commit and publish, a failed send) to the queue, those of the queues it may send to. Rows are
 * claimed for 30 s (SKIP LOCKED lets concurrent sweeps share the work) and marked published after the
 * send; no transaction is held while sending, so a slow queue never blocks the database. A failed send
 * leaves its rows to the next sweep once the claim expires; a crash after sending re-sends, and
 * consumers are idempotent on `jobId`.
 */
async function publishOutbox(sql: Db, queue: QueuePort, limit = 100): Promise<number> {
  // Only the queues this process may send to: claiming another's rows would fail their send and hold
  // them back for another 30 s.
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
    await sql`UPDATE outbox SET published_at = now() WHERE id IN ${sql(group.ids)} AND published_at IS NULL`
  }
}

/**
 * The outbox sweep (functions/schedule/outbox-sweep.ts): publishes what was left when it started. It
 * stops at the first batch that is not full, since that claim saw every unowned committed row; rows
 * whose claims expire meanwhile are the next run's. Returns how many were sent.
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
