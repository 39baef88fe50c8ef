import * as z from 'zod'
import { accountSummary } from './account.ts'
import { idParams } from './common.ts'
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

/** A draft made for a question alone and never stored (`POST /drafts/preview`). */
const draftPreview = z.object({
  reply: z.string(),
  sources: z.array(shownSource),
  confidence: z.number(),
  confidenceRaw: z.number(),
  confidenceBreakdown: z.array(
    z.object({
      component: z.string(),
      kind: z.enum(['signal', 'penalty', 'clamp']),
      weight: z.number(),
      value: z.number(),
      points: z.number(),
      detail: z.string(),
    }),
  ),
  escalated: z.boolean(),
  escalationReasons: z.array(
    z.object({ code: z.string(), category: z.string().optional(), detail: z.string().optional() }).loose(),
  ),
  /** The calibration the scores used and the knowledge signals it was given. */
  calibration: z.record(z.string(), z.unknown()),
  language: z.string(),
  provider: z.string(),
  model: z.string(),
  /** The customer's account facts, when the preview drafted for a ticket's WHMCS client. */
  account: accountSummary.nullable(),
})

export const draftsContract = {
  'POST /tickets/{id}/drafts': {
    status: 202,
    summary: 'Regenerate the draft for the latest customer message (queued; answers { queued, jobId })',
    params: idParams,
  },
  'GET /tickets/{id}/drafts': {
    summary: 'Drafts of a ticket, newest first, with sources, confidence breakdown and escalation reasons',
    params: idParams,
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
