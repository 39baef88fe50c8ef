import * as z from 'zod'
import { cursor, idParams, instant, pageQuery, tenantScope } from './common.ts'
import { draftView } from './drafts.ts'

/** An approval: the reply as approved, how far it was edited, and what the customer gets. */
const approval = z.object({
  id: z.number().int(),
  ticketId: z.number().int(),
  messageId: z.number().int().nullable(),
  aiReplyId: z.number().int(),
  finalReply: z.string(),
  edited: z.boolean(),
  /** Levenshtein similarity to the draft (1 = unchanged). */
  editDistance: z.number(),
  editSummary: z.string().nullable(),
  isCorrection: z.boolean(),
  sendToWhmcs: z.boolean(),
  channel: z.enum(['api', 'whmcs']),
  createdAt: z.date(),
  /** The reply as the customer gets it: no citation markers, cited articles under "References:". */
  customerReply: z.string(),
})

const n = z.number()
const rate = z.number().nullable()
const range = { bucket: z.string(), min: n, max: n }
const channelMetrics = z.object({
  shown: n,
  decided: n,
  usedAsIs: n,
  usedEdited: n,
  replaced: n,
  rejected: n,
  usedRate: rate,
  similarity: z.object({ mean: rate, distribution: z.array(z.object({ ...range, count: n })) }),
})
/** The review figures of a group of drafts (the window, or one prompt version). */
const reviewMetrics = z.object({
  drafts: n,
  byStatus: z.object({
    pending: n,
    approved: n,
    rejected: n,
    superseded: n,
    sentAsDrafted: n,
    sentEdited: n,
    replaced: n,
  }),
  approvalRate: rate,
  approvedUneditedRate: rate,
  correctionRate: rate,
  meanEditSimilarity: rate,
  meanEditDistance: rate,
  meanConfidence: rate,
  rejectionReasons: z.array(z.object({ reason: z.string(), count: n })),
  escalation: z.object({
    escalated: n,
    rate,
    byReason: z.array(z.object({ code: z.string(), category: z.string().nullable(), drafts: n, rate: n })),
  }),
  calibration: z.array(
    z.object({ ...range, drafts: n, approved: n, rejected: n, approvalRate: rate, meanConfidence: rate }),
  ),
  latencyMs: z.object({ p50: rate, p95: rate, mean: rate }),
  tokens: z.object({ total: n, mean: rate }),
  byChannel: z.object({ api: channelMetrics, whmcs: channelMetrics }),
})
const analyticsSummary = z.object({
  tenantId: n,
  from: z.date(),
  to: z.date(),
  overall: reviewMetrics,
  /** Drafts per UTC day (days with drafts only), with how they were used. */
  byDay: z.array(
    z.object({
      day: z.string(),
      drafts: n,
      escalated: n,
      usedAsIs: n,
      usedEdited: n,
      replaced: n,
      rejected: n,
    }),
  ),
  byPromptVersion: z.array(
    reviewMetrics.extend({
      promptVersionId: n.nullable(),
      version: z.string().nullable(),
      name: z.string().nullable(),
      scope: z.enum(['tenant', 'global']).nullable(),
    }),
  ),
  refreshedPromptVersionIds: z.array(n),
  /** Decided drafts per 10-point confidence bucket beside the evaluation set's accuracy. */
  liveCalibration: z.object({
    decided: n,
    right: n,
    ece: rate,
    buckets: z.array(
      z.object({
        ...range,
        decided: n,
        right: n,
        observed: rate,
        meanConfidence: rate,
        evalAccuracy: rate,
        evalDrafts: n,
      }),
    ),
    calibrations: z.array(
      z.object({ id: z.string().nullable(), drafts: n, derivedFrom: z.string().nullable() }),
    ),
    eval: z
      .object({
        id: z.string(),
        derivedFrom: z.string(),
        reliability: z.array(z.object({ ...range, drafts: n, meanConfidence: rate, accuracy: rate })),
      })
      .nullable(),
  }),
})

export const reviewContract = {
  'POST /drafts/{id}/approve': {
    summary:
      'Approve a pending draft as is or edited (finalReply): stores the approval, posts it to the thread, ' +
      'queues learning and, with sendToWhmcs, the reply to WHMCS. One approval per customer message (409).',
    params: idParams,
    body: z
      .object({
        finalReply: z.string().trim().min(1).max(100_000).optional(),
        sendToWhmcs: z.boolean().default(false),
      })
      .strict(),
    response: approval.loose(),
  },
  'POST /drafts/{id}/reject': {
    status: 200,
    summary: 'Reject a pending draft with a reason (shown in analytics)',
    params: idParams,
    body: z.object({ reason: z.string().trim().min(1).max(2000) }).strict(),
    response: draftView,
  },
  'GET /analytics/summary': {
    summary:
      'Review analytics of drafts created in [from, to) (default: the last 30 days), overall and per prompt ' +
      'version; also refreshes the performance_metrics of the tenant’s own prompt versions',
    query: z
      .object({ from: instant.optional(), to: instant.optional() })
      .extend(tenantScope.shape)
      .strict()
      .refine((q) => !q.from || !q.to || q.from < q.to, {
        message: 'from must be before to',
        path: ['from'],
      }),
    response: analyticsSummary,
  },
  'GET /audit': {
    summary: 'Audit log of the tenant, newest first: who did what, when',
    // audit_logs.id is a bigint: its cursors may pass int4.
    query: pageQuery.extend({
      cursor: cursor(Number.MAX_SAFE_INTEGER).optional(),
      entityType: z.string().trim().min(1).max(50).optional(),
      action: z
        .string()
        .trim()
        .regex(/^[a-z_]{1,64}$/, 'an audit action such as reply_approved')
        .optional(),
      ...tenantScope.shape,
    }),
  },
} as const
