import { useMutation } from '@tanstack/react-query'
import { call } from '../../../lib/api.ts'

/** *Try a question*: what the pipeline would retrieve and draft, stored nowhere (`POST /drafts/preview`). */
export function useTryQuestion() {
  return useMutation({
    mutationFn: (input: { question: string; subject?: string }) =>
      call('POST /drafts/preview', { body: input }),
  })
}
