import { useQuery } from '@tanstack/react-query'
import { call } from '../../../lib/api.ts'
import type { ReplyOf } from '../../../lib/contract.ts'

export type Summary = ReplyOf<'GET /analytics/summary'>

/** A date range as the page shows it: whole UTC days, both inclusive. */
export interface Range {
  from: string
  to: string
}

const DAY = 86_400_000
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/** The last `days` days up to today. */
export const lastDays = (days: number): Range => ({
  from: isoDay(Date.now() - (days - 1) * DAY),
  to: isoDay(Date.now()),
})

/** Every day of the range, so days without drafts show as zero. */
export function daysOf(range: Range): string[] {
  const out: string[] = []
  for (let t = Date.parse(range.from); t <= Date.parse(range.to) && out.length < 400; t += DAY)
    out.push(isoDay(t))
  return out
}

/** `GET /analytics/summary` for the range (`to` is exclusive in the API: the day after the last one). */
export function useSummary(range: Range) {
  return useQuery({
    queryKey: ['analytics', range],
    queryFn: ({ signal }) =>
      call('GET /analytics/summary', {
        query: { from: range.from, to: isoDay(Date.parse(range.to) + DAY) },
        signal,
      }),
  })
}
