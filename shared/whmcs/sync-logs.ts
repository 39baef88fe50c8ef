/**
 * How WHMCS sync runs start and what they record, around the run itself (whmcs-sync.ts): the `sync` job
 * and its triggers (manual request, schedule), the run's `integration_sync_logs` row — its lock, resume
 * point and progress — and the log list the API shows. whmcs-sync.ts's module comment explains the
 * resume and lock rules this row implements.
 */

import { audit } from '../audit/record.ts'
import { beforeCursor, type Db, type Sql } from '../db/sql.ts'
import { ConflictError, found } from '../errors.ts'
import { whmcsConfigured } from '../identity/tenants.ts'
import { enqueueSync, type SyncJob, type SyncTrigger } from '../queue/jobs.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { queues } from '../routes.ts'

/** What a run keeps in `integration_sync_logs.metadata_json` (never credentials). */
export interface SyncMetadata {
  jobId?: string
  trigger: SyncTrigger
  statusFilter: string
  pageSize: number
  /** Where this run started paging. */
  startLimitstart: number
  /** Where the next page starts: the resume point after a failure. */
  limitstart: number
  totalresults?: number
  /** When the sweep this run belongs to began (carried over by resumed runs). */
  sweepStartedAt: string
  resumedFromLogId?: number
  /** Failed runs in a row within this sweep. */
  failures: number
  heartbeatAt: string
  complete: boolean
  pages: number
  detailsFetched: number
  ticketsCreated: number
  ticketsUpdated: number
  messagesAdded: number
  draftsQueued: number
  reconciled: number
}

/** The sync queue's visibility timeout: a run must end (or hand over) within it. */
export const SYNC_TIMEOUT_MS = (queues.find((q) => q.name === 'sync')?.timeoutSeconds ?? 300) * 1000
/** A `running` log without a heartbeat for this long belongs to a worker that died. */
const SYNC_STALE_MS = SYNC_TIMEOUT_MS
const MAX_FAILURES_BEFORE_RESTART = 3

// ---------------------------------------------------------------------------------------------------
// Triggers

/** Enqueues one sync job for a tenant, in the caller's transaction. */
async function queueWhmcsSync(tx: Db, jobs: ClaimedJob[], tenantId: number, trigger: SyncTrigger) {
  return enqueueSync(tx, jobs, tenantId, trigger)
}

/**
 * `POST /integrations/whmcs/sync`: queues a manual sync of the tenant.
 *
 * @throws ConflictError (409) when the tenant has no WHMCS connection configured
 */
export async function requestManualSync(
  sql: Sql,
  tenantId: number,
  userId: number | null,
  jobs: ClaimedJob[],
) {
  return sql.begin(async (tx) => {
    const tenant = found(
      await tx<{ configured: boolean }[]>`
        SELECT (${whmcsConfigured(tx)}) AS configured FROM tenants WHERE id = ${tenantId} AND is_active`,
      'tenant',
    )
    if (!tenant.configured) {
      throw new ConflictError(
        'WHMCS is not configured for this tenant (PATCH /tenants/{id} with whmcsUrl, whmcsIdentifier, whmcsSecret)',
      )
    }
    const job = await queueWhmcsSync(tx, jobs, tenantId, 'manual')
    await audit(tx, {
      tenantId,
      userId,
      action: 'sync_requested',
      entityType: 'integration_sync',
      details: { system: 'whmcs', jobId: job.jobId },
    })
    return { queued: true as const, jobId: job.jobId }
  })
}

/** The schedule: one `sync` job per active tenant with WHMCS configured. Returns how many were queued. */
export async function queueScheduledSyncs(sql: Sql, jobs: ClaimedJob[]): Promise<number> {
  return sql.begin(async (tx) => {
    const tenants = await tx<{ id: number }[]>`
      SELECT id FROM tenants WHERE is_active AND ${whmcsConfigured(tx)} ORDER BY id`
    for (const t of tenants) await queueWhmcsSync(tx, jobs, t.id, 'schedule')
    return tenants.length
  })
}

// ---------------------------------------------------------------------------------------------------
// The log list

export interface SyncLogView {
  id: number
  system: string
  direction: 'inbound' | 'outbound'
  status: 'pending' | 'running' | 'success' | 'failed'
  recordsProcessed: number
  errorMessage: string | null
  startedAt: Date
  completedAt: Date | null
  metadata: Record<string, unknown>
}

/** Sync runs of one tenant, newest first (keyset on id). */
export async function listSyncLogs(
  sql: Sql,
  tenantId: number,
  q: { cursor?: number; limit: number; status?: SyncLogView['status'] },
): Promise<SyncLogView[]> {
  return sql<SyncLogView[]>`
    SELECT id, system, direction, status, records_processed, error_message, started_at, completed_at,
           metadata_json AS metadata
    FROM integration_sync_logs
    WHERE tenant_id = ${tenantId}
      ${q.status ? sql`AND status = ${q.status}` : sql``}
      ${beforeCursor(sql, q.cursor)}
    ORDER BY id DESC LIMIT ${q.limit + 1}`
}

// ---------------------------------------------------------------------------------------------------
// The run's log row

export type Begun =
  | { logId: number; meta: SyncMetadata }
  | { skipped: 'already_running' | 'job_done'; logId?: number }

/** Takes the tenant's sync "lock" (its `running` log row) and decides where this run starts. */
export async function beginRun(
  sql: Sql,
  job: SyncJob,
  opts: { status: string; pageSize: number },
): Promise<Begun> {
  return sql.begin(async (tx): Promise<Begun> => {
    // Serialises concurrent runs of one tenant (schedule + manual, or a redelivered job).
    await tx`SELECT id FROM tenants WHERE id = ${job.tenantId} FOR UPDATE`
    if (job.jobId) {
      const [done] = await tx<{ id: number }[]>`
        SELECT id FROM integration_sync_logs
        WHERE tenant_id = ${job.tenantId} AND system = 'whmcs' AND direction = 'inbound'
          AND status = 'success' AND metadata_json->>'jobId' = ${job.jobId}`
      if (done) return { skipped: 'job_done', logId: done.id }
    }
    const [last] = await tx<
      { id: number; status: string; startedAt: Date; metadataJson: Partial<SyncMetadata>; now: Date }[]
    >`
      SELECT id, status, started_at, metadata_json, now() AS now FROM integration_sync_logs
      WHERE tenant_id = ${job.tenantId} AND system = 'whmcs' AND direction = 'inbound'
      ORDER BY id DESC LIMIT 1`
    const dbNow = last?.now ?? new Date()
    if (last?.status === 'running') {
      const heartbeat = new Date(last.metadataJson.heartbeatAt ?? last.startedAt)
      // The queue delivers a job again only once its earlier delivery is gone (crash, restart, timeout):
      // a row held by this very job is a dead run to take over now, not a live one to wait for. Should the
      // earlier delivery still be alive, its next page sees the row is no longer its own and stops.
      const ownJob = job.jobId !== undefined && last.metadataJson.jobId === job.jobId
      if (!ownJob && dbNow.getTime() - heartbeat.getTime() < SYNC_STALE_MS)
        return { skipped: 'already_running', logId: last.id }
      await tx`
        UPDATE integration_sync_logs SET status = 'failed', completed_at = now(),
          error_message = ${ownJob ? 'interrupted: the job was delivered again after its worker stopped (crash or restart)' : 'interrupted: the worker stopped before finishing (timeout or crash)'},
          metadata_json = metadata_json || ${tx.json({ complete: false, failures: (last.metadataJson.failures ?? 0) + 1 })}
        WHERE id = ${last.id}`
      last.status = 'failed'
      last.metadataJson.complete = false
      last.metadataJson.failures = (last.metadataJson.failures ?? 0) + 1
    }

    const prev = last?.metadataJson
    const resumable =
      prev &&
      prev.complete === false &&
      (prev.limitstart ?? 0) > 0 &&
      prev.statusFilter === opts.status &&
      (last.status !== 'failed' || (prev.failures ?? 0) < MAX_FAILURES_BEFORE_RESTART)
    const startLimitstart = resumable ? Math.max(0, (prev.limitstart ?? 0) - opts.pageSize) : 0
    const [row] = await tx<{ id: number; startedAt: Date }[]>`
      INSERT INTO integration_sync_logs (tenant_id, system, direction, status, started_at)
      VALUES (${job.tenantId}, 'whmcs', 'inbound', 'running', now()) RETURNING id, started_at`
    const meta: SyncMetadata = {
      ...(job.jobId ? { jobId: job.jobId } : {}),
      trigger: job.trigger,
      statusFilter: opts.status,
      pageSize: opts.pageSize,
      startLimitstart,
      limitstart: startLimitstart,
      sweepStartedAt: resumable && prev.sweepStartedAt ? prev.sweepStartedAt : row!.startedAt.toISOString(),
      ...(resumable ? { resumedFromLogId: last.id } : {}),
      failures: resumable && last.status === 'failed' ? (prev.failures ?? 0) : 0,
      heartbeatAt: row!.startedAt.toISOString(),
      complete: false,
      pages: 0,
      detailsFetched: 0,
      ticketsCreated: 0,
      ticketsUpdated: 0,
      messagesAdded: 0,
      draftsQueued: 0,
      reconciled: 0,
    }
    await tx`UPDATE integration_sync_logs SET metadata_json = ${tx.json(meta as never)} WHERE id = ${row!.id}`
    return { logId: row!.id, meta }
  })
}

/** Thrown inside a page's transaction when another delivery of the job took the run over. */
export class RunTakenOver extends Error {}

/**
 * Moves the run's log row forward in the page's transaction. The row must still be `running`: if a
 * redelivery of the job took it over, this run is a leftover, and its page rolls back instead of
 * racing the new run.
 */
export async function saveProgress(
  tx: Db,
  ctx: { tenantId: number; logId: number; meta: SyncMetadata },
  records: number,
): Promise<void> {
  const rows = await tx`
    UPDATE integration_sync_logs SET records_processed = records_processed + ${records},
      metadata_json = ${tx.json(ctx.meta as never)}
    WHERE id = ${ctx.logId} AND tenant_id = ${ctx.tenantId} AND status = 'running' RETURNING id`
  if (rows.length === 0) throw new RunTakenOver(`sync log ${ctx.logId} was taken over`)
}
