import * as z from 'zod'
import { cursor, idParams, instant, pageOf, pageQuery, rowId, tenantScope } from './common.ts'
import { draftView } from './drafts.ts'
import { TICKET_STATUSES } from './tickets.ts'

const similarity = z.number().min(0).max(1)

/** `POST /drafts/{id}/approve`: the `approved_replies` row and what the approval did. */
const approval = z.object({
  id: rowId,
  ticketId: rowId,
  messageId: rowId.nullable(),
  aiReplyId: rowId,
  finalReply: z.string(),
  edited: z.boolean(),
  editSimilarity: similarity.describe(
    'Levenshtein similarity ratio of finalReply to the draft: 1 = unchanged, 0 = rewritten',
  ),
  editDistance: similarity.meta({
    deprecated: true,
    description: 'Deprecated: the same value as editSimilarity (a similarity, despite its name)',
  }),
  editSummary: z.string().nullable(),
  isCorrection: z.boolean(),
  usedForTraining: z.boolean(),
  approvedBy: rowId.nullable(),
  sendToWhmcs: z.boolean(),
  channel: z.enum(['api', 'whmcs']),
  whmcsAdmin: z.string().nullable(),
  createdAt: z.date(),
  learningKind: z.enum(['approved_example', 'correction']),
  agentMessageId: rowId,
  customerReply: z
    .string()
    .describe('What the customer gets: finalReply without [n] markers, cited articles under "References:"'),
  ticketStatus: z.enum(TICKET_STATUSES),
})

const auditEntry = z.object({
  id: z.number().int(),
  action: z.string().describe('what happened, e.g. reply_approved, ticket_escalated, login'),
  entityType: z.string(),
  entityId: z.number().int().nullable(),
  details: z.record(z.string(), z.unknown()),
  ticketId: rowId.nullable(),
  aiReplyId: rowId.nullable(),
  userId: rowId.nullable(),
  userEmail: z.string().nullable(),
  createdAt: z.date(),
})

// Analytics. Rates and means are null where their denominator is zero; figures are rounded to 6 decimals.
const rate = z.number().min(0).max(1).nullable()
const count = z.number().int().min(0)
const range = { bucket: z.string().describe('"min-max"'), min: z.number(), max: z.number() }

const decisions = z.object({
  shown: count,
  decided: count,
  usedAsIs: count,
  usedEdited: count,
  replaced: count,
  rejected: count,
  usedRate: rate,
  similarity: z.object({
    mean: rate,
    distribution: z.array(z.object({ ...range, count })),
  }),
})

const reviewMetrics = z.object({
  drafts: count,
  byStatus: z.object({
    pending: count,
    approved: count,
    rejected: count,
    superseded: count,
    sentAsDrafted: count,
    sentEdited: count,
    replaced: count,
  }),
  approvalRate: rate.describe('used / decided (approved, sent as drafted or edited vs. rejected, replaced)'),
  approvedUneditedRate: rate,
  correctionRate: rate,
  meanEditSimilarity: rate.describe(
    'mean Levenshtein similarity of approved replies to their drafts, 1 = unchanged',
  ),
  meanEditDistance: rate.describe('1 − meanEditSimilarity'),
  meanConfidence: z.number().nullable(),
  rejectionReasons: z.array(z.object({ reason: z.string(), count })),
  escalation: z.object({
    escalated: count,
    rate,
    byReason: z.array(
      z.object({ code: z.string(), category: z.string().nullable(), drafts: count, rate: z.number() }),
    ),
  }),
  calibration: z.array(
    z.object({
      ...range,
      drafts: count,
      approved: count,
      rejected: count,
      approvalRate: rate,
      meanConfidence: z.number().nullable(),
    }),
  ),
  latencyMs: z.object({
    p50: z.number().nullable(),
    p95: z.number().nullable(),
    mean: z.number().nullable(),
  }),
  tokens: z.object({ total: z.number(), mean: z.number().nullable() }),
  byChannel: z.object({ api: decisions, whmcs: decisions }),
})

const liveCalibration = z.object({
  decided: count,
  right: count.describe('decided drafts approved unedited'),
  ece: rate.describe('expected calibration error of the decided drafts'),
  buckets: z.array(
    z.object({
      ...range,
      decided: count,
      right: count,
      observed: rate,
      meanConfidence: z.number().nullable(),
      evalAccuracy: rate.describe("the evaluation set's accuracy in this bucket"),
      evalDrafts: count,
    }),
  ),
  calibrations: z.array(
    z.object({ id: z.string().nullable(), drafts: count, derivedFrom: z.string().nullable() }),
  ),
  eval: z
    .object({
      id: z.string(),
      derivedFrom: z.string(),
      reliability: z.array(
        z.object({
          ...range,
          drafts: count,
          meanConfidence: z.number().nullable(),
          accuracy: rate,
        }),
      ),
    })
    .nullable(),
})

const analyticsSummary = z.object({
  tenantId: rowId,
  from: z.date(),
  to: z.date(),
  overall: reviewMetrics,
  byDay: z
    .array(
      z.object({
        day: z.string().describe('YYYY-MM-DD (UTC)'),
        drafts: count,
        escalated: count,
        usedAsIs: count,
        usedEdited: count,
        replaced: count,
        rejected: count,
      }),
    )
    .describe('drafts per UTC day (days with drafts only, oldest first), with how they were used'),
  byPromptVersion: z.array(
    reviewMetrics.extend({
      promptVersionId: rowId.nullable().describe('null: the built-in fallback prompt'),
      version: z.string().nullable(),
      name: z.string().nullable(),
      scope: z.enum(['tenant', 'global']).nullable(),
    }),
  ),
  refreshedPromptVersionIds: z.array(rowId),
  liveCalibration,
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
    response: approval,
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
    response: pageOf(auditEntry),
  },
} as const
