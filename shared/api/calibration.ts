import * as z from 'zod'
import { id, idParams, intParam, pageQuery, tenantScope } from './common.ts'

const rate = z.number().nullable()

/** One bucket of a reliability diagram (confidence on 0..100). */
const reliabilityBin = z.object({
  bucket: z.string(),
  min: z.number(),
  max: z.number(),
  drafts: z.number().int(),
  meanConfidence: z.number().nullable(),
  accuracy: z.number().nullable(),
})

/** Out-of-sample figures of a calibration. */
const figures = z.object({
  answerableEscalated: rate,
  unanswerableCaught: rate,
  ece: rate,
  brier: rate.optional(),
})

const sampleSizes = z.object({
  total: z.number().int(),
  answerable: z.number().int(),
  unanswerable: z.number().int(),
  undecided: z.number().int(),
  confidence: z.number().int(),
})

const space = z.object({ provider: z.string(), model: z.string() })
const cutoffs = z.object({
  lowRetrievalThreshold: z.number(),
  minCoverage: z.number(),
  minSourceScore: z.number(),
})

const CALIBRATION_SOURCES = ['default', 'replay', 'live'] as const
const RUN_STATUSES = ['running', 'done', 'failed', 'cancelled'] as const
const RUN_PHASES = ['import', 'replay', 'fit', 'finished'] as const

/** A stored fit of a tenant, adopted or not. */
const calibrationVersion = z.object({
  id: z.number().int(),
  version: z.number().int(),
  source: z.enum(['replay', 'live']),
  runId: z.number().int().nullable(),
  space,
  cutoffs,
  confidenceMap: z.array(z.tuple([z.number(), z.number()])),
  budget: z.number(),
  basedOn: z.string(),
  adopted: z.boolean(),
  reason: z.string(),
  samples: sampleSizes.partial(),
  crossValidated: figures.nullable(),
  current: figures.nullable(),
  reliability: z.array(reliabilityBin),
  inForce: z.boolean(),
  createdAt: z.date(),
})

/** A replay of the desk's history. */
const runView = z.object({
  id: z.number().int(),
  status: z.enum(RUN_STATUSES),
  phase: z.enum(RUN_PHASES),
  params: z.object({ days: z.number().int(), limit: z.number().int(), source: z.enum(['whmcs', 'api']) }),
  total: z.number().int(),
  done: z.number().int(),
  errors: z.number().int(),
  error: z.string().nullable(),
  calibrationId: z.number().int().nullable(),
  startedAt: z.date(),
  finishedAt: z.date().nullable(),
  cancelledAt: z.date().nullable(),
})

/** `GET /calibration`. */
const calibrationView = z.object({
  inForce: z.object({
    source: z.enum(CALIBRATION_SOURCES),
    /** The calibration id drafts record (`calibration.id` on a draft). */
    id: z.string(),
    version: z.number().int().nullable(),
    tenantCalibrationId: z.number().int().nullable(),
    space,
    calibrated: z.boolean(),
    pinned: z.boolean(),
    cutoffs,
    confidenceMap: z.array(z.tuple([z.number(), z.number()])),
    samples: sampleSizes.partial().nullable(),
    crossValidated: figures.nullable(),
    reliability: z.array(reliabilityBin),
    derivedFrom: z.string(),
    adoptedAt: z.date().nullable(),
  }),
  /** The newest fit (adopted or not), with why. */
  latestFit: calibrationVersion.nullable(),
  budget: z.number(),
  run: runView.nullable(),
  live: z.object({
    newOutcomes: z.number().int(),
    refitAfter: z.number().int(),
    lastFitAt: z.date().nullable(),
  }),
})

/** A topic of questions the KB could not answer. */
const knowledgeGap = z.object({
  id: z.number().int(),
  title: z.string(),
  terms: z.array(z.string()),
  count: z.number().int(),
  replayCount: z.number().int(),
  liveCount: z.number().int(),
  examples: z.array(
    z.object({
      origin: z.enum(['replay', 'live']),
      ticketId: z.number().int().nullable(),
      ticketRef: z.string().nullable(),
      subject: z.string(),
      /** What the agent replied (personal data masked). */
      reply: z.string().nullable(),
    }),
  ),
  refreshedAt: z.date(),
})

export const calibrationContract = {
  'POST /calibration/replay': {
    status: 202,
    summary:
      'Replay the desk’s answered tickets in shadow (WHMCS: answered and closed tickets of the window with ' +
      'their staff replies; API tenants: tickets with an approved reply), label each shadow draft against what ' +
      'the agent sent and fit the desk’s own calibration (202 with the run; 409 while a replay runs). Nothing ' +
      'of it is a draft: no pending drafts, sends, learning or analytics counts',
    query: tenantScope,
    body: z
      .object({
        /** The window, in days back from now. */
        days: intParam(1, 365).optional(),
        /** Most tickets to replay. */
        limit: intParam(1, 500).optional(),
      })
      .strict(),
    response: runView,
  },
  'POST /calibration/runs/{id}/cancel': {
    status: 200,
    summary: 'Cancel a running replay; it stops between chunks and fits nothing (409 when it is not running)',
    params: idParams,
    query: tenantScope,
    response: runView,
  },
  'GET /calibration': {
    summary:
      'The calibration in force (default / replay / live, version, sample sizes, cut-offs, cross-validated ' +
      'answerable-escalated and unanswerable-caught rates, ECE, reliability bins), the newest fit and why it ' +
      'was or was not adopted, and the current replay’s progress',
    query: tenantScope,
    response: calibrationView,
  },
  'GET /calibration/reliability.svg': {
    summary: 'The desk’s reliability diagram as SVG: live decided drafts beside the calibration in force',
    query: tenantScope,
    contentType: 'image/svg+xml',
    response: z.string(),
  },
  'GET /calibration/versions': {
    summary: 'Every fit of the tenant, newest first, adopted or not, with its figures and reason',
    query: pageQuery.extend(tenantScope.shape),
    response: z.object({ items: z.array(calibrationVersion), nextCursor: z.string().nullable() }),
  },
  'POST /calibration/versions/{id}/pin': {
    status: 200,
    summary: 'Put this fit in force and pin it: automatic refits no longer replace it until unpinned',
    params: idParams,
    query: tenantScope,
    response: calibrationView,
  },
  'POST /calibration/rollback': {
    status: 200,
    summary:
      'Put the calibration in force before the current one back (or the built-in one) and pin it; 409 when ' +
      'the built-in one is already in force',
    query: tenantScope,
    response: calibrationView,
  },
  'DELETE /calibration/pin': {
    status: 200,
    summary: 'Unpin: automatic refits may adopt a better calibration again',
    query: tenantScope,
    response: calibrationView,
  },
  'PUT /calibration/settings': {
    status: 200,
    summary:
      'The desk’s budget: the largest share of answerable tickets the fitted cut-offs may escalate for low ' +
      'retrieval (default 0.1); the next fit (replay or live refit) fits to it',
    query: tenantScope,
    body: z.object({ budget: z.number().min(0.01).max(0.5) }).strict(),
    response: calibrationView,
  },
  'GET /knowledge-gaps': {
    summary:
      'Questions the KB could not answer, grouped into topics: from replays (staff replies whose facts the KB ' +
      'lacks) and live drafts (escalated for low retrieval or no answer, replaced by the agent), each with its ' +
      'count, example tickets and what the agents replied',
    query: tenantScope,
    response: z.object({ items: z.array(knowledgeGap) }),
  },
  'POST /knowledge-gaps/{id}/suggestion': {
    status: 200,
    summary:
      'A suggested KB article for a gap, written from the agents’ replies only (customer text and personal ' +
      'data left out), for an admin to review and create with POST /kb/articles',
    params: z.object({ id }),
    query: tenantScope,
    response: z.object({
      gapId: z.number().int(),
      title: z.string(),
      content: z.string(),
      category: z.literal('faq'),
      tags: z.array(z.string()),
      basedOn: z.number().int(),
    }),
  },
} as const
