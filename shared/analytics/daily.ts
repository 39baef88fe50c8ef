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
import { dayRows, type Keyed } from './day-queries.ts'
import {
  COUNTS,
  type DayFigures,
  emptyGroup,
  emptyLive,
  type GroupFigures,
  groupKey,
  merge,
  type WindowFigures,
} from './figures.ts'

const DAY_MS = 24 * 3600 * 1000

/**
 * The figures of a tenant's drafts matching `where` (a condition on `d`, the drafts), per UTC day. The
 * queries are those the summary used to run over its whole window, grouped by day and prompt version
 * instead of by grouping sets.
 */
async function dayFigures(db: Db, tenantId: number, where: Fragment): Promise<Map<string, DayFigures>> {
  const { base, latencies, buckets, reasons, rejections, channels, live, calibrations } = await dayRows(
    db,
    tenantId,
    where,
  )
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
async function refreshDays(sql: Sql, tenantId: number, firstDay: string, endDay: string): Promise<string[]> {
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

/**
 * The window's figures computed from `ai_replies` alone, without `analytics_daily`: what the partial days at
 * a window's edges use, and the from-scratch answer tests hold the daily figures against.
 * @internal
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
  return merge(days)
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
    sql<{ day: string; figures: DayFigures }[]>`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, figures FROM analytics_daily
      WHERE tenant_id = ${tenantId} AND day >= ${isoDay(firstWhole)} AND day < ${isoDay(endWhole)}`,
    from < firstWhole ? live(from, firstWhole) : new Map<string, DayFigures>(),
    endWhole < to ? live(endWhole, to) : new Map<string, DayFigures>(),
  ])
  return merge([...stored.map((r) => [r.day, r.figures] as const), ...head, ...tail])
}

/** Most tenants one scheduled refresh takes on; the rest wait for the next run (oldest stale day first). */
const REFRESH_TENANTS_PER_RUN = 20

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
