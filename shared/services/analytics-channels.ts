/**
 * Review analytics per channel (issue 10): what agents did with drafts through the API and in WHMCS.
 *
 * Kept apart from analytics.ts's main queries so either can change without the other. Per channel
 * (`api`, `whmcs`), over the drafts created in the window, overall and per prompt version:
 * - shown: drafts an agent saw while pending in that channel (`shown_api_at` / `shown_whmcs_at`);
 * - decided: drafts decided in that channel (`review_channel`);
 * - usedAsIs: approved unedited (API) or sent as drafted (WHMCS); usedEdited: approved edited or sent edited;
 * - replaced: the agent sent their own answer in WHMCS; rejected: rejected (API, or the panel's Not helpful);
 * - usedRate = (usedAsIs + usedEdited) / decided;
 * - similarity: mean and distribution of `approved_replies.edit_distance` (the Levenshtein similarity, 1 =
 *   unchanged) of the channel's approvals, replaced ones included.
 */
import type { Db } from '../db/sql.ts'

export const REVIEW_CHANNELS = ['api', 'whmcs'] as const
export type Channel = (typeof REVIEW_CHANNELS)[number]

/** Consecutive ranges [min, max) between the edges, labelled "min-max"; the last one is closed. */
export function rangeBuckets(edges: readonly number[]): Array<{ bucket: string; min: number; max: number }> {
  return edges.slice(1).map((max, i) => ({ bucket: `${edges[i]}-${max}`, min: edges[i]!, max }))
}

/** Similarity buckets; 0.95 separates "kept" from "lightly edited". */
const SIMILARITY_EDGES = [0, 0.2, 0.4, 0.6, 0.8, 0.95, 1]
export const SIMILARITY_BUCKETS = rangeBuckets(SIMILARITY_EDGES)

/** How the decisions on one channel's drafts went. */
interface DecisionCounts {
  shown: number
  decided: number
  usedAsIs: number
  usedEdited: number
  replaced: number
  rejected: number
}

export interface ChannelMetrics extends DecisionCounts {
  usedRate: number | null
  similarity: {
    mean: number | null
    distribution: Array<{ bucket: string; min: number; max: number; count: number }>
  }
}

export type ChannelBreakdown = Record<Channel, ChannelMetrics>

export interface ChannelRow extends DecisionCounts {
  /** GROUPING(prompt_version_id): 1 for the overall grouping set. */
  g: number
  promptVersionId: number | null
  channel: Channel
  meanSimilarity: number | null
  /** Counts per {@link SIMILARITY_BUCKETS} entry. */
  buckets: number[]
}

const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e6) / 1e6)

/** One row per (grouping, channel) for the tenant's drafts created in [from, to). */
export async function channelRows(
  sql: Db,
  tenantId: number,
  window: { from: Date; to: Date },
): Promise<ChannelRow[]> {
  // width_bucket over the inner edges: 0 below the first, 5 from 0.95 up (1 included), as SIMILARITY_BUCKETS.
  // In real, the column's type, so a stored 0.95 counts as 0.95.
  const bucketIndex = sql`width_bucket(ar.edit_distance, ${SIMILARITY_EDGES.slice(1, -1)}::real[])`
  return sql<ChannelRow[]>`
    WITH x AS (
      SELECT d.prompt_version_id, d.status, d.review_channel, c.channel,
             CASE c.channel WHEN 'api' THEN d.shown_api_at ELSE d.shown_whmcs_at END AS shown_at,
             CASE WHEN ar.channel = c.channel THEN ar.edited END AS edited,
             CASE WHEN ar.channel = c.channel THEN ar.edit_distance END AS similarity,
             CASE WHEN ar.channel = c.channel THEN ${bucketIndex} END AS bucket
      FROM ai_replies d
      LEFT JOIN approved_replies ar ON ar.ai_reply_id = d.id AND ar.tenant_id = ${tenantId}
      CROSS JOIN (VALUES ('api'), ('whmcs')) AS c(channel)
      WHERE d.tenant_id = ${tenantId} AND d.created_at >= ${window.from} AND d.created_at < ${window.to}
    )
    SELECT GROUPING(prompt_version_id) AS g, prompt_version_id, channel,
      count(*) FILTER (WHERE shown_at IS NOT NULL)::int AS shown,
      count(*) FILTER (WHERE review_channel = channel)::int AS decided,
      count(*) FILTER (WHERE review_channel = channel AND status IN ('approved', 'sent_as_drafted')
                         AND edited IS FALSE)::int AS used_as_is,
      count(*) FILTER (WHERE review_channel = channel AND status IN ('approved', 'sent_edited')
                         AND edited IS TRUE)::int AS used_edited,
      count(*) FILTER (WHERE review_channel = channel AND status = 'replaced')::int AS replaced,
      count(*) FILTER (WHERE review_channel = channel AND status = 'rejected')::int AS rejected,
      avg(similarity)::float8 AS mean_similarity,
      ARRAY[count(*) FILTER (WHERE bucket = 0), count(*) FILTER (WHERE bucket = 1),
            count(*) FILTER (WHERE bucket = 2), count(*) FILTER (WHERE bucket = 3),
            count(*) FILTER (WHERE bucket = 4), count(*) FILTER (WHERE bucket = 5)]::int[] AS buckets
    FROM x
    GROUP BY GROUPING SETS ((channel), (prompt_version_id, channel))`
}

/** The per-channel figures of one group from its rows (zeros for a channel without drafts). */
export function channelMetrics(rows: readonly ChannelRow[]): ChannelBreakdown {
  const of = (channel: Channel): ChannelMetrics => {
    const r = rows.find((x) => x.channel === channel)
    const used = (r?.usedAsIs ?? 0) + (r?.usedEdited ?? 0)
    return {
      shown: r?.shown ?? 0,
      decided: r?.decided ?? 0,
      usedAsIs: r?.usedAsIs ?? 0,
      usedEdited: r?.usedEdited ?? 0,
      replaced: r?.replaced ?? 0,
      rejected: r?.rejected ?? 0,
      usedRate: r && r.decided > 0 ? round(used / r.decided) : null,
      similarity: {
        mean: round(r?.meanSimilarity ?? null),
        distribution: SIMILARITY_BUCKETS.map((b, i) => ({ ...b, count: r?.buckets[i] ?? 0 })),
      },
    }
  }
  return { api: of('api'), whmcs: of('whmcs') }
}
