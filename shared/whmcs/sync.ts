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

import { audit } from '../audit/record.ts'
import type { Db } from '../db/sql.ts'
import type { Deps } from '../deps.ts'
import { loadWhmcsCredentials, type WhmcsCredentials } from '../identity/tenants.ts'
import { logger } from '../logger.ts'
import type { SyncJob } from '../queue/jobs.ts'
import { type ClaimedJob, publishJobs } from '../queue/outbox.ts'
import { ACTIVE_STATUSES } from '../tickets/status.ts'
import {
  WhmcsApiError,
  type WhmcsClient,
  type WhmcsClientOptions,
  WhmcsError,
  type WhmcsTicket,
  type WhmcsTicketSummary,
} from './client.ts'
import { fieldsFromDetail, ingestWhmcsThread, messagesFromDetail, upsertWhmcsTicket } from './inbound.ts'
import { redactCredentials } from './redact.ts'
import { beginRun, RunTakenOver, SYNC_TIMEOUT_MS, type SyncMetadata, saveProgress } from './sync-logs.ts'
import { tenantWhmcsClient } from './tenant-client.ts'

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

export type SyncDeps = Pick<Deps, 'sql' | 'queue' | 'dataKey' | 'config'>

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

const DEFAULTS = {
  pageSize: 25,
  status: 'All Active Tickets',
  concurrency: 5,
  reconcileLimit: 50,
}

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
  const client = tenantWhmcsClient(deps.config, creds, opts.client)
  const ctx: RunContext = { deps, tenantId: job.tenantId, logId, meta, client, creds, opts, processed: 0 }
  logger.info('whmcs sync started', {
    tenantId: job.tenantId,
    logId,
    trigger: job.trigger,
    startLimitstart: meta.startLimitstart,
  })

  try {
    const complete = await pageThrough(ctx, started)
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
    return failRun(ctx, error)
  }
}

/**
 * Pages through GetTickets from the run's resume point, each ticket once even when it moves between pages.
 * Returns false when the time budget ran out before the last page (the next run resumes there).
 */
async function pageThrough(ctx: RunContext, started: number): Promise<boolean> {
  const { opts, meta } = ctx
  const seen = new Set<number>()
  for await (const page of ctx.client.iterateTickets({
    status: opts.status || undefined,
    pageSize: opts.pageSize,
    startAt: meta.startLimitstart,
  })) {
    const fresh = page.tickets.filter((t) => !seen.has(t.id))
    for (const t of fresh) seen.add(t.id)
    await processPage(ctx, fresh, page.nextLimitstart, page.totalresults)
    if (Date.now() - started > opts.budgetMs && page.nextLimitstart < page.totalresults) return false
  }
  return true
}

/**
 * Ends a run that failed: `failed` with the reason tenants read in their sync logs. WHMCS's own errors are
 * returned (the next scheduled run resumes); anything else is thrown for the queue to retry, and only
 * logged in full, since a database error or a bug says nothing a tenant can act on and may name internals.
 */
async function failRun(ctx: RunContext, error: unknown): Promise<SyncOutcome> {
  const { deps, tenantId, logId, meta, creds } = ctx
  // The run's row belongs to the delivery that took over; nothing here may touch it.
  if (error instanceof RunTakenOver) {
    logger.warn('whmcs sync stopped: taken over by a redelivery of its job', { tenantId, logId })
    return { outcome: 'skipped', reason: 'already_running', logId }
  }
  const message = redactCredentials(error instanceof Error ? error.message : String(error), creds)
  const shown = error instanceof WhmcsError ? message : 'internal error; the sync is retried'
  await deps.sql`
    UPDATE integration_sync_logs SET status = 'failed', completed_at = now(), error_message = ${shown},
      metadata_json = metadata_json || ${deps.sql.json({ complete: false, failures: meta.failures + 1 })}
    WHERE id = ${logId}`
  logger.warn('whmcs sync failed', { tenantId, logId, error: message })
  if (!(error instanceof WhmcsError)) throw new Error(message)
  return { outcome: 'failed', logId, recordsProcessed: ctx.processed, complete: false, error: message }
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
  const jobs: ClaimedJob[] = []
  await sql.begin(async (tx) => {
    for (const summary of summaries) {
      const detail = details.get(summary.id)
      const before = existing.get(summary.id)
      if (detail) {
        const result = await storeDetail(tx, jobs, ctx, detail)
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
  // The page's drafts start while the run goes on to the next page.
  await publishJobs(ctx.deps, jobs)
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

async function storeDetail(tx: Db, jobs: ClaimedJob[], ctx: RunContext, detail: WhmcsTicket) {
  const result = await ingestWhmcsThread(
    tx,
    jobs,
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
      AND status IN ${sql(ACTIVE_STATUSES)}
      AND coalesce(whmcs_synced_at, created_at) < ${new Date(ctx.meta.sweepStartedAt)}
    ORDER BY id LIMIT ${ctx.opts.reconcileLimit}`
  if (unseen.length === 0) return
  const ids = unseen.map((u) => u.whmcsTicketId)
  const details = await fetchDetails(ctx, ids)
  const jobs: ClaimedJob[] = []
  await sql.begin(async (tx) => {
    for (const id of ids) {
      const detail = details.get(id)
      if (detail) await storeDetail(tx, jobs, ctx, detail)
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
  await publishJobs(ctx.deps, jobs)
}
