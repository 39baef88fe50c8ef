/**
 * Review analytics per channel (issue 10): what agents did with drafts through the API and in WHMCS.
 *
 * Counted by analytics-daily.ts with the other figures (its channel query); per channel (`api`, `whmcs`),
 * over the drafts created in the window, overall and per prompt version:
 * - shown: drafts an agent saw while pending in that channel (`shown_api_at` / `shown_whmcs_at`);
 * - decided: drafts decided in that channel (`review_channel`);
 * - usedAsIs: approved unedited (API) or sent as drafted (WHMCS); usedEdited: approved edited or sent edited;
 * - replaced: the agent sent their own answer in WHMCS; rejected: rejected (API, or the panel's Not helpful);
 * - usedRate = (usedAsIs + usedEdited) / decided;
 * - similarity: mean and distribution of `approved_replies.edit_distance` (the Levenshtein similarity, 1 =
 *   unchanged) of the channel's approvals, replaced ones included.
 */
export const REVIEW_CHANNELS = ['api', 'whmcs'] as const
export type Channel = (typeof REVIEW_CHANNELS)[number]

/** Consecutive ranges [min, max) between the edges, labelled "min-max"; the last one is closed. */
export function rangeBuckets(edges: readonly number[]): Array<{ bucket: string; min: number; max: number }> {
  return edges.slice(1).map((max, i) => ({ bucket: `${edges[i]}-${max}`, min: edges[i]!, max }))
}

/** Similarity buckets; 0.95 separates "kept" from "lightly edited". */
export const SIMILARITY_EDGES = [0, 0.2, 0.4, 0.6, 0.8, 0.95, 1]
const SIMILARITY_BUCKETS = rangeBuckets(SIMILARITY_EDGES)

/** How the decisions on one channel's drafts went. */
export interface DecisionCounts {
  shown: number
  decided: number
  usedAsIs: number
  usedEdited: number
  replaced: number
  rejected: number
}

interface ChannelMetrics extends DecisionCounts {
  usedRate: number | null
  similarity: {
    mean: number | null
    distribution: Array<{ bucket: string; min: number; max: number; count: number }>
  }
}

export type ChannelBreakdown = Record<Channel, ChannelMetrics>

/** One channel's counts of one group of drafts, as analytics-daily.ts merges them. */
export interface ChannelRow extends DecisionCounts {
  channel: Channel
  meanSimilarity: number | null
  /** Counts per {@link SIMILARITY_BUCKETS} entry. */
  buckets: number[]
}

const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e6) / 1e6)

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
