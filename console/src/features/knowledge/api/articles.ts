import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { call } from '../../../lib/api.ts'
import type { BodyOf, ReplyOf } from '../../../lib/contract.ts'

export type Article = ReplyOf<'GET /kb/articles/{id}'>
export type ArticleInput = NonNullable<BodyOf<'PATCH /kb/articles/{id}'>>
export type Category = Article['category']

export const CATEGORIES = [
  'product',
  'pricing',
  'policy',
  'sla',
  'faq',
  'custom',
] as const satisfies Category[]

const ARTICLES = ['kb-articles'] as const

/** Re-read while something is being indexed, so the list shows when it is done. */
const INDEXING_POLL_MS = 2_000

/** Articles (the tenant's and the global ones), newest first, filtered, a page at a time. */
export function useArticles(filter: { q: string; category: string }) {
  return useInfiniteQuery({
    queryKey: [...ARTICLES, filter],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      call('GET /kb/articles', {
        query: {
          limit: 50,
          ...(filter.q.trim() ? { q: filter.q.trim() } : {}),
          ...(filter.category ? { category: filter.category as Category } : {}),
          ...(pageParam ? { cursor: pageParam } : {}),
        },
        signal,
      }),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: (query) =>
      query.state.data?.pages.some((p) => p.items.some((a) => a.isActive && !a.isIndexed && !a.indexError))
        ? INDEXING_POLL_MS
        : false,
  })
}

export function useArticle(id: number | null) {
  return useQuery({
    queryKey: [...ARTICLES, 'one', id],
    queryFn: ({ signal }) => call('GET /kb/articles/{id}', { params: { id: id! }, signal }),
    enabled: id !== null,
    refetchInterval: (query) => {
      const a = query.state.data
      return a?.isActive && !a.isIndexed && !a.indexError ? INDEXING_POLL_MS : false
    },
  })
}

/** *Save*: creates the article, or updates it (a content change queues re-indexing). */
export function useSaveArticle(id: number | null) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (input: ArticleInput & { title: string; content: string }) =>
      id === null
        ? call('POST /kb/articles', { body: input })
        : call('PATCH /kb/articles/{id}', { params: { id }, body: input }),
    onSuccess: () => client.invalidateQueries({ queryKey: ARTICLES }),
  })
}

export function useDeleteArticle() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (id: number) => call('DELETE /kb/articles/{id}', { params: { id } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ARTICLES }),
  })
}

/** Invalidates the article list after an import. */
export function useRefreshArticles() {
  const client = useQueryClient()
  return () => client.invalidateQueries({ queryKey: ARTICLES })
}
