import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef, useState } from 'react'
import { call } from '../../../lib/api.ts'
import type { ReplyOf, Staff } from '../../../lib/contract.ts'
import { QUEUE_KEY } from './queue.ts'

export type Ticket = Staff<ReplyOf<'GET /tickets/{id}'>>
export type Draft = ReplyOf<'GET /tickets/{id}/drafts'>['items'][number]

const ticketKey = (id: number) => ['ticket', id] as const
const draftsKey = (id: number) => ['drafts', id] as const

/** A ticket with its thread (`GET /tickets/{id}`). */
export function useTicket(id: number) {
  return useQuery({
    queryKey: ticketKey(id),
    queryFn: async ({ signal }) => (await call('GET /tickets/{id}', { params: { id }, signal })) as Ticket,
  })
}

/** Its drafts, newest first (`GET /tickets/{id}/drafts`). */
export function useDrafts(id: number) {
  return useQuery({
    queryKey: draftsKey(id),
    queryFn: async ({ signal }) => (await call('GET /tickets/{id}/drafts', { params: { id }, signal })).items,
  })
}

/** After a decision the ticket, its drafts and the queue have all changed. */
function useRefreshTicket(ticketId: number) {
  const client = useQueryClient()
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ticketKey(ticketId) }),
      client.invalidateQueries({ queryKey: draftsKey(ticketId) }),
      client.invalidateQueries({ queryKey: QUEUE_KEY }),
    ])
}

/** *Approve* (as drafted, or with the agent's edited `finalReply`), optionally sending it to WHMCS. */
export function useApprove(ticketId: number) {
  const refresh = useRefreshTicket(ticketId)
  return useMutation({
    mutationFn: (input: { draftId: number; finalReply?: string; sendToWhmcs: boolean }) =>
      call('POST /drafts/{id}/approve', {
        params: { id: input.draftId },
        body: {
          sendToWhmcs: input.sendToWhmcs,
          ...(input.finalReply ? { finalReply: input.finalReply } : {}),
        },
      }),
    onSuccess: refresh,
  })
}

/** *Reject* with a reason (shown in analytics). */
export function useReject(ticketId: number) {
  const refresh = useRefreshTicket(ticketId)
  return useMutation({
    mutationFn: (input: { draftId: number; reason: string }) =>
      call('POST /drafts/{id}/reject', { params: { id: input.draftId }, body: { reason: input.reason } }),
    onSuccess: refresh,
  })
}

/** Polling after *Regenerate*: quick at first, then slower, and it gives up after a while. */
const POLL_FIRST_MS = 500
const POLL_MAX_MS = 5_000
const POLL_GIVE_UP_MS = 180_000

export type RegenerateState = 'idle' | 'waiting' | 'ready' | 'failed' | 'timeout'

/**
 * *Regenerate*: queues a new draft (`POST /tickets/{id}/drafts`), then polls the ticket with backoff until
 * its newest draft is another one (the page then shows it) or drafting failed.
 */
export function useRegenerate(ticketId: number, currentDraftId: number | undefined) {
  const refresh = useRefreshTicket(ticketId)
  // The poll loop must not restart on every render, which would make a new `refresh`.
  const refreshRef = useRef(refresh)
  refreshRef.current = refresh
  const [state, setState] = useState<RegenerateState>('idle')
  const since = useRef<number | undefined>(undefined)
  const mutation = useMutation({
    mutationFn: () => call('POST /tickets/{id}/drafts', { params: { id: ticketId } }),
    onSuccess: () => {
      since.current = currentDraftId ?? 0
      setState('waiting')
    },
  })
  useEffect(() => {
    if (state !== 'waiting') return
    let delay = POLL_FIRST_MS
    let timer: ReturnType<typeof setTimeout>
    const started = Date.now()
    const controller = new AbortController()
    const poll = async () => {
      try {
        const ticket = (await call('GET /tickets/{id}', {
          params: { id: ticketId },
          signal: controller.signal,
        })) as Ticket
        const newest = ticket.latestDraft?.id ?? 0
        if (newest > (since.current ?? 0)) return settle('ready')
        if (ticket.draftState === 'failed') return settle('failed')
      } catch (error) {
        if ((error as Error).name === 'AbortError') return
      }
      if (Date.now() - started > POLL_GIVE_UP_MS) return settle('timeout')
      delay = Math.min(delay * 1.6, POLL_MAX_MS)
      timer = setTimeout(poll, delay)
    }
    const settle = async (next: RegenerateState) => {
      await refreshRef.current()
      setState(next)
    }
    timer = setTimeout(poll, delay)
    return () => {
      controller.abort()
      clearTimeout(timer)
    }
  }, [state, ticketId])
  return { regenerate: () => mutation.mutate(), state, error: mutation.error, pending: mutation.isPending }
}
