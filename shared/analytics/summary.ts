/**
 * Review analytics (GET /analytics/summary): is drafting working, overall and per prompt version?
 *
 * The figures are counted in Postgres over the drafts (`ai_replies`) created in a window, joined to their
 * approvals, per UTC day and prompt version, and kept per day (analytics-daily.ts: whole days are read
 * from `analytics_daily`, the partial days at the window's edges from `ai_replies`); this module adds
 * them up and turns them into the rates below. The overall figures are the sum of the prompt versions'.
 *
 * Definitions (the tests compute the same by hand):
 * - approval rate = used / (used + not used) over drafts an agent decided on: used = approved through the
 *   API or sent from WHMCS (as drafted or edited), not used = rejected (API or the panel's Not helpful) or
 *   replaced by the agent's own answer in WHMCS. Pending and superseded drafts (regenerated, answered
 *   without a draft, or outdated by a new customer message) were never judged.
 * - approved-unedited rate = approvals with `edited = false` / approvals; correction rate likewise.
 * - edit similarity = mean `approved_replies.edit_distance`, which stores the Levenshtein *similarity*
 *   ratio (1 = unchanged, see shared/review/similarity.ts); edit distance = 1 − similarity.
 * - escalation rate = escalated drafts / drafts; per reason = drafts carrying that reason / drafts, the
 *   reason being `code` plus, for keyword rules, the `category`.
 * - calibration: drafts by confidence bucket [0,20) [20,40) [40,60) [60,80) [80,100] with each bucket's
 *   approval rate, WHMCS outcomes included (`approved` = used, `rejected` = not used, as above); a
 *   calibrated scorer is used more in higher buckets.
 * - byChannel: the same decisions split by where they were made (API, WHMCS); see analytics-channels.ts.
 * - latency p50/p95: `percentile_cont` (interpolated) over `latency_ms`, exact (computed from the count of
 *   every latency value, see analytics-daily.ts); tokens: sum and mean of `tokens_used`. Drafts without a
 *   value are left out of these.
 * Approvals count in the window of their draft, not of the approval.
 */
import type { Sql } from '../db/sql.ts'
import { type ChannelBreakdown, channelMetrics, REVIEW_CHANNELS, rangeBuckets } from './channels.ts'
import { windowFigures } from './daily.ts'
import {
  byCodePoint,
  type DayTotals,
  type DraftStatusCounts,
  type MergedGroup,
  percentileCont,
  type WindowFigures,
} from './figures.ts'

const CONFIDENCE_BUCKETS = rangeBuckets([0, 20, 40, 60, 80, 100])

// Free-text reasons: the list shows the most common ones, not an unbounded tail.
const MAX_REJECTION_REASONS = 20

interface CalibrationBucket {
  bucket: string
  min: number
  max: number
  drafts: number
  approved: number
  rejected: number
  approvalRate: number | null
  meanConfidence: number | null
}

interface EscalationReasonCount {
  code: string
  category: string | null
  drafts: number
  rate: number
}

/** The figures of one group of drafts (the whole window or one prompt version). */
interface ReviewMetrics {
  drafts: number
  byStatus: DraftStatusCounts
  approvalRate: number | null
  approvedUneditedRate: number | null
  correctionRate: number | null
  meanEditSimilarity: number | null
  meanEditDistance: number | null
  meanConfidence: number | null
  rejectionReasons: Array<{ reason: string; count: number }>
  escalation: { escalated: number; rate: number | null; byReason: EscalationReasonCount[] }
  calibration: CalibrationBucket[]
  latencyMs: { p50: number | null; p95: number | null; mean: number | null }
  tokens: { total: number; mean: number | null }
  byChannel: ChannelBreakdown
}

interface PromptVersionMetrics extends ReviewMetrics {
  /** Null for drafts made with the built-in fallback prompt (no prompt_versions row). */
  promptVersionId: number | null
  version: string | null
  name: string | null
  scope: 'tenant' | 'global' | null
}

export interface AnalyticsSummary {
  tenantId: number
  from: Date
  to: Date
  overall: ReviewMetrics
  /** Drafts per UTC day (days with drafts), with how they were used: the "drafts per day" chart. */
  byDay: DayTotals[]
  byPromptVersion: PromptVersionMetrics[]
  /** The tenant's own prompt versions whose `performance_metrics` this call refreshed. */
  refreshedPromptVersionIds: number[]
}

export interface AnalyticsWindow {
  /** Inclusive. */
  from: Date
  /** Exclusive. */
  to: Date
  now?: Date
}

// Six decimals: enough for any rate or millisecond figure, and no float noise (3849.9999999999995) in JSON.
const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e6) / 1e6)
const ratio = (n: number, d: number): number | null => (d > 0 ? round(n / d) : null)

const mean = ([sum, n]: [number, number]): number | null => (n > 0 ? sum / n : null)

/** The API's figures of one group of drafts from its merged daily figures. */
function metricsOf(g: MergedGroup): ReviewMetrics {
  const used = g.approved + g.sentAsDrafted + g.sentEdited
  const notUsed = g.rejected + g.replaced
  const similarity = round(mean(g.similarity))
  return {
    drafts: g.drafts,
    byStatus: {
      pending: g.pending,
      approved: g.approved,
      rejected: g.rejected,
      superseded: g.superseded,
      sentAsDrafted: g.sentAsDrafted,
      sentEdited: g.sentEdited,
      replaced: g.replaced,
    },
    approvalRate: ratio(used, used + notUsed),
    approvedUneditedRate: ratio(g.approvedUnedited, g.approvals),
    correctionRate: ratio(g.corrections, g.approvals),
    meanEditSimilarity: similarity,
    meanEditDistance: similarity === null ? null : round(1 - similarity),
    meanConfidence: round(mean(g.confidence)),
    rejectionReasons: [...g.rejections]
      .map(([reason, count]) => ({ reason, count }))
      .sort((a, b) => b.count - a.count || byCodePoint(a.reason, b.reason))
      .slice(0, MAX_REJECTION_REASONS),
    escalation: {
      escalated: g.escalated,
      rate: ratio(g.escalated, g.drafts),
      byReason: [...g.reasons.values()]
        .sort(
          (a, b) => b.drafts - a.drafts || byCodePoint(a.code, b.code) || byCodePoint(a.category, b.category),
        )
        .map((r) => ({
          code: r.code as string,
          category: r.category,
          drafts: r.drafts,
          rate: round(r.drafts / g.drafts) as number,
        })),
    },
    calibration: CONFIDENCE_BUCKETS.map((b, i) => {
      const [drafts, approved, rejected, sum, n] = g.buckets[i]!
      return {
        ...b,
        drafts: drafts!,
        approved: approved!,
        rejected: rejected!,
        approvalRate: ratio(approved!, approved! + rejected!),
        meanConfidence: round(mean([sum!, n!])),
      }
    }),
    latencyMs: {
      p50: round(percentileCont(g.latencies, 0.5)),
      p95: round(percentileCont(g.latencies, 0.95)),
      mean: round(mean(g.latency)),
    },
    tokens: { total: g.tokens[0], mean: round(mean(g.tokens)) },
    byChannel: channelMetrics(
      REVIEW_CHANNELS.map((channel) => {
        const c = g.channels[channel]
        return { channel, ...c, meanSimilarity: mean(c.similarity) }
      }),
    ),
  }
}

/**
 * Computes the review analytics of a tenant's drafts created in [from, to), overall and per prompt
 * version, and stores each of the tenant's own prompt versions' figures (with the window) in
 * `prompt_versions.performance_metrics`. Global prompt versions are shared by every tenant, so one
 * tenant's figures are never written into them.
 */
export async function analyticsSummary(
  sql: Sql,
  tenantId: number,
  window: AnalyticsWindow,
  /** The window's figures when the caller already has them (the handler shares them with liveCalibration). */
  figures?: Promise<WindowFigures>,
): Promise<AnalyticsSummary> {
  const { from, to } = window
  const { groups, overall, byDay } = await (figures ?? windowFigures(sql, tenantId, window))

  const perVersion = [...groups].map(([key, g]) => ({
    promptVersionId: key === 'none' ? null : Number(key),
    metrics: metricsOf(g),
  }))
  const versionIds = perVersion.map((r) => r.promptVersionId).filter((id): id is number => id !== null)
  const versions = versionIds.length
    ? await sql<{ id: number; tenantId: number | null; version: string; name: string }[]>`
        SELECT id, tenant_id, version, name FROM prompt_versions
        WHERE id IN ${sql(versionIds)} AND (tenant_id = ${tenantId} OR tenant_id IS NULL)`
    : []
  const versionById = new Map(versions.map((v) => [v.id, v]))

  const byPromptVersion: PromptVersionMetrics[] = perVersion
    .map((row) => {
      const v = row.promptVersionId === null ? undefined : versionById.get(row.promptVersionId)
      return {
        promptVersionId: row.promptVersionId,
        version: v?.version ?? null,
        name: v?.name ?? null,
        scope: v ? (v.tenantId === null ? ('global' as const) : ('tenant' as const)) : null,
        ...row.metrics,
      }
    })
    .sort((a, b) => b.drafts - a.drafts || (a.promptVersionId ?? 0) - (b.promptVersionId ?? 0))

  const refreshedAt = window.now ?? new Date()
  const own = byPromptVersion.filter((v) => v.scope === 'tenant')
  if (own.length > 0) {
    const payload = own.map(({ promptVersionId, version: _v, name: _n, scope: _s, ...metrics }) => ({
      id: promptVersionId,
      metrics: { window: { from, to }, refreshedAt, ...metrics },
    }))
    await sql`
      UPDATE prompt_versions p SET performance_metrics = x.metrics
      FROM jsonb_to_recordset(${sql.json(payload as never)}) AS x(id int, metrics jsonb)
      WHERE p.id = x.id AND p.tenant_id = ${tenantId}`
  }

  return {
    tenantId,
    from,
    to,
    overall: metricsOf(overall),
    byDay,
    byPromptVersion,
    refreshedPromptVersionIds: own.map((v) => v.promptVersionId as number),
  }
}
