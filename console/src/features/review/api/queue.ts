import { useQuery } from '@tanstack/react-query'
import { call } from '../../../lib/api.ts'
import type { ReplyOf, Staff } from '../../../lib/contract.ts'

type Page = Staff<ReplyOf<'GET /tickets'>>
export type QueueItem = Page['items'][number]

/** The API's largest page: a queue of 1,000 is five requests. */
const PAGE = 200

/**
 * The whole review queue (`GET /tickets?needsReview=true`, page by page), so it can be sorted and filtered
 * at once in the browser: escalated first, then longest waiting. A desk's pending drafts are hundreds, not
 * millions; the bench measures 1,000.
 */
async function loadQueue(signal: AbortSignal): Promise<QueueItem[]> {
  const items: QueueItem[] = []
  let cursor: string | undefined
  do {
    const page = (await call('GET /tickets', {
      query: { needsReview: 'true', limit: PAGE, ...(cursor ? { cursor } : {}) },
      signal,
    })) as Page
    items.push(...page.items)
    cursor = page.nextCursor ?? undefined
  } while (cursor)
  return items
}

/** Escalated first, then the customer who has waited longest, then the older ticket. */
function queueOrder(a: QueueItem, b: QueueItem): number {
  if (Boolean(a.escalated) !== Boolean(b.escalated)) return a.escalated ? -1 : 1
  const wait = Date.parse(a.waitingSince ?? a.createdAt) - Date.parse(b.waitingSince ?? b.createdAt)
  return wait || a.id - b.id
}

export const QUEUE_KEY = ['review-queue'] as const

/** The review queue, sorted, refreshed every 30 s while the page is open. */
export function useReviewQueue() {
  return useQuery({
    queryKey: QUEUE_KEY,
    queryFn: async ({ signal }) => (await loadQueue(signal)).sort(queueOrder),
    refetchInterval: 30_000,
  })
}
