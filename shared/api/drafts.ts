import * as z from 'zod'
import { accountSummary } from './account.ts'
import { idParams, queuedJob, rowId } from './common.ts'
import { SOURCE_KINDS } from './kb.ts'

const score = z.number().nullable()

/** A knowledge source the draft was shown, as a stored draft lists it. */
const chunkSource = z.object({
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

/**
 * An account fact the draft was given (issue 30): kind `account`, citable like a knowledge source but no
 * retrievable chunk (`SOURCE_KINDS` are the chunks' kinds). Customer-facing text never lists it.
 */
const accountSource = chunkSource.extend({
  chunkId: z.null(),
  articleId: z.null(),
  approvedReplyId: z.null(),
  sourceKind: z.literal('account'),
})

/** What a draft's `[n]` can point at, as a stored draft lists it. */
const shownSource = z.union([chunkSource, accountSource])

/** One term of the confidence sum: what it measured and the points it gave. */
const confidenceComponent = z.object({
  component: z.enum([
    'retrieval',
    'agreement',
    'coverage',
    'groundedness',
    'no_citations',
    'escalation_keyword',
    'reply_length',
    'clamp',
  ]),
  kind: z.enum(['signal', 'penalty', 'clamp']),
  weight: z.number(),
  value: z.number(),
  points: z.number(),
  detail: z.string(),
})

/** Why a draft is escalated: a rule's code, the keyword category for keyword rules, and a sentence. */
const escalationReason = z.object({
  code: z.enum([
    'keyword',
    'low_retrieval',
    'no_answer',
    'language_mismatch',
    'urgent_priority',
    'account_fraud',
    'account_collections',
  ]),
  category: z.string().optional().describe('keyword rules: refund, legal, abuse, …'),
  match: z.string().optional().describe('keyword rules: the matched text, folded'),
  detail: z.string(),
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

/** A stored draft as agents see it (`GET /tickets/{id}/drafts`, a ticket's `latestDraft`, a rejection). */
export const draftView = z.object({
  id: rowId,
  ticketId: rowId,
  messageId: rowId.nullable().describe('the customer message it answers'),
  reply: z.string().describe('the draft with its [n] citation markers'),
  confidenceScore: z.number().describe('calibrated: about this share (%) of such drafts were right'),
  confidenceRaw: z.number().nullable().describe('the points the breakdown adds up to, before calibration'),
  confidenceBreakdown: z.array(confidenceComponent),
  calibration: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('the calibration (scoring space, thresholds) and knowledge signals the scores used'),
  language: z.string().nullable().describe("ISO 639-1 code of the customer's language"),
  sources: z.array(shownSource),
  escalated: z.boolean(),
  escalationReasons: z.array(escalationReason),
  intentDetected: z.string().nullable(),
  provider: z.string(),
  model: z.string(),
  promptVersionId: rowId.nullable(),
  tokensUsed: z.number().int().nullable(),
  latencyMs: z.number().int().nullable(),
  status: z.enum(DRAFT_STATUSES),
  trigger: z.enum(['auto', 'regenerate']),
  rejectReason: z.string().nullable(),
  reviewChannel: z.enum(['api', 'whmcs']).nullable().describe('where it was decided; null while undecided'),
  account: accountSummary
    .nullable()
    .describe(
      "what the draft knew about the customer's WHMCS account; null on drafts made before it existed",
    ),
  createdAt: z.date(),
})

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

export const draftsContract = {
  'POST /tickets/{id}/drafts': {
    status: 202,
    summary: 'Regenerate the draft for the latest customer message (queued; answers { queued, jobId })',
    params: idParams,
    response: queuedJob,
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
