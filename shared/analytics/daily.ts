/**
 * The figures behind GET /analytics/summary, kept per tenant and UTC day (issue 12).
 *
 * Every figure of the summary is additive over drafts, so it is stored per (tenant, day of the draft's
 * `created_at`, prompt version) as counts and sums (`analytics_daily`, migration 009) and a window adds
 * its days up. What a plain sum cannot give is kept in a form that can be summed:
 * - means are a sum and a count each, divided at the end;
 * - latency percentiles (`percentile_cont`, interpolated) need the order statistics, so each day keeps the
 *   count of every distinct `latency_ms` value (an integer): the merged counts are the window's exact
 *   multiset, and {@link percentileCont} applies Postgres's own formula to it. Exact, not a sketch: the
 *   result is the number `percentile_cont` gives over the same drafts;
 * - reasons, rejection reasons and calibration ids are counts per key; the top-N cut happens after merging.
 * Sums of reals (confidence, similarity) are added in another order than Postgres's `avg` would, which can
 * move a figure in the 15th digit; the API rounds to 6 decimals.
 *
 * Whole days of a window come from `analytics_daily`, the partial days at its edges straight from
 * `ai_replies` through the same queries ({@link dayFigures}), so any `from`/`to` instant is exact.
 * Triggers mark a day stale in the transaction of any change to its drafts or their approvals;
 * {@link refreshDays} recomputes the stale days of a window from the source rows before it is read.
 */
import type { Fragment } from 'postgres'
import type { Db, Sql } from '../db/sql.ts'
import { type Channel, type DecisionCounts, REVIEW_CHANNELS, SIMILARITY_EDGES } from './channels.ts'
import type { DraftStatusCounts } from './summary.ts'

const DAY_MS = 24 * 3600 * 1000
/** The plain counters of {@link GroupFigures}: read from a day's query row, added up over days. */
const COUNTS = [
  'drafts',
  'pending',
  'approved',
  'rejected',
  'superseded',
  'sentAsDrafted',
  'sentEdited',
  'replaced',
  'approvals',
  'approvedUnedited',
  'corrections',
  'escalated',
] as const
/** Five calibration buckets in the summary, ten in liveCalibration. */
export const SUMMARY_BUCKETS = 5
export const LIVE_BUCKETS = 10

/** [sum, count] of a column's non-null values. */
type Sum = [number, number]

interface ChannelFigures extends DecisionCounts {
  similarity: Sum
  /** Counts per SIMILARITY_BUCKETS entry. */
  buckets: number[]
}

/** The additive figures of one prompt version's drafts on one day (the JSON stored per day). */
export interface GroupFigures extends DraftStatusCounts {
  drafts: number
  approvals: number
  approvedUnedited: number
  corrections: number
  escalated: number
  similarity: Sum
  confidence: Sum
  latency: Sum
  tokens: Sum
  /** Flat [value, count, value, count, …] of `latency_ms`: the exact multiset, for percentiles. */
  latencies: number[]
  /** Per summary bucket: [drafts, used, not used, confidence sum, confidence count]. */
  buckets: number[][]
  /** [code, category, drafts] */
  reasons: Array<[string | null, string | null, number]>
  /** [normalised reason, count] */
  rejections: Array<[string, number]>
  channels: Record<Channel, ChannelFigures>
}

/** liveCalibration's figures of one day: decided drafts per ten-point bucket, and calibration ids used. */
export interface LiveFigures {
  /** Per live bucket: [decided, right, confidence sum, confidence count]. */
  buckets: number[][]
  /** [calibration id, drafts] */
  calibrations: Array<[string | null, number]>
}

export interface DayFigures {
  /** By prompt version id, `none` for the built-in fallback prompt. */
  groups: Record<string, GroupFigures>
  live: LiveFigures
}

const emptyChannel = (): ChannelFigures => ({
  shown: 0,
  decided: 0,
  usedAsIs: 0,
  usedEdited: 0,
  replaced: 0,
  rejected: 0,
  similarity: [0, 0],
  buckets: new Array(SIMILARITY_EDGES.length - 1).fill(0),
})

const emptyGroup = (): GroupFigures => ({
  drafts: 0,
  pending: 0,
  approved: 0,
  rejected: 0,
  superseded: 0,
  sentAsDrafted: 0,
  sentEdited: 0,
  replaced: 0,
  approvals: 0,
  approvedUnedited: 0,
  corrections: 0,
  escalated: 0,
  similarity: [0, 0],
  confidence: [0, 0],
  latency: [0, 0],
  tokens: [0, 0],
  latencies: [],
  buckets: Array.from({ length: SUMMARY_BUCKETS }, () => [0, 0, 0, 0, 0]),
  reasons: [],
  rejections: [],
  channels: { api: emptyChannel(), whmcs: emptyChannel() },
})

const emptyLive = (): LiveFigures => ({
  buckets: Array.from({ length: LIVE_BUCKETS }, () => [0, 0, 0, 0]),
  calibrations: [],
})

const groupKey = (promptVersionId: number | null): string =>
  promptVersionId === null ? 'none' : String(promptVersionId)

/**
 * The figures of a tenant's drafts matching `where` (a condition on `d`, the drafts), per UTC day. The
 * queries are those the summary used to run over its whole window, grouped by day and prompt version
 * instead of by grouping sets.
 */
export async function dayFigures(
  db: Db,
  tenantId: number,
  where: Fragment,
): Promise<Map<string, DayFigures>> {
  // The UTC day of a draft, as the triggers of migration 009 compute it.
  const day = db`to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
  const scope = db`d.tenant_id = ${tenantId} AND ${where}`
  const approvals = db`LEFT JOIN approved_replies ar ON ar.ai_reply_id = d.id AND ar.tenant_id = ${tenantId}`
  const reason = db`coalesce(nullif(regexp_replace(lower(btrim(d.reject_reason)), '\\s+', ' ', 'g'), ''), 'unspecified')`
  // width_bucket over the inner edges: 0 below the first, 5 from 0.95 up (1 included), as SIMILARITY_BUCKETS;
  // in real, the column's type, so a stored 0.95 counts as 0.95.
  const similarityBucket = db`width_bucket(ar.edit_distance, ${SIMILARITY_EDGES.slice(1, -1)}::real[])`

  type Keyed = { day: string; promptVersionId: number | null }
  const [base, latencies, buckets, reasons, rejections, channels, live, calibrations] = await Promise.all([
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
      GROUP BY 1, 2`,

    db<Array<Keyed & { value: number; n: number }>>`
      SELECT ${day} AS day, d.prompt_version_id, d.latency_ms AS value, count(*)::int AS n
      FROM ai_replies d ${approvals}
      WHERE ${scope} AND d.latency_ms IS NOT NULL
      GROUP BY 1, 2, 3`,

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
      GROUP BY 1, 2, 3`,

    // Only escalated drafts carry reasons; a draft counts once per reason even if a rule matched twice.
    db<Array<Keyed & { code: string | null; category: string | null; drafts: number }>>`
      SELECT ${day} AS day, d.prompt_version_id,
        r.value->>'code' AS code, r.value->>'category' AS category,
        count(DISTINCT d.id)::int AS drafts
      FROM ai_replies d
      CROSS JOIN LATERAL jsonb_array_elements(d.escalation_reasons) r
      WHERE ${scope} AND d.escalated AND jsonb_typeof(d.escalation_reasons) = 'array'
      GROUP BY 1, 2, 3, 4`,

    // "Wrong price", "wrong price " and "Wrong  Price" are one reason.
    db<Array<Keyed & { reason: string; count: number }>>`
      SELECT ${day} AS day, d.prompt_version_id, ${reason} AS reason, count(*)::int AS count
      FROM ai_replies d
      WHERE ${scope} AND d.status = 'rejected'
      GROUP BY 1, 2, 3`,

    // Per channel; see analytics-channels.ts for what each count means.
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
      GROUP BY 1, 2, 3`,

    // liveCalibration (calibration-analytics.ts): drafts a human decided on through the API.
    db<Array<{ day: string; bucket: number | null; decided: number; right: number; sum: number; n: number }>>`
      SELECT ${day} AS day,
        least(floor(d.confidence_score / ${100 / LIVE_BUCKETS})::int, ${LIVE_BUCKETS - 1}) AS bucket,
        count(*)::int AS decided,
        count(*) FILTER (WHERE ar.id IS NOT NULL AND NOT ar.edited)::int AS right,
        coalesce(sum(d.confidence_score::float8), 0)::float8 AS sum,
        count(d.confidence_score)::int AS n
      FROM ai_replies d ${approvals}
      WHERE ${scope} AND d.status IN ('approved', 'rejected')
      GROUP BY 1, 2`,

    db<Array<{ day: string; id: string | null; drafts: number }>>`
      SELECT ${day} AS day, d.calibration->>'id' AS id, count(*)::int AS drafts
      FROM ai_replies d
      WHERE ${scope}
      GROUP BY 1, 2`,
  ])

  const days = new Map<string, DayFigures>()
  const dayOf = (key: string): DayFigures => {
    let f = days.get(key)
    if (!f) {
      f = { groups: {}, live: emptyLive() }
      days.set(key, f)
    }
    return f
  }
  const groupOf = (row: Keyed): GroupFigures => {
    const f = dayOf(row.day)
    const key = groupKey(row.promptVersionId)
    let g = f.groups[key]
    if (!g) {
      g = emptyGroup()
      f.groups[key] = g
    }
    return g
  }

  for (const r of base) {
    const g = groupOf(r)
    for (const k of COUNTS) g[k] = r[k]!
    g.similarity = [r.similaritySum!, r.similarityN!]
    g.confidence = [r.confidenceSum!, r.confidenceN!]
    g.latency = [r.latencySum!, r.latencyN!]
    g.tokens = [r.tokensSum!, r.tokensN!]
  }
  for (const r of latencies) groupOf(r).latencies.push(r.value, r.n)
  for (const r of buckets) {
    // A bucket is null only without a confidence score, which the column forbids; the summary skipped it too.
    if (r.bucket === null) continue
    groupOf(r).buckets[r.bucket] = [r.drafts, r.used, r.notUsed, r.sum, r.n]
  }
  for (const r of reasons) groupOf(r).reasons.push([r.code, r.category, r.drafts])
  for (const r of rejections) groupOf(r).rejections.push([r.reason, r.count])
  for (const r of channels) {
    groupOf(r).channels[r.channel] = {
      shown: r.shown!,
      decided: r.decided!,
      usedAsIs: r.usedAsIs!,
      usedEdited: r.usedEdited!,
      replaced: r.replaced!,
      rejected: r.rejected!,
      similarity: [r.similaritySum!, r.similarityN!],
      buckets: r.buckets,
    }
  }
  for (const r of live) {
    if (r.bucket === null) continue
    dayOf(r.day).live.buckets[r.bucket] = [r.decided, r.right, r.sum, r.n]
  }
  for (const r of calibrations) dayOf(r.day).live.calibrations.push([r.id, r.drafts])
  return days
}

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/**
 * Recomputes the tenant's stale days in [firstDay, endDay) from their drafts and stores them. Refreshes of
 * one tenant take turns (advisory lock), so an older snapshot can never overwrite a newer one; the stale
 * marks are deleted by the statement that collects them, and every later statement of the transaction
 * sees at least what that statement saw, so a mark only disappears once its change is in the figures.
 * Returns the days recomputed.
 */
export async function refreshDays(
  sql: Sql,
  tenantId: number,
  firstDay: string,
  endDay: string,
): Promise<string[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext('analytics_daily'), ${tenantId})`
    const marks = await tx<{ day: string }[]>`
      DELETE FROM analytics_stale_days
      WHERE tenant_id = ${tenantId} AND day >= ${firstDay} AND day < ${endDay}
      RETURNING to_char(day, 'YYYY-MM-DD') AS day`
    const stale = [...new Set(marks.map((m) => m.day))].sort()
    if (stale.length === 0) return []
    // A first refresh after the backfill covers the whole history: keep its sorts in memory.
    await tx`SET LOCAL work_mem = '32MB'`
    const start = new Date(`${stale[0]}T00:00:00Z`)
    const end = new Date(Date.parse(`${stale[stale.length - 1]}T00:00:00Z`) + DAY_MS)
    const figures = await dayFigures(
      tx,
      tenantId,
      // The range lets the (tenant_id, created_at) index find the rows; the list picks the stale days.
      tx`d.created_at >= ${start} AND d.created_at < ${end}
         AND (d.created_at AT TIME ZONE 'UTC')::date IN ${tx(stale)}`,
    )
    const rows = [...figures].map(([day, f]) => ({ tenant_id: tenantId, day, figures: tx.json(f as never) }))
    if (rows.length > 0) {
      await tx`
        INSERT INTO analytics_daily ${tx(rows)}
        ON CONFLICT (tenant_id, day) DO UPDATE SET figures = EXCLUDED.figures, refreshed_at = now()`
    }
    // A day whose drafts are all gone has no figures any more.
    const gone = stale.filter((d) => !figures.has(d))
    if (gone.length > 0)
      await tx`DELETE FROM analytics_daily WHERE tenant_id = ${tenantId} AND day IN ${tx(gone)}`
    return stale
  }) as Promise<string[]>
}

/** Figures of one group merged over days: counts and sums added, keyed counts in maps. */
export interface MergedGroup extends Omit<GroupFigures, 'latencies' | 'reasons' | 'rejections'> {
  latencies: Map<number, number>
  reasons: Map<string, { code: string | null; category: string | null; drafts: number }>
  rejections: Map<string, number>
}

export interface WindowFigures {
  /** By prompt version id (`none` for the built-in prompt); only groups with drafts. */
  groups: Map<string, MergedGroup>
  overall: MergedGroup
  live: { buckets: number[][]; calibrations: Map<string | null, number> }
}

const mergedGroup = (): MergedGroup => ({
  ...emptyGroup(),
  latencies: new Map(),
  reasons: new Map(),
  rejections: new Map(),
})

const addSum = (into: Sum, from: Sum) => {
  into[0] += from[0]
  into[1] += from[1]
}
const addArray = (into: number[], from: readonly number[]) => {
  for (let i = 0; i < into.length; i++) into[i]! += from[i] ?? 0
}

function addGroup(into: MergedGroup, from: GroupFigures): void {
  for (const k of COUNTS) into[k] += from[k]
  addSum(into.similarity, from.similarity)
  addSum(into.confidence, from.confidence)
  addSum(into.latency, from.latency)
  addSum(into.tokens, from.tokens)
  const lat = from.latencies
  for (let i = 0; i < lat.length; i += 2)
    into.latencies.set(lat[i]!, (into.latencies.get(lat[i]!) ?? 0) + lat[i + 1]!)
  for (const [i, b] of from.buckets.entries()) addArray(into.buckets[i]!, b)
  for (const [code, category, drafts] of from.reasons) {
    const key = JSON.stringify([code, category])
    const r = into.reasons.get(key)
    if (r) r.drafts += drafts
    else into.reasons.set(key, { code, category, drafts })
  }
  for (const [reason, count] of from.rejections)
    into.rejections.set(reason, (into.rejections.get(reason) ?? 0) + count)
  for (const c of REVIEW_CHANNELS) {
    const a = into.channels[c]
    const b = from.channels[c]
    a.shown += b.shown
    a.decided += b.decided
    a.usedAsIs += b.usedAsIs
    a.usedEdited += b.usedEdited
    a.replaced += b.replaced
    a.rejected += b.rejected
    addSum(a.similarity, b.similarity)
    addArray(a.buckets, b.buckets)
  }
}

function merge(days: Iterable<DayFigures>): WindowFigures {
  const groups = new Map<string, MergedGroup>()
  const overall = mergedGroup()
  const live = { buckets: emptyLive().buckets, calibrations: new Map<string | null, number>() }
  for (const day of days) {
    for (const [key, g] of Object.entries(day.groups)) {
      let into = groups.get(key)
      if (!into) {
        into = mergedGroup()
        groups.set(key, into)
      }
      addGroup(into, g)
      addGroup(overall, g)
    }
    for (const [i, b] of day.live.buckets.entries()) addArray(live.buckets[i]!, b)
    for (const [id, n] of day.live.calibrations)
      live.calibrations.set(id, (live.calibrations.get(id) ?? 0) + n)
  }
  return { groups, overall, live }
}

/**
 * The window's figures computed from `ai_replies` alone, without `analytics_daily`: what the partial days at
 * a window's edges use, and the from-scratch answer tests hold the daily figures against.
 */
export async function sourceFigures(
  db: Db,
  tenantId: number,
  window: { from: Date; to: Date },
): Promise<WindowFigures> {
  const days = await dayFigures(
    db,
    tenantId,
    db`d.created_at >= ${window.from} AND d.created_at < ${window.to}`,
  )
  return merge(days.values())
}

/**
 * The figures of a tenant's drafts created in [from, to): the stale whole days refreshed, then whole days
 * from `analytics_daily` and the partial days at the edges from `ai_replies` (on a server's pool at once).
 */
export async function windowFigures(
  sql: Sql,
  tenantId: number,
  window: { from: Date; to: Date },
): Promise<WindowFigures> {
  const from = window.from.getTime()
  const to = window.to.getTime()
  const firstWhole = Math.ceil(from / DAY_MS) * DAY_MS
  const endWhole = Math.floor(to / DAY_MS) * DAY_MS
  const live = (a: number, b: number) =>
    dayFigures(sql, tenantId, sql`d.created_at >= ${new Date(a)} AND d.created_at < ${new Date(b)}`)

  if (firstWhole >= endWhole) return sourceFigures(sql, tenantId, window)

  await refreshDays(sql, tenantId, isoDay(firstWhole), isoDay(endWhole))
  const [stored, head, tail] = await Promise.all([
    sql<{ figures: DayFigures }[]>`
      SELECT figures FROM analytics_daily
      WHERE tenant_id = ${tenantId} AND day >= ${isoDay(firstWhole)} AND day < ${isoDay(endWhole)}`,
    from < firstWhole ? live(from, firstWhole) : new Map<string, DayFigures>(),
    endWhole < to ? live(endWhole, to) : new Map<string, DayFigures>(),
  ])
  return merge([...stored.map((r) => r.figures), ...head.values(), ...tail.values()])
}

/**
 * `percentile_cont(fraction) WITHIN GROUP (ORDER BY value)` over a multiset given as value → count, with
 * Postgres's arithmetic (orderedsetaggs.c: rows floor and ceil of fraction × (n − 1), linear
 * interpolation in float8), so the result is the same number. Null for an empty multiset.
 */
export function percentileCont(counts: ReadonlyMap<number, number>, fraction: number): number | null {
  let n = 0
  for (const c of counts.values()) n += c
  if (n === 0) return null
  const position = fraction * (n - 1)
  const first = Math.floor(position)
  const second = Math.ceil(position)
  const values = [...counts.keys()].sort((a, b) => a - b)
  let seen = 0
  let lo: number | undefined
  let hi: number | undefined
  for (const v of values) {
    seen += counts.get(v)!
    if (lo === undefined && seen > first) lo = v
    if (seen > second) {
      hi = v
      break
    }
  }
  return lo! + (hi! - lo!) * (position - first)
}

/**
 * An ascending ORDER BY of text in the C collation (the servers' and PGlite's: UTF-8 byte order, i.e. code
 * points), NULLs last, so merged lists break ties as the queries over ai_replies did.
 */
export function byCodePoint(a: string | null, b: string | null): number {
  if (a === b) return 0
  if (a === null) return 1
  if (b === null) return -1
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/** Most tenants one scheduled refresh takes on; the rest wait for the next run (oldest stale day first). */
export const REFRESH_TENANTS_PER_RUN = 20

/**
 * Recomputes the stale days of the tenants with the oldest stale marks (at most `maxTenants`), so the marks
 * the write triggers append do not pile up between summaries and a summary after a quiet week does not
 * pay for the whole week. The `analytics-refresh` schedule runs it; each tenant's refresh is
 * {@link refreshDays}, so a summary running at the same time only waits its turn for that tenant.
 */
export async function refreshStaleDays(
  sql: Sql,
  maxTenants = REFRESH_TENANTS_PER_RUN,
): Promise<{ tenants: number; days: number }> {
  const stale = await sql<{ tenantId: number; firstDay: string; lastDay: string }[]>`
    SELECT tenant_id, to_char(min(day), 'YYYY-MM-DD') AS first_day, to_char(max(day), 'YYYY-MM-DD') AS last_day
    FROM analytics_stale_days GROUP BY tenant_id ORDER BY min(day), tenant_id LIMIT ${maxTenants}`
  let days = 0
  // One tenant at a time: each refresh is a few statements under that tenant's lock, and a schedule has
  // no deadline a parallel run would meet better than the pool's other users.
  for (const s of stale) {
    const end = isoDay(Date.parse(`${s.lastDay}T00:00:00Z`) + DAY_MS)
    days += (await refreshDays(sql, s.tenantId, s.firstDay, end)).length
  }
  return { tenants: stale.length, days }
}
