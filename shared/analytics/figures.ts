/**
 * The shapes of the analytics figures (shared/analytics/daily.ts) and how days add up to a window: every
 * figure is a count, a [sum, count] pair or counts per key, so merging is addition.
 */
import { type Channel, type DecisionCounts, REVIEW_CHANNELS, SIMILARITY_EDGES } from './channels.ts'

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

/** The plain counters of {@link GroupFigures}: read from a day's query row, added up over days. */
export const COUNTS = [
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
const SUMMARY_BUCKETS = 5
export const LIVE_BUCKETS = 10

/** [sum, count] of a column's non-null values. */
type Sum = [number, number]

export interface ChannelFigures extends DecisionCounts {
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

export const emptyGroup = (): GroupFigures => ({
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

export const emptyLive = (): LiveFigures => ({
  buckets: Array.from({ length: LIVE_BUCKETS }, () => [0, 0, 0, 0]),
  calibrations: [],
})

export const groupKey = (promptVersionId: number | null): string =>
  promptVersionId === null ? 'none' : String(promptVersionId)

/** Figures of one group merged over days: counts and sums added, keyed counts in maps. */
export interface MergedGroup extends Omit<GroupFigures, 'latencies' | 'reasons' | 'rejections'> {
  latencies: Map<number, number>
  reasons: Map<string, { code: string | null; category: string | null; drafts: number }>
  rejections: Map<string, number>
}

/** One UTC day of a window, all prompt versions and channels together: the summary's per-day series. */
export interface DayTotals {
  /** `YYYY-MM-DD`. */
  day: string
  drafts: number
  escalated: number
  usedAsIs: number
  usedEdited: number
  replaced: number
  rejected: number
}

export interface WindowFigures {
  /** By prompt version id (`none` for the built-in prompt); only groups with drafts. */
  groups: Map<string, MergedGroup>
  overall: MergedGroup
  live: { buckets: number[][]; calibrations: Map<string | null, number> }
  /** Days with drafts, oldest first. */
  byDay: DayTotals[]
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

/** Adds a day's groups to its per-day totals (a window's partial edge day and its stored part add up). */
function addDayTotals(totals: Map<string, DayTotals>, day: string, figures: DayFigures): void {
  let t = totals.get(day)
  if (!t) {
    t = { day, drafts: 0, escalated: 0, usedAsIs: 0, usedEdited: 0, replaced: 0, rejected: 0 }
    totals.set(day, t)
  }
  for (const g of Object.values(figures.groups)) {
    t.drafts += g.drafts
    t.escalated += g.escalated
    for (const c of REVIEW_CHANNELS) {
      t.usedAsIs += g.channels[c].usedAsIs
      t.usedEdited += g.channels[c].usedEdited
      t.replaced += g.channels[c].replaced
      t.rejected += g.channels[c].rejected
    }
  }
}

/** Adds up a window's days, given as `[YYYY-MM-DD, figures]`. */
export function merge(days: Iterable<readonly [string, DayFigures]>): WindowFigures {
  const groups = new Map<string, MergedGroup>()
  const overall = mergedGroup()
  const live = { buckets: emptyLive().buckets, calibrations: new Map<string | null, number>() }
  const totals = new Map<string, DayTotals>()
  for (const [dayKey, day] of days) {
    addDayTotals(totals, dayKey, day)
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
  const byDay = [...totals.values()].sort((a, b) => (a.day < b.day ? -1 : 1))
  return { groups, overall, live, byDay }
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
