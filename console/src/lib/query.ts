import { QueryClient } from '@tanstack/react-query'
import { ApiError } from './api.ts'

/** The one query client: no retries of answers that will not change (4xx), a short freshness window. */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      retry: (count, error) =>
        count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
    },
    mutations: { retry: false },
  },
})
