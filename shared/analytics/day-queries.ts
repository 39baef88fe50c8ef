/**
 * The queries behind a day's analytics figures (shared/analytics/daily.ts), one per kind of figure, each
 * grouped by UTC day and prompt version and run together.
 */
import type { Fragment } from 'postgres'
import type { Db } from '../db/sql.ts'
import { type Channel, SIMILARITY_EDGES } from './channels.ts'
import { LIVE_BUCKETS } from './figures.ts'

/** A row's day and prompt version: where its figures go. */
export type Keyed = { day: string; promptVersionId: number | null }

/** The fragments every query shares. */
interface Parts {
  db: Db
  /** The UTC day of a draft, as the triggers of migration 009 compute it. */
  day: Fragment
  scope: Fragment
  approvals: Fragment
  /** "Wrong price", "wrong price " and "Wrong  Price" are one reason. */
  reason: Fragment
  /**
   * width_bucket over the inner edges: 0 below the first, 5 from 0.95 up (1 included), as SIMILARITY_BUCKETS;
   * in real, the column's type, so a stored 0.95 counts as 0.95.
   */
  similarityBucket: Fragment
}

/** Drafts by status, approvals, escalations, and the [sum, count] pairs of the means. */
const baseCounts = ({ db, day, scope, approvals }: Parts) =>
  db<Array<Keyed & Record<string, number>>>`
    SELECT ${day} AS day, d.prompt_version_id,
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
      count(*) FILTER (WHERE d.escalated)::int AS escalated,
      coalesce(sum(ar.edit_distance::float8), 0)::float8 AS similarity_sum,
      count(ar.edit_distance)::int AS similarity_n,
      coalesce(sum(d.confidence_score::float8), 0)::float8 AS confidence_sum,
      count(d.confidence_score)::int AS confidence_n,
      coalesce(sum(d.latency_ms), 0)::float8 AS latency_sum,
      count(d.latency_ms)::int AS latency_n,
      coalesce(sum(d.tokens_used), 0)::float8 AS tokens_sum,
      count(d.tokens_used)::int AS tokens_n
    FROM ai_replies d ${approvals}
    WHERE ${scope}
    GROUP BY 1, 2`

/** How many drafts took each `latency_ms`: the exact multiset the percentiles need. */
const latencyCounts = ({ db, day, scope, approvals }: Parts) =>
  db<Array<Keyed & { value: number; n: number }>>`
    SELECT ${day} AS day, d.prompt_version_id, d.latency_ms AS value, count(*)::int AS n
    FROM ai_replies d ${approvals}
    WHERE ${scope} AND d.latency_ms IS NOT NULL
    GROUP BY 1, 2, 3`

/** Drafts per summary confidence bucket (20 points wide), used and not used. */
const confidenceBuckets = ({ db, day, scope }: Parts) =>
  db<
    Array<
      Keyed & {
        bucket: number | null
        drafts: number
        used: number
        notUsed: number
        sum: number
        n: number
      }
    >
  >`
    SELECT ${day} AS day, d.prompt_version_id,
      least(floor(d.confidence_score / 20)::int, 4) AS bucket,
      count(*)::int AS drafts,
      count(*) FILTER (WHERE d.status IN ('approved', 'sent_as_drafted', 'sent_edited'))::int AS used,
      count(*) FILTER (WHERE d.status IN ('rejected', 'replaced'))::int AS not_used,
      coalesce(sum(d.confidence_score::float8), 0)::float8 AS sum,
      count(d.confidence_score)::int AS n
    FROM ai_replies d
    WHERE ${scope}
    GROUP BY 1, 2, 3`

/** Escalated drafts per reason. Only escalated drafts carry reasons; a draft counts once per reason even if a rule matched twice. */
const escalationReasons = ({ db, day, scope }: Parts) =>
  db<Array<Keyed & { code: string | null; category: string | null; drafts: number }>>`
    SELECT ${day} AS day, d.prompt_version_id,
      r.value->>'code' AS code, r.value->>'category' AS category,
      count(DISTINCT d.id)::int AS drafts
    FROM ai_replies d
    CROSS JOIN LATERAL jsonb_array_elements(d.escalation_reasons) r
    WHERE ${scope} AND d.escalated AND jsonb_typeof(d.escalation_reasons) = 'array'
    GROUP BY 1, 2, 3, 4`

/** Rejected drafts per normalised reason. "Wrong price", "wrong price " and "Wrong  Price" are one reason. */
const rejectionReasons = ({ db, day, scope, reason }: Parts) =>
  db<Array<Keyed & { reason: string; count: number }>>`
    SELECT ${day} AS day, d.prompt_version_id, ${reason} AS reason, count(*)::int AS count
    FROM ai_replies d
    WHERE ${scope} AND d.status = 'rejected'
    GROUP BY 1, 2, 3`

/** Per review channel (API, WHMCS): shown, decided and how the draft was used. Per channel; see analytics-channels.ts for what each count means. */
const channelCounts = ({ db, day, scope, approvals, similarityBucket }: Parts) =>
  db<Array<Keyed & { channel: Channel; buckets: number[] } & Record<string, number>>>`
    WITH x AS (
      SELECT ${day} AS day, d.prompt_version_id, d.status, d.review_channel, c.channel,
             CASE c.channel WHEN 'api' THEN d.shown_api_at ELSE d.shown_whmcs_at END AS shown_at,
             CASE WHEN ar.channel = c.channel THEN ar.edited END AS edited,
             CASE WHEN ar.channel = c.channel THEN ar.edit_distance END AS similarity,
             CASE WHEN ar.channel = c.channel THEN ${similarityBucket} END AS bucket
      FROM ai_replies d ${approvals}
      CROSS JOIN (VALUES ('api'), ('whmcs')) AS c(channel)
      WHERE ${scope}
    )
    SELECT day, prompt_version_id, channel,
      count(*) FILTER (WHERE shown_at IS NOT NULL)::int AS shown,
      count(*) FILTER (WHERE review_channel = channel)::int AS decided,
      count(*) FILTER (WHERE review_channel = channel AND status IN ('approved', 'sent_as_drafted')
                         AND edited IS FALSE)::int AS used_as_is,
      count(*) FILTER (WHERE review_channel = channel AND status IN ('approved', 'sent_edited')
                         AND edited IS TRUE)::int AS used_edited,
      count(*) FILTER (WHERE review_channel = channel AND status = 'replaced')::int AS replaced,
      count(*) FILTER (WHERE review_channel = channel AND status = 'rejected')::int AS rejected,
      coalesce(sum(similarity::float8), 0)::float8 AS similarity_sum,
      count(similarity)::int AS similarity_n,
      ARRAY[count(*) FILTER (WHERE bucket = 0), count(*) FILTER (WHERE bucket = 1),
            count(*) FILTER (WHERE bucket = 2), count(*) FILTER (WHERE bucket = 3),
            count(*) FILTER (WHERE bucket = 4), count(*) FILTER (WHERE bucket = 5)]::int[] AS buckets
    FROM x
    GROUP BY 1, 2, 3`

/** Decided drafts per ten-point confidence bucket, and how many were approved unedited. liveCalibration (calibration-analytics.ts): drafts a human decided on through the API. */
const liveBuckets = ({ db, day, scope, approvals }: Parts) =>
  db<Array<{ day: string; bucket: number | null; decided: number; right: number; sum: number; n: number }>>`
    SELECT ${day} AS day,
      least(floor(d.confidence_score / ${100 / LIVE_BUCKETS})::int, ${LIVE_BUCKETS - 1}) AS bucket,
      count(*)::int AS decided,
      count(*) FILTER (WHERE ar.id IS NOT NULL AND NOT ar.edited)::int AS right,
      coalesce(sum(d.confidence_score::float8), 0)::float8 AS sum,
      count(d.confidence_score)::int AS n
    FROM ai_replies d ${approvals}
    WHERE ${scope} AND d.status IN ('approved', 'rejected')
    GROUP BY 1, 2`

/** Drafts per calibration id. */
const calibrationIds = ({ db, day, scope }: Parts) =>
  db<Array<{ day: string; id: string | null; drafts: number }>>`
    SELECT ${day} AS day, d.calibration->>'id' AS id, count(*)::int AS drafts
    FROM ai_replies d
    WHERE ${scope}
    GROUP BY 1, 2`

/** The rows of every figure of a tenant's drafts matching `where` (a condition on `d`, the drafts). */
export async function dayRows(db: Db, tenantId: number, where: Fragment) {
  const parts: Parts = {
    db,
    day: db`to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
    scope: db`d.tenant_id = ${tenantId} AND ${where}`,
    approvals: db`LEFT JOIN approved_replies ar ON ar.ai_reply_id = d.id AND ar.tenant_id = ${tenantId}`,
    reason: db`coalesce(nullif(regexp_replace(lower(btrim(d.reject_reason)), '\\s+', ' ', 'g'), ''), 'unspecified')`,
    similarityBucket: db`width_bucket(ar.edit_distance, ${SIMILARITY_EDGES.slice(1, -1)}::real[])`,
  }
  const [base, latencies, buckets, reasons, rejections, channels, live, calibrations] = await Promise.all([
    baseCounts(parts),
    latencyCounts(parts),
    confidenceBuckets(parts),
    escalationReasons(parts),
    rejectionReasons(parts),
    channelCounts(parts),
    liveBuckets(parts),
    calibrationIds(parts),
  ])
  return { base, latencies, buckets, reasons, rejections, channels, live, calibrations }
}
