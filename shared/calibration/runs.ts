/**
 * Replay runs (issue 28): starting one, cancelling it, and the run row a `calibrate` job works on.
 *
 * One run per tenant at a time: the partial unique index on `calibration_runs (tenant_id) WHERE status =
 * 'running'` is the lock, so two requests racing each other get one run and one 409. The run moves by chunk:
 * each `calibrate` job handles one chunk and queues the next in the transaction that saves the chunk's
 * results, naming that next job in `lease_job`. Only the named job may work on the run, so a redelivery of
 * it (after a crash or a restart) continues, while a stray duplicate of an earlier job stops at once.
 * Cancelling sets the status; the worker sees it when it claims its chunk and when it saves it.
 */
import type { Db, Sql } from '../db/sql.ts'
import { ConflictError, found, NotFoundError } from '../errors.ts'
import { whmcsConfigured } from '../identity/tenants.ts'
import { enqueueReplayChunk } from '../queue/jobs.ts'
import type { ClaimedJob } from '../queue/outbox.ts'

/** Default window of a replay, in days, and the most tickets one replays. */
const REPLAY_DEFAULTS = { days: 90, limit: 500 } as const

type RunStatus = 'running' | 'done' | 'failed' | 'cancelled'
export type RunPhase = 'import' | 'replay' | 'fit' | 'finished'

/** A run as the API shows it. */
export interface RunView {
  id: number
  status: RunStatus
  phase: RunPhase
  params: RunParams
  total: number
  done: number
  errors: number
  error: string | null
  calibrationId: number | null
  startedAt: Date
  finishedAt: Date | null
  cancelledAt: Date | null
}

interface RunParams {
  days: number
  limit: number
  source: 'whmcs' | 'api'
}

/** The run row a job works on, with its import resume point. */
export interface RunRow extends RunView {
  tenantId: number
  cursor: ImportCursor
  leaseJob: string | null
}

/** Where a WHMCS import stands: the status being listed and the next `limitstart`. */
export interface ImportCursor {
  statusIndex?: number
  limitstart?: number
}

const VIEW = (sql: Db) => sql`
  id, status, phase, params, total, done, errors, error, calibration_id, started_at, finished_at, cancelled_at`

const UNIQUE_VIOLATION = '23505'

/**
 * `POST /calibration/replay`: creates the run and queues its first chunk, in one transaction.
 *
 * @throws ConflictError (409) when a replay of the tenant is running
 */
export async function startReplay(
  sql: Sql,
  jobs: ClaimedJob[],
  tenantId: number,
  userId: number | null,
  input: { days?: number; limit?: number },
): Promise<RunView> {
  try {
    return await sql.begin(async (tx) => {
      const tenant = found(
        await tx<{ whmcs: boolean }[]>`
          SELECT (${whmcsConfigured(tx)}) AS whmcs FROM tenants WHERE id = ${tenantId} AND is_active`,
        'tenant',
      )
      const params: RunParams = {
        days: input.days ?? REPLAY_DEFAULTS.days,
        limit: input.limit ?? REPLAY_DEFAULTS.limit,
        source: tenant.whmcs ? 'whmcs' : 'api',
      }
      const [row] = await tx<{ id: number }[]>`
        INSERT INTO calibration_runs (tenant_id, params, created_by)
        VALUES (${tenantId}, ${tx.json(params as never)}, ${userId}) RETURNING id`
      const job = await enqueueReplayChunk(tx, jobs, tenantId, row!.id)
      const [run] = await tx<RunView[]>`
        UPDATE calibration_runs SET lease_job = ${job.jobId ?? null}
        WHERE id = ${row!.id} RETURNING ${VIEW(tx)}`
      return run!
    })
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
      const [running] = await sql<{ id: number }[]>`
        SELECT id FROM calibration_runs WHERE tenant_id = ${tenantId} AND status = 'running'`
      throw new ConflictError('a replay of this tenant is already running', { runId: running?.id ?? null })
    }
    throw error
  }
}

/**
 * `POST /calibration/runs/{id}/cancel`. The worker stops at its next chunk boundary.
 *
 * @throws NotFoundError for another tenant's or an unknown run; ConflictError when it is not running
 */
export async function cancelRun(sql: Sql, tenantId: number, runId: number): Promise<RunView> {
  const [run] = await sql<RunView[]>`
    UPDATE calibration_runs SET status = 'cancelled', cancelled_at = now(), finished_at = now(),
      updated_at = now(), lease_job = NULL
    WHERE id = ${runId} AND tenant_id = ${tenantId} AND status = 'running'
    RETURNING ${VIEW(sql)}`
  if (run) return run
  const [other] = await sql<{ status: RunStatus }[]>`
    SELECT status FROM calibration_runs WHERE id = ${runId} AND tenant_id = ${tenantId}`
  if (!other) throw new NotFoundError('calibration run')
  throw new ConflictError(`the replay is ${other.status}, not running`)
}

/** The tenant's running replay, else its latest one; null when it never ran one. */
export async function currentRun(sql: Db, tenantId: number): Promise<RunView | null> {
  const [run] = await sql<RunView[]>`
    SELECT ${VIEW(sql)} FROM calibration_runs WHERE tenant_id = ${tenantId}
    ORDER BY (status = 'running') DESC, id DESC LIMIT 1`
  return run ?? null
}

/**
 * Claims the run for the job `jobId`: the run must be running and this job the one named to work on it.
 * Null otherwise (cancelled, finished, or a stray duplicate of an earlier chunk's job).
 */
export async function claimRun(sql: Db, tenantId: number, runId: number, jobId: string | undefined) {
  if (!jobId) return null
  const [run] = await sql<RunRow[]>`
    SELECT ${VIEW(sql)}, tenant_id, cursor, lease_job FROM calibration_runs
    WHERE id = ${runId} AND tenant_id = ${tenantId} AND status = 'running' AND lease_job = ${jobId}`
  return run ?? null
}

/** Thrown inside a chunk's transaction when the run was cancelled or handed on meanwhile: roll back. */
export class RunMoved extends Error {}

/**
 * Saves a chunk's progress in its transaction and queues the next chunk (unless `next` is null: the run
 * finished), naming it as the run's only worker. Counters are recounted from the samples, so a chunk done
 * twice never counts twice.
 */
export async function advanceRun(
  tx: Db,
  jobs: ClaimedJob[],
  run: Pick<RunRow, 'id' | 'tenantId' | 'leaseJob'>,
  change: {
    phase: RunPhase
    cursor?: ImportCursor
    next: boolean
    finish?: { calibrationId: number | null }
  },
): Promise<void> {
  const job = change.next ? await enqueueReplayChunk(tx, jobs, run.tenantId, run.id) : null
  const rows = await tx`
    UPDATE calibration_runs r SET phase = ${change.phase},
      cursor = ${tx.json((change.cursor ?? {}) as never)},
      total = c.total, done = c.done, errors = c.errors, lease_job = ${job?.jobId ?? null},
      updated_at = now()
      ${change.finish ? tx`, status = 'done', finished_at = now(), calibration_id = ${change.finish.calibrationId}` : tx``}
    FROM (
      SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'done')::int AS done,
             count(*) FILTER (WHERE status = 'error')::int AS errors
      FROM calibration_samples WHERE run_id = ${run.id} AND tenant_id = ${run.tenantId}
    ) c
    WHERE r.id = ${run.id} AND r.tenant_id = ${run.tenantId} AND r.status = 'running'
      AND r.lease_job = ${run.leaseJob}
    RETURNING r.id`
  if (rows.length === 0) throw new RunMoved(`calibration run ${run.id} was cancelled or handed on`)
}

/** Ends a run that cannot go on (WHMCS refused the import, a bug), with the reason the tenant reads. */
export async function failRun(sql: Db, run: Pick<RunRow, 'id' | 'tenantId' | 'leaseJob'>, reason: string) {
  await sql`
    UPDATE calibration_runs SET status = 'failed', error = ${reason}, finished_at = now(), updated_at = now(),
      lease_job = NULL
    WHERE id = ${run.id} AND tenant_id = ${run.tenantId} AND status = 'running' AND lease_job = ${run.leaseJob}`
}
