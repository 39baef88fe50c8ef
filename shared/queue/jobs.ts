/**
 * The queue contracts: for each queue the zod schema its worker parses with, the type a producer builds,
 * and the one function that enqueues it (in the producer's transaction, through the outbox, into the
 * producer's `jobs` list that its handler publishes after commit). Producers call only these, so a body
 * and its worker cannot drift apart; docs/ARCHITECTURE.md (Queue contracts) lists who produces and
 * consumes each.
 */
import type postgres from 'postgres'
import * as z from 'zod'
import { id } from '../api/common.ts'
import type { Db } from '../db/sql.ts'
import { type ClaimedJob, enqueue, type JobEnvelope } from './outbox.ts'

const positive = z.number().int().positive()

// ---------------------------------------------------------------------------------------------------
// draft: one customer message to answer (functions/workers/draft.ts → generateDraft)

export const draftJobSchema = z.object({
  jobId: z.string().uuid(),
  tenantId: positive,
  ticketId: positive,
  /** The customer message to answer; null answers the latest one. */
  messageId: positive.nullable().default(null),
  trigger: z.enum(['auto', 'regenerate']).default('auto'),
  /** Who asked for a regeneration; null for automatic drafts. */
  userId: positive.nullable().default(null),
})
export type DraftJob = z.output<typeof draftJobSchema>

/**
 * Queues a draft job; callers go through queueDraft (tickets/tickets.ts), which also marks the ticket
 * (`alongside`: that write, run in the job's statement).
 */
export function enqueueDraft(
  tx: Db,
  jobs: ClaimedJob[],
  job: Omit<DraftJob, 'jobId'>,
  alongside?: postgres.Fragment,
): Promise<DraftJob> {
  return enqueue(tx, jobs, 'draft', job.tenantId, job, alongside ? { alongside } : {})
}

// ---------------------------------------------------------------------------------------------------
// embed: (re)index a KB article or an approved reply (functions/workers/embed.ts → knowledge/indexer.ts).
// `jobId` is optional because redelivery is harmless either way.

export const embedJobSchema = z.discriminatedUnion('kind', [
  z.object({
    jobId: z.string().optional(),
    kind: z.literal('article'),
    tenantId: positive.nullable(),
    articleId: positive,
  }),
  z.object({
    jobId: z.string().optional(),
    kind: z.literal('approved_reply'),
    tenantId: positive,
    approvedReplyId: positive,
  }),
])
export type EmbedJob = z.output<typeof embedJobSchema>

/** Queues indexing of a KB article; a null tenant is a global article. */
export function enqueueArticleEmbed(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number | null,
  articleId: number,
): Promise<EmbedJob & JobEnvelope> {
  return enqueue(tx, jobs, 'embed', tenantId, { kind: 'article' as const, tenantId, articleId })
}

/** Queues indexing of an approved reply as a retrieval example. */
export function enqueueApprovedReplyEmbed(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
  approvedReplyId: number,
): Promise<EmbedJob & JobEnvelope> {
  return enqueue(tx, jobs, 'embed', tenantId, { kind: 'approved_reply' as const, tenantId, approvedReplyId })
}

// ---------------------------------------------------------------------------------------------------
// send: a reply to post to WHMCS, or an internal note for an escalated draft (functions/workers/send.ts)

export const sendJobSchema = z.union([
  z.object({ jobId: z.string().optional(), kind: z.literal('note'), tenantId: id, aiReplyId: id }),
  z.object({
    jobId: z.string().optional(),
    kind: z.literal('reply').optional(),
    tenantId: id,
    approvedReplyId: id,
  }),
])
export type SendJob = z.output<typeof sendJobSchema>

/** Queues posting an approved reply; callers go through queueWhmcsSend (shared/review/whmcs-request.ts), which claims the send first. */
export function enqueueReplySend(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
  approvedReplyId: number,
): Promise<SendJob & JobEnvelope> {
  return enqueue(tx, jobs, 'send', tenantId, { tenantId, approvedReplyId })
}

/** Queues an internal note for an escalated draft; callers go through queueWhmcsNote (shared/drafts/escalation-note.ts). */
export function enqueueNoteSend(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
  aiReplyId: number,
): Promise<SendJob & JobEnvelope> {
  return enqueue(tx, jobs, 'send', tenantId, { kind: 'note' as const, tenantId, aiReplyId })
}

// ---------------------------------------------------------------------------------------------------
// sync: one WHMCS sync run of one tenant (functions/workers/sync.ts → runWhmcsSync)

export const syncJobSchema = z.object({
  jobId: z.string().optional(),
  tenantId: id,
  trigger: z.enum(['schedule', 'manual']).default('schedule'),
})
export type SyncJob = z.output<typeof syncJobSchema>
export type SyncTrigger = SyncJob['trigger']

/** Queues a sync run; callers go through queueWhmcsSync (whmcs/sync-logs.ts). */
export function enqueueSync(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
  trigger: SyncTrigger,
): Promise<SyncJob & JobEnvelope> {
  return enqueue(tx, jobs, 'sync', tenantId, { tenantId, trigger })
}

// ---------------------------------------------------------------------------------------------------
// calibrate: one chunk of a replay of a tenant's history, or a live refit (functions/workers/calibrate.ts →
// shared/calibration/). A replay's chunk queues the next chunk in the transaction that saves its progress.

export const calibrateJobSchema = z.discriminatedUnion('kind', [
  z.object({ jobId: z.string().optional(), kind: z.literal('replay'), tenantId: id, runId: id }),
  z.object({ jobId: z.string().optional(), kind: z.literal('refit'), tenantId: id }),
])
export type CalibrateJob = z.output<typeof calibrateJobSchema>

/** Queues the next chunk of a replay run. */
export function enqueueReplayChunk(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
  runId: number,
): Promise<CalibrateJob & JobEnvelope> {
  return enqueue(tx, jobs, 'calibrate', tenantId, { kind: 'replay' as const, tenantId, runId })
}

/** Queues a live refit of a tenant's calibration (the refit schedule). */
export function enqueueRefit(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
): Promise<CalibrateJob & JobEnvelope> {
  return enqueue(tx, jobs, 'calibrate', tenantId, { kind: 'refit' as const, tenantId })
}
