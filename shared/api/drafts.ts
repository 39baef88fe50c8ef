import * as z from 'zod'
import { idParams } from './common.ts'
import { SOURCE_KINDS } from './kb.ts'

const score = z.number().nullable()

/** A source the draft was shown, as a stored draft lists it. */
const shownSource = z.object({
  ref: z.number().int(),
  chunkId: z.number().int(),
  articleId: z.number().int().nullable(),
  approvedReplyId: z.number().int().nullable(),
  title: z.string().nullable(),
  sourceKind: z.enum(SOURCE_KINDS),
  score,
  relevance: score,
  fusedScore: score,
  sourceWeight: score,
  cited: z.boolean(),
  belowThreshold: z.boolean(),
  excerpt: z.string(),
})

/** One term of the confidence score, with its explanation in words. */
const confidenceComponent = z.object({
  component: z.string(),
  kind: z.enum(['signal', 'penalty', 'clamp']),
  weight: z.number(),
  value: z.number(),
  points: z.number(),
  detail: z.string(),
})
/** Why a draft was escalated: a code (`keyword`, `low_retrieval`, …) and the reason in words. */
const escalationReason = z
  .object({ code: z.string(), category: z.string().optional(), detail: z.string().optional() })
  .loose()

/** A draft made for a question alone and never stored (`POST /drafts/preview`). */
const draftPreview = z.object({
  reply: z.string(),
  sources: z.array(shownSource),
  confidence: z.number(),
  confidenceRaw: z.number(),
  confidenceBreakdown: z.array(confidenceComponent),
  escalated: z.boolean(),
  escalationReasons: z.array(escalationReason),
  /** The calibration the scores used and the knowledge signals it was given. */
  calibration: z.record(z.string(), z.unknown()),
  language: z.string(),
  provider: z.string(),
  model: z.string(),
})

const DRAFT_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'superseded',
  'sent_as_drafted',
  'sent_edited',
  'replaced',
] as const

/** A stored draft as agents see it (`GET /tickets/{id}/drafts`, a rejection's answer). */
export const draftView = z.object({
  id: z.number().int(),
  ticketId: z.number().int(),
  messageId: z.number().int().nullable(),
  reply: z.string(),
  /** Calibrated: about this share (in %) of such drafts were right on the evaluation set. */
  confidenceScore: z.number(),
  confidenceRaw: z.number().nullable(),
  confidenceBreakdown: z.array(confidenceComponent).nullable(),
  calibration: z.record(z.string(), z.unknown()).nullable(),
  language: z.string().nullable(),
  sources: z.array(shownSource).nullable(),
  escalated: z.boolean(),
  escalationReasons: z.array(escalationReason).nullable(),
  intentDetected: z.string().nullable(),
  provider: z.string(),
  model: z.string(),
  promptVersionId: z.number().int().nullable(),
  tokensUsed: z.number().int().nullable(),
  latencyMs: z.number().int().nullable(),
  status: z.enum(DRAFT_STATUSES),
  trigger: z.enum(['auto', 'regenerate']),
  rejectReason: z.string().nullable(),
  reviewChannel: z.enum(['api', 'whmcs']).nullable(),
  createdAt: z.date(),
})

export const draftsContract = {
  'POST /tickets/{id}/drafts': {
    status: 202,
    summary: 'Regenerate the draft for the latest customer message (queued; answers { queued, jobId })',
    params: idParams,
    response: z.object({ queued: z.literal(true), jobId: z.string() }),
  },
  'GET /tickets/{id}/drafts': {
    summary: 'Drafts of a ticket, newest first, with sources, confidence breakdown and escalation reasons',
    params: idParams,
    response: z.object({ items: z.array(draftView) }),
  },
  'POST /drafts/preview': {
    status: 200,
    summary:
      'What the pipeline would retrieve and draft for a question, with its confidence and escalation, ' +
      'without creating a ticket or storing anything (try an article before customers ask)',
    body: z
      .object({
        question: z.string().trim().min(1).max(20_000),
        subject: z.string().trim().min(1).max(500).optional(),
      })
      .strict(),
    response: draftPreview,
  },
} as const
