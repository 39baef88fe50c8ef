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
