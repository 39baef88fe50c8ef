/**
 * Scheduled (and manual) WHMCS → Draftdesk sync.
 *
 * WHMCS has no "changed since" filter, so a run pages through GetTickets (summaries, no bodies) and calls
 * GetTicket only for tickets whose `lastreply` differs from the one stored, or that are new. Status and
 * priority come with the summary, so a status-only change costs no GetTicket either. A run with nothing
 * changed is therefore one GetTickets call per page and nothing else.
 *
 * Which tickets: WHMCS's "All Active Tickets" (every status but Closed). Closed tickets need no draft, and
 * listing an install's whole history every five minutes would not scale. A ticket closed in WHMCS drops out
 * of that list, so at the end of a full sweep the tickets still active here that the sweep did not see are
 * re-read with GetTicket (at most `reconcileLimit` per run); that also catches tickets deleted in WHMCS.
 *
 * Progress: every page is one transaction that stores its tickets and messages, queues their drafts and
 * moves the run's `integration_sync_logs` row forward (`records_processed`, `metadata_json.limitstart`).
 * A run that fails keeps what its committed pages stored; the next run resumes one page before where it
 * stopped (the overlap covers tickets that left the list and shifted later ones forward), and re-seen
 * tickets cost nothing because their `lastreply` is unchanged. After three failed runs in a row at the same
 * sweep, the next one starts from the top again, so a poison page cannot hide fresh activity for ever.
 *
 * Concurrency: one run per tenant at a time. The run's log row is the lock, taken under a row lock on the
 * tenant; a `running` row whose heartbeat is older than the sync queue's timeout belongs to a dead worker
 * and is marked failed (and resumed).
 */
import type { Db, Sql } from '../db/sql.ts'
import type { Deps } from '../deps.ts'
import { ConflictError, NotFoundError } from '../http/errors.ts'
import { logger } from '../logger.ts'
import { enqueue, publishOutbox } from '../queue/outbox.ts'
import { queues } from '../routes.ts'
import {
  WhmcsApiError,
  WhmcsClient,
  type WhmcsClientOptions,
  WhmcsError,
  type WhmcsTicket,
  type WhmcsTicketSummary,
} from '../whmcs/client.ts'
import { parseWhmcsDate } from '../whmcs/mapping.ts'
import { audit } from './audit.ts'
import { loadWhmcsCredentials, type WhmcsCredentials } from './tenants.ts'
import {
  ingestWhmcsThread,
  isDraftdeskReply,
  openingMessageId,
  upsertWhmcsTicket,
  type WhmcsMessage,
  type WhmcsTicketFields,
} from './whmcs-inbound.ts'

export type SyncTrigger = 'schedule' | 'manual'

export interface SyncJob {
  tenantId: number
  trigger: SyncTrigger
  jobId?: string
}

export interface SyncOptions {
  /** GetTickets `limitnum` (WHMCS's default page is 25). */
  pageSize?: number
  /** GetTickets `status`; `''` lists every ticket. */
  status?: string
  /** Parallel GetTicket calls within a page. */
  concurrency?: number
  /** Unseen active tickets re-read at the end of a sweep, per run. */
  reconcileLimit?: number
  /** Stop paging (and leave the rest to the next run) after this long; below the worker's timeout. */
  budgetMs?: number
  /** Overrides for the WHMCS client (tests: fast retries). */
  client?: Partial<Omit<WhmcsClientOptions, 'url' | 'identifier' | 'secret' | 'accessKey'>>
}

export type SyncDeps = Pick<Deps, 'sql' | 'queue' | 'dataKey'>

export type SyncOutcome =
  | { outcome: 'skipped'; reason: 'not_configured' | 'already_running' | 'job_done'; logId?: number }
  | {
      outcome: 'success' | 'failed'
      logId: number
      recordsProcessed: number
      /** False when the run stopped early (failure or time budget) and the next one resumes. */
      complete: boolean
      error?: string
    }

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

const DEFAULTS = {
  pageSize: 25,
  status: 'All Active Tickets',
  concurrency: 5,
  reconcileLimit: 50,
}
const SYNC_TIMEOUT_MS = (queues.find((q) => q.name === 'sync')?.timeoutSeconds ?? 300) * 1000
/** A `running` log without a heartbeat for this long belongs to a worker that died. */
export const SYNC_STALE_MS = SYNC_TIMEOUT_MS
const MAX_FAILURES_BEFORE_RESTART = 3

// ---------------------------------------------------------------------------------------------------
// Triggers

/** Enqueues one sync job for a tenant, in the caller's transaction. */
export async function queueWhmcsSync(tx: Db, tenantId: number, trigger: SyncTrigger) {
  return enqueue(tx, 'sync', tenantId, { tenantId, trigger })
}

const configured = (sql: Db) =>
  sql`whmcs_url IS NOT NULL AND whmcs_api_identifier IS NOT NULL AND whmcs_api_secret IS NOT NULL`

/**
 * `POST /integrations/whmcs/sync`: queues a manual sync of the tenant.
 *
 * @throws ConflictError (409) when the tenant has no WHMCS connection configured
 */
export async function requestManualSync(sql: Sql, tenantId: number, userId: number | null) {
  return sql.begin(async (tx) => {
    const [tenant] = await tx<{ configured: boolean }[]>`
      SELECT (${configured(tx)}) AS configured FROM tenants WHERE id = ${tenantId} AND is_active`
    if (!tenant) throw new NotFoundError('tenant')
    if (!tenant.configured) {
      throw new ConflictError(
        'WHMCS is not configured for this tenant (PATCH /tenants/{id} with whmcsUrl, whmcsIdentifier, whmcsSecret)',
      )
    }
    const job = await queueWhmcsSync(tx, tenantId, 'manual')
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
export async function queueScheduledSyncs(sql: Sql): Promise<number> {
  return sql.begin(async (tx) => {
    const tenants = await tx<{ id: number }[]>`
      SELECT id FROM tenants WHERE is_active AND ${configured(tx)} ORDER BY id`
    for (const t of tenants) await queueWhmcsSync(tx, t.id, 'schedule')
    return tenants.length
  })
}

// ---------------------------------------------------------------------------------------------------
// Logs

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
      ${q.cursor ? sql`AND id < ${q.cursor}` : sql``}
    ORDER BY id DESC LIMIT ${q.limit + 1}`
}

// ---------------------------------------------------------------------------------------------------
// The run

interface ExistingTicket {
  whmcsTicketId: number
  whmcsLastreply: string | null
  whmcsStatus: string | null
  whmcsPriority: string | null
}

/**
 * Runs one sync of a tenant's WHMCS tickets (the `sync` worker's job). See the module comment for the
 * algorithm. WHMCS failures end the run as `failed` with WHMCS's message and are not thrown: the next
 * scheduled run resumes, and retrying at once rarely helps a WHMCS that just failed. Anything else (a
 * database error, a bug) is recorded the same way and then thrown, so the queue retries it.
 */
export async function runWhmcsSync(
  deps: SyncDeps,
  job: SyncJob,
  options: SyncOptions = {},
): Promise<SyncOutcome> {
  const { sql } = deps
  const opts = { ...DEFAULTS, budgetMs: SYNC_TIMEOUT_MS - 30_000, ...options }
  const creds = await loadWhmcsCredentials(sql, deps.dataKey, job.tenantId)
  if (!creds) {
    logger.info('whmcs sync skipped: not configured', { tenantId: job.tenantId })
    return { outcome: 'skipped', reason: 'not_configured' }
  }

  const begun = await beginRun(sql, job, opts)
  if ('skipped' in begun)
    return { outcome: 'skipped', reason: begun.skipped, ...(begun.logId ? { logId: begun.logId } : {}) }
  const { logId, meta } = begun
  const started = Date.now()
  const client = new WhmcsClient({
    url: creds.url,
    identifier: creds.identifier,
    secret: creds.secret,
    accessKey: creds.accessKey,
    ...opts.client,
  })
  const ctx: RunContext = { deps, tenantId: job.tenantId, logId, meta, client, creds, opts, processed: 0 }
  logger.info('whmcs sync started', {
    tenantId: job.tenantId,
    logId,
    trigger: job.trigger,
    startLimitstart: meta.startLimitstart,
  })

  try {
    const seen = new Set<number>()
    let complete = true
    for await (const page of client.iterateTickets({
      status: opts.status || undefined,
      pageSize: opts.pageSize,
      startAt: meta.startLimitstart,
    })) {
      const fresh = page.tickets.filter((t) => !seen.has(t.id))
      for (const t of fresh) seen.add(t.id)
      await processPage(ctx, fresh, page.nextLimitstart, page.totalresults)
      if (Date.now() - started > opts.budgetMs && page.nextLimitstart < page.totalresults) {
        complete = false
        break
      }
    }
    if (complete) await reconcileUnseen(ctx)
    const finished = await sql`
      UPDATE integration_sync_logs SET status = 'success', completed_at = now(), error_message = NULL,
        metadata_json = metadata_json || ${sql.json({ complete, failures: 0 })}
      WHERE id = ${logId} AND status = 'running' RETURNING id`
    if (finished.length === 0) throw new RunTakenOver(`sync log ${logId} was taken over`)
    logger.info('whmcs sync finished', {
      tenantId: job.tenantId,
      logId,
      complete,
      recordsProcessed: ctx.processed,
      detailsFetched: meta.detailsFetched,
      ms: Date.now() - started,
    })
    return { outcome: 'success', logId, recordsProcessed: ctx.processed, complete }
  } catch (error) {
    // The run's row belongs to the delivery that took over; nothing here may touch it.
    if (error instanceof RunTakenOver) {
      logger.warn('whmcs sync stopped: taken over by a redelivery of its job', {
        tenantId: job.tenantId,
        logId,
      })
      return { outcome: 'skipped', reason: 'already_running', logId }
    }
    const message = redactCredentials(error instanceof Error ? error.message : String(error), creds)
    await sql`
      UPDATE integration_sync_logs SET status = 'failed', completed_at = now(), error_message = ${message},
        metadata_json = metadata_json || ${sql.json({ complete: false, failures: meta.failures + 1 })}
      WHERE id = ${logId}`
    logger.warn('whmcs sync failed', { tenantId: job.tenantId, logId, error: message })
    if (!(error instanceof WhmcsError)) throw new Error(message)
    return { outcome: 'failed', logId, recordsProcessed: ctx.processed, complete: false, error: message }
  }
}

type Begun =
  | { logId: number; meta: SyncMetadata }
  | { skipped: 'already_running' | 'job_done'; logId?: number }

/** Takes the tenant's sync "lock" (its `running` log row) and decides where this run starts. */
async function beginRun(sql: Sql, job: SyncJob, opts: Required<Omit<SyncOptions, 'client'>>): Promise<Begun> {
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

interface RunContext {
  deps: SyncDeps
  tenantId: number
  logId: number
  meta: SyncMetadata
  client: WhmcsClient
  creds: WhmcsCredentials
  opts: Required<Omit<SyncOptions, 'client'>>
  processed: number
}

/** Fetches what changed on one page (no transaction open), then stores the page in one transaction. */
async function processPage(
  ctx: RunContext,
  summaries: WhmcsTicketSummary[],
  nextLimitstart: number,
  totalresults: number,
): Promise<void> {
  const { sql } = ctx.deps
  const ids = summaries.map((s) => s.id)
  const existing = new Map<number, ExistingTicket>()
  if (ids.length > 0) {
    const rows = await sql<ExistingTicket[]>`
      SELECT whmcs_ticket_id, whmcs_lastreply, metadata_json->>'whmcsStatus' AS whmcs_status,
             metadata_json->>'whmcsPriority' AS whmcs_priority
      FROM tickets WHERE tenant_id = ${ctx.tenantId} AND whmcs_ticket_id IN ${sql(ids)}`
    for (const r of rows) existing.set(r.whmcsTicketId, r)
  }
  const changed = summaries.filter((s) => existing.get(s.id)?.whmcsLastreply !== s.lastreply)
  const details = await fetchDetails(
    ctx,
    changed.map((s) => s.id),
  )

  const counts = { created: 0, updated: 0, messages: 0, drafts: 0 }
  await sql.begin(async (tx) => {
    for (const summary of summaries) {
      const detail = details.get(summary.id)
      const before = existing.get(summary.id)
      if (detail) {
        const result = await storeDetail(tx, ctx, detail)
        count(counts, result)
      } else if (
        before &&
        (before.whmcsStatus !== summary.status || before.whmcsPriority !== summary.priority)
      ) {
        // Status or priority changed in WHMCS without a new reply: the summary has all we need.
        await upsertWhmcsTicket(tx, ctx.tenantId, {
          whmcsTicketId: summary.id,
          whmcsStatus: summary.status,
          whmcsPriority: summary.priority,
        })
        counts.updated++
      }
    }
    if (ids.length > 0) {
      await tx`
        UPDATE tickets SET whmcs_synced_at = now()
        WHERE tenant_id = ${ctx.tenantId} AND whmcs_ticket_id IN ${tx(ids)}`
    }
    ctx.meta.pages++
    ctx.meta.limitstart = nextLimitstart
    ctx.meta.totalresults = totalresults
    ctx.meta.detailsFetched += details.size
    ctx.meta.ticketsCreated += counts.created
    ctx.meta.ticketsUpdated += counts.updated
    ctx.meta.messagesAdded += counts.messages
    ctx.meta.draftsQueued += counts.drafts
    ctx.meta.heartbeatAt = new Date().toISOString()
    await saveProgress(tx, ctx, summaries.length)
  })
  ctx.processed += summaries.length
  await publish(ctx.deps)
}

function count(
  counts: { created: number; updated: number; messages: number; drafts: number },
  r: Awaited<ReturnType<typeof ingestWhmcsThread>>,
) {
  if (r.created) counts.created++
  else counts.updated++
  counts.messages += r.messagesAdded
  if (r.draftQueued) counts.drafts++
}

/**
 * GetTicket for each id, `concurrency` at a time. A ticket deleted between GetTickets and GetTicket is
 * skipped; any other failure fails the page (nothing of it is stored, so the next run redoes it).
 */
async function fetchDetails(ctx: RunContext, ids: number[]): Promise<Map<number, WhmcsTicket>> {
  const out = new Map<number, WhmcsTicket>()
  let next = 0
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!
      try {
        out.set(id, await ctx.client.getTicket(id))
      } catch (error) {
        if (!isTicketNotFound(error)) throw error
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(ctx.opts.concurrency, ids.length) }, worker))
  return out
}

const isTicketNotFound = (error: unknown) =>
  error instanceof WhmcsApiError && /ticket id not found/i.test(error.whmcsMessage)

/** Ticket fields of a GetTicket answer. */
export function fieldsFromDetail(d: WhmcsTicket): WhmcsTicketFields {
  const opening = d.replies.find((r) => r.replyid === 0)
  return {
    whmcsTicketId: d.ticketid,
    tid: d.tid,
    subject: d.subject,
    content: opening?.message || d.subject,
    whmcsStatus: d.status,
    whmcsPriority: d.priority,
    department: d.deptname || undefined,
    deptId: d.deptid,
    clientEmail: d.email || undefined,
    whmcsUserId: d.userid || undefined,
    lastreply: d.lastreply,
  }
}

/**
 * The thread of a GetTicket answer, oldest first (WHMCS's default order), without Draftdesk's own replies
 * and empty entries.
 */
export function messagesFromDetail(d: WhmcsTicket, adminUsername: string | undefined): WhmcsMessage[] {
  return d.replies
    .filter((r) => r.message.trim() !== '' && !isDraftdeskReply(r.message, r.admin, adminUsername))
    .map((r) => ({
      externalId: r.replyid === 0 ? openingMessageId(d.ticketid) : String(r.replyid),
      role: r.admin ? ('agent' as const) : ('user' as const),
      content: r.message,
      createdAt: parseWhmcsDate(r.date),
      metadata: { via: 'sync', ...(r.admin ? { admin: r.admin } : { name: r.name }) },
    }))
}

async function storeDetail(tx: Db, ctx: RunContext, detail: WhmcsTicket) {
  const result = await ingestWhmcsThread(
    tx,
    ctx.tenantId,
    fieldsFromDetail(detail),
    messagesFromDetail(detail, ctx.creds.adminUsername),
  )
  if (result.created || result.messagesAdded > 0 || result.statusChanged) {
    await audit(tx, {
      tenantId: ctx.tenantId,
      action: 'ticket_synced',
      entityType: 'ticket',
      entityId: result.ticketId,
      ticketId: result.ticketId,
      details: {
        via: 'sync',
        syncLogId: ctx.logId,
        created: result.created,
        messagesAdded: result.messagesAdded,
        status: result.status,
      },
    })
  }
  return result
}

/**
 * End of a full sweep: tickets still active here that the sweep did not list have left WHMCS's active
 * set (closed, custom inactive status) or were deleted. Re-read them so their status follows WHMCS.
 */
async function reconcileUnseen(ctx: RunContext): Promise<void> {
  const { sql } = ctx.deps
  const unseen = await sql<{ whmcsTicketId: number }[]>`
    SELECT whmcs_ticket_id FROM tickets
    WHERE tenant_id = ${ctx.tenantId} AND whmcs_ticket_id IS NOT NULL
      AND status NOT IN ('closed', 'resolved')
      AND coalesce(whmcs_synced_at, created_at) < ${new Date(ctx.meta.sweepStartedAt)}
    ORDER BY id LIMIT ${ctx.opts.reconcileLimit}`
  if (unseen.length === 0) return
  const ids = unseen.map((u) => u.whmcsTicketId)
  const details = await fetchDetails(ctx, ids)
  await sql.begin(async (tx) => {
    for (const id of ids) {
      const detail = details.get(id)
      if (detail) await storeDetail(tx, ctx, detail)
      else {
        // Deleted in WHMCS: nothing left to answer there.
        await upsertWhmcsTicket(
          tx,
          ctx.tenantId,
          { whmcsTicketId: id, whmcsStatus: 'Closed' },
          { forceStatus: true },
        )
        await tx`
          UPDATE tickets SET metadata_json = metadata_json || ${tx.json({ whmcsDeleted: true })}
          WHERE tenant_id = ${ctx.tenantId} AND whmcs_ticket_id = ${id}`
      }
    }
    await tx`
      UPDATE tickets SET whmcs_synced_at = now()
      WHERE tenant_id = ${ctx.tenantId} AND whmcs_ticket_id IN ${tx(ids)}`
    ctx.meta.reconciled += ids.length
    ctx.meta.detailsFetched += details.size
    await saveProgress(tx, ctx, 0)
  })
  await publish(ctx.deps)
}

/** Thrown inside a page's transaction when another delivery of the job took the run over. */
class RunTakenOver extends Error {}

/**
 * Moves the run's log row forward in the page's transaction. The row must still be `running`: if a
 * redelivery of the job took it over, this run is a leftover, and its page rolls back instead of
 * racing the new run.
 */
async function saveProgress(tx: Db, ctx: RunContext, records: number): Promise<void> {
  const rows = await tx`
    UPDATE integration_sync_logs SET records_processed = records_processed + ${records},
      metadata_json = ${tx.json(ctx.meta as never)}
    WHERE id = ${ctx.logId} AND tenant_id = ${ctx.tenantId} AND status = 'running' RETURNING id`
  if (rows.length === 0) throw new RunTakenOver(`sync log ${ctx.logId} was taken over`)
}

/** Publishes the drafts a page queued; a failure is left to the outbox sweep (the data is committed). */
async function publish(deps: SyncDeps): Promise<void> {
  try {
    await publishOutbox(deps.sql, deps.queue)
  } catch (error) {
    logger.warn('outbox publish failed; the sweep will retry', { error: (error as Error).message })
  }
}

/** Last line of defence: no credential may reach a log row or a log line, whatever produced the text. */
export function redactCredentials(message: string, creds: WhmcsCredentials): string {
  let out = message
  for (const secret of [creds.identifier, creds.secret, creds.accessKey]) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]')
  }
  return out.slice(0, 2000)
}
