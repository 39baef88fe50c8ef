/**
 * Review analytics (GET /analytics/summary): is drafting working, overall and per prompt version?
 *
 * Everything is computed in Postgres over the drafts (`ai_replies`) created in a window, joined to their
 * approvals; each query aggregates with GROUPING SETS so one scan yields the overall figures and the
 * per-prompt-version ones. Queries go through the (tenant_id, created_at) index.
 *
 * Definitions (the tests compute the same by hand):
 * - approval rate = used / (used + not used) over drafts an agent decided on: used = approved through the
 *   API or sent from WHMCS (as drafted or edited), not used = rejected (API or the panel's Not helpful) or
 *   replaced by the agent's own answer in WHMCS. Pending and superseded drafts (regenerated, answered
 *   without a draft, or outdated by a new customer message) were never judged.
 * - approved-unedited rate = approvals with `edited = false` / approvals; correction rate likewise.
 * - edit similarity = mean `approved_replies.edit_distance`, which stores the Levenshtein *similarity*
 *   ratio (1 = unchanged, see shared/drafting/review.ts); edit distance = 1 − similarity.
 * - escalation rate = escalated drafts / drafts; per reason = drafts carrying that reason / drafts, the
 *   reason being `code` plus, for keyword rules, the `category`.
 * - calibration: drafts by confidence bucket [0,20) [20,40) [40,60) [60,80) [80,100] with each bucket's
 *   approval rate, WHMCS outcomes included (`approved` = used, `rejected` = not used, as above); a
 *   calibrated scorer is used more in higher buckets.
 * - byChannel: the same decisions split by where they were made (API, WHMCS); see analytics-channels.ts.
 * - latency p50/p95: `percentile_cont` (interpolated) over `latency_ms`; tokens: sum and mean of
 *   `tokens_used`. Drafts without a value are left out of these.
 * Approvals count in the window of their draft, not of the approval.
 */
import type { Db, Sql } from '../db/sql.ts'
import {
  type ChannelBreakdown,
  type ChannelRow,
  channelMetrics,
  channelRows,
  rangeBuckets,
} from './analytics-channels.ts'

export const CONFIDENCE_BUCKETS = rangeBuckets([0, 20, 40, 60, 80, 100])

// Free-text reasons: the list shows the most common ones, not an unbounded tail.
const MAX_REJECTION_REASONS = 20

export interface CalibrationBucket {
  bucket: string
  min: number
  max: number
  drafts: number
  approved: number
  rejected: number
  approvalRate: number | null
  meanConfidence: number | null
}

export interface EscalationReasonCount {
  code: string
  category: string | null
  drafts: number
  rate: number
}

/** Drafts of a group by review status (the query's columns and the API's `byStatus` alike). */
export interface DraftStatusCounts {
  pending: number
  approved: number
  rejected: number
  superseded: number
  sentAsDrafted: number
  sentEdited: number
  replaced: number
}

/** The figures of one group of drafts (the whole window or one prompt version). */
export interface ReviewMetrics {
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

export interface PromptVersionMetrics extends ReviewMetrics {
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

interface BaseRow extends DraftStatusCounts {
  g: number
  promptVersionId: number | null
  drafts: number
  approvals: number
  approvedUnedited: number
  corrections: number
  meanEditSimilarity: number | null
  meanConfidence: number | null
  escalated: number
  latencyP50: number | null
  latencyP95: number | null
  latencyMean: number | null
  tokensTotal: number | null
  tokensMean: number | null
}

interface BucketRow {
  g: number
  promptVersionId: number | null
  bucket: number
  drafts: number
  approved: number
  rejected: number
  meanConfidence: number | null
}

interface ReasonRow {
  g: number
  promptVersionId: number | null
  code: string
  category: string | null
  drafts: number
}

interface RejectionRow {
  g: number
  promptVersionId: number | null
  reason: string
  count: number
}

// Six decimals: enough for any rate or millisecond figure, and no float noise (3849.9999999999995) in JSON.
const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e6) / 1e6)
const ratio = (n: number, d: number): number | null => (d > 0 ? round(n / d) : null)

// GROUPING(prompt_version_id) is 1 in the overall grouping set, 0 in the per-version one.
const groupKey = (row: { g: number; promptVersionId: number | null }): string =>
  row.g === 1 ? 'overall' : `pv:${row.promptVersionId ?? 'none'}`

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
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
): Promise<AnalyticsSummary> {
  const { from, to } = window
  const inWindow = (db: Db) =>
    db`d.tenant_id = ${tenantId} AND d.created_at >= ${from} AND d.created_at < ${to}`

  // The queries are independent: each runs in a transaction of its own, so on a server's pool they run
  // at once on separate connections (PGlite's one connection takes them in turn), with work_mem enough
  // for the GROUPING SETS and percentile sorts of a 100k-draft window to stay in memory (the 4 MB
  // default spilled them to disk: external merge).
  const inMemory = <T>(run: (db: Db) => Promise<T>): Promise<T> =>
    sql.begin(async (tx) => {
      await tx`SET LOCAL work_mem = '32MB'`
      return run(tx)
    }) as Promise<T>

  const [base, buckets, reasons, rejections, channels] = await Promise.all([
    inMemory(
      (sql) => sql<BaseRow[]>`
    SELECT GROUPING(d.prompt_version_id) AS g, d.prompt_version_id,
      count(*)::int AS drafts,
      count(*) FILTER (WHERE d.status = 'pending')::int AS pending,
      count(*) FILTER (WHERE d.status = 'approved')::int AS approved,
      count(*) FILTER (WHERE d.status = 'rejected')::int AS rejected,
      count(*) FILTER (WHERE d.status = 'superseded')::int AS superseded,
      count(*) FILTER (WHERE d.status = 'sent_as_drafted')::int AS sent_as_drafted,
      count(*) FILTER (WHERE d.status = 'sent_edited')::int AS sent_edited,
      count(*) FILTER (WHERE d.status = 'replaced')::int AS replaced,
      count(ar.id)::int AS approvals,
      count(ar.id) FILTER (WHERE NOT ar.edited)::int AS approved_unedited,
      count(ar.id) FILTER (WHERE ar.is_correction)::int AS corrections,
      avg(ar.edit_distance)::float8 AS mean_edit_similarity,
      avg(d.confidence_score)::float8 AS mean_confidence,
      count(*) FILTER (WHERE d.escalated)::int AS escalated,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY d.latency_ms) AS latency_p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY d.latency_ms) AS latency_p95,
      avg(d.latency_ms)::float8 AS latency_mean,
      sum(d.tokens_used)::float8 AS tokens_total,
      avg(d.tokens_used)::float8 AS tokens_mean
    FROM ai_replies d
    LEFT JOIN approved_replies ar ON ar.ai_reply_id = d.id AND ar.tenant_id = ${tenantId}
    WHERE ${inWindow(sql)}
    GROUP BY GROUPING SETS ((), (d.prompt_version_id))`,
    ),

    inMemory(
      (sql) => sql<BucketRow[]>`
    SELECT GROUPING(d.prompt_version_id) AS g, d.prompt_version_id,
      least(floor(d.confidence_score / 20)::int, 4) AS bucket,
      count(*)::int AS drafts,
      count(*) FILTER (WHERE d.status IN ('approved', 'sent_as_drafted', 'sent_edited'))::int AS approved,
      count(*) FILTER (WHERE d.status IN ('rejected', 'replaced'))::int AS rejected,
      avg(d.confidence_score)::float8 AS mean_confidence
    FROM ai_replies d
    WHERE ${inWindow(sql)}
    GROUP BY GROUPING SETS (
      (least(floor(d.confidence_score / 20)::int, 4)),
      (d.prompt_version_id, least(floor(d.confidence_score / 20)::int, 4)))`,
    ),

    // Only escalated drafts carry reasons; a draft counts once per reason even if a rule matched twice.
    inMemory(
      (sql) => sql<ReasonRow[]>`
    SELECT GROUPING(d.prompt_version_id) AS g, d.prompt_version_id,
      r.value->>'code' AS code, r.value->>'category' AS category,
      count(DISTINCT d.id)::int AS drafts
    FROM ai_replies d
    CROSS JOIN LATERAL jsonb_array_elements(d.escalation_reasons) r
    WHERE ${inWindow(sql)} AND d.escalated AND jsonb_typeof(d.escalation_reasons) = 'array'
    GROUP BY GROUPING SETS (
      (r.value->>'code', r.value->>'category'),
      (d.prompt_version_id, r.value->>'code', r.value->>'category'))
    ORDER BY drafts DESC, code, category`,
    ),

    // "Wrong price", "wrong price " and "Wrong  Price" are one reason.
    inMemory(
      (sql) => sql<RejectionRow[]>`
    SELECT GROUPING(d.prompt_version_id) AS g, d.prompt_version_id,
      coalesce(nullif(regexp_replace(lower(btrim(d.reject_reason)), '\\s+', ' ', 'g'), ''), 'unspecified') AS reason,
      count(*)::int AS count
    FROM ai_replies d
    WHERE ${inWindow(sql)} AND d.status = 'rejected'
    GROUP BY GROUPING SETS (
      (coalesce(nullif(regexp_replace(lower(btrim(d.reject_reason)), '\\s+', ' ', 'g'), ''), 'unspecified')),
      (d.prompt_version_id,
       coalesce(nullif(regexp_replace(lower(btrim(d.reject_reason)), '\\s+', ' ', 'g'), ''), 'unspecified')))
    ORDER BY count DESC, reason`,
    ),

    inMemory((db) => channelRows(db, tenantId, window)),
  ])

  const bucketsBy = new Map<string, BucketRow[]>()
  for (const row of buckets) pushTo(bucketsBy, groupKey(row), row)
  const reasonsBy = new Map<string, ReasonRow[]>()
  for (const row of reasons) pushTo(reasonsBy, groupKey(row), row)
  const rejectionsBy = new Map<string, RejectionRow[]>()
  for (const row of rejections) pushTo(rejectionsBy, groupKey(row), row)
  const channelsBy = new Map<string, ChannelRow[]>()
  for (const row of channels) pushTo(channelsBy, groupKey(row), row)

  const metricsOf = (row: BaseRow | undefined): ReviewMetrics => {
    const key = row ? groupKey(row) : 'overall'
    const drafts = row?.drafts ?? 0
    const approved = row?.approved ?? 0
    const rejected = row?.rejected ?? 0
    const used = approved + (row?.sentAsDrafted ?? 0) + (row?.sentEdited ?? 0)
    const notUsed = rejected + (row?.replaced ?? 0)
    const approvals = row?.approvals ?? 0
    const similarity = round(row?.meanEditSimilarity ?? null)
    const bucketRows = bucketsBy.get(key) ?? []
    return {
      drafts,
      byStatus: {
        pending: row?.pending ?? 0,
        approved,
        rejected,
        superseded: row?.superseded ?? 0,
        sentAsDrafted: row?.sentAsDrafted ?? 0,
        sentEdited: row?.sentEdited ?? 0,
        replaced: row?.replaced ?? 0,
      },
      approvalRate: ratio(used, used + notUsed),
      approvedUneditedRate: ratio(row?.approvedUnedited ?? 0, approvals),
      correctionRate: ratio(row?.corrections ?? 0, approvals),
      meanEditSimilarity: similarity,
      meanEditDistance: similarity === null ? null : round(1 - similarity),
      meanConfidence: round(row?.meanConfidence ?? null),
      rejectionReasons: (rejectionsBy.get(key) ?? [])
        .slice(0, MAX_REJECTION_REASONS)
        .map(({ reason, count }) => ({ reason, count })),
      escalation: {
        escalated: row?.escalated ?? 0,
        rate: ratio(row?.escalated ?? 0, drafts),
        byReason: (reasonsBy.get(key) ?? []).map((r) => ({
          code: r.code,
          category: r.category,
          drafts: r.drafts,
          rate: round(r.drafts / drafts) as number,
        })),
      },
      calibration: CONFIDENCE_BUCKETS.map((b, i) => {
        const r = bucketRows.find((x) => x.bucket === i)
        return {
          ...b,
          drafts: r?.drafts ?? 0,
          approved: r?.approved ?? 0,
          rejected: r?.rejected ?? 0,
          approvalRate: ratio(r?.approved ?? 0, (r?.approved ?? 0) + (r?.rejected ?? 0)),
          meanConfidence: round(r?.meanConfidence ?? null),
        }
      }),
      latencyMs: {
        p50: round(row?.latencyP50 ?? null),
        p95: round(row?.latencyP95 ?? null),
        mean: round(row?.latencyMean ?? null),
      },
      tokens: { total: row?.tokensTotal ?? 0, mean: round(row?.tokensMean ?? null) },
      byChannel: channelMetrics(channelsBy.get(key) ?? []),
    }
  }

  const perVersion = base.filter((r) => r.g === 0)
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
        ...metricsOf(row),
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
    overall: metricsOf(base.find((r) => r.g === 1)),
    byPromptVersion,
    refreshedPromptVersionIds: own.map((v) => v.promptVersionId as number),
  }
}
