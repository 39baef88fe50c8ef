import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { call } from '../../../lib/api.ts'
import type { BodyOf, ReplyOf, RouteKey } from '../../../lib/contract.ts'
import { getSession } from '../../../lib/session.ts'

export type User = ReplyOf<'GET /users'>['items'][number]
export type ApiKey = ReplyOf<'GET /api-keys'>['items'][number]
export type PromptVersion = ReplyOf<'GET /prompts'>['items'][number]
export type Reranking = NonNullable<BodyOf<'PUT /settings/reranking'>>
export type Tenant = ReplyOf<'PATCH /tenants/{id}'>
export type TenantPatch = NonNullable<BodyOf<'PATCH /tenants/{id}'>>

const tenantId = () => getSession()?.user.tenantId ?? 0

/** A list read of the settings pages, keyed by its route. */
function useList<K extends RouteKey>(key: K, read: (signal: AbortSignal) => Promise<ReplyOf<K>>) {
  return useQuery({ queryKey: ['settings', key], queryFn: ({ signal }) => read(signal) })
}

/** A write that refreshes the lists named by `refresh` once it is in. */
function useWrite<I, O>(write: (input: I) => Promise<O>, refresh: RouteKey[]) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: write,
    onSuccess: () => {
      for (const key of refresh) void client.invalidateQueries({ queryKey: ['settings', key] })
    },
  })
}

export const useUsers = () =>
  useList('GET /users', (signal) => call('GET /users', { query: { limit: 200 }, signal }))
export const useCreateUser = () =>
  useWrite((body: NonNullable<BodyOf<'POST /users'>>) => call('POST /users', { body }), ['GET /users'])
export const useUpdateUser = () =>
  useWrite(
    ({ id, ...body }: { id: number } & NonNullable<BodyOf<'PATCH /users/{id}'>>) =>
      call('PATCH /users/{id}', { params: { id }, body }),
    ['GET /users'],
  )

export const useApiKeys = () =>
  useList('GET /api-keys', (signal) => call('GET /api-keys', { query: { limit: 200 }, signal }))
export const useCreateApiKey = () =>
  useWrite(
    (body: NonNullable<BodyOf<'POST /api-keys'>>) => call('POST /api-keys', { body }),
    ['GET /api-keys'],
  )
export const useRevokeApiKey = () =>
  useWrite((id: number) => call('DELETE /api-keys/{id}', { params: { id } }), ['GET /api-keys'])

export const usePrompts = () => useList('GET /prompts', (signal) => call('GET /prompts', { signal }))
export const useCreatePrompt = () =>
  useWrite((body: NonNullable<BodyOf<'POST /prompts'>>) => call('POST /prompts', { body }), ['GET /prompts'])
export const useActivatePrompt = () =>
  useWrite((id: number) => call('POST /prompts/{id}/activate', { params: { id } }), ['GET /prompts'])

export const useReranking = () =>
  useList('GET /settings/reranking', (signal) => call('GET /settings/reranking', { signal }))
export const useSaveReranking = () =>
  useWrite((body: Reranking) => call('PUT /settings/reranking', { body }), ['GET /settings/reranking'])

export const useSyncLogs = () =>
  useQuery({
    queryKey: ['settings', 'GET /integrations/sync-logs'],
    queryFn: ({ signal }) => call('GET /integrations/sync-logs', { query: { limit: 20 }, signal }),
    // A sync runs in the background: the log shows it start and end.
    refetchInterval: (q) => (q.state.data?.items.some((l) => l.status === 'running') ? 2_000 : false),
  })
export const useSyncNow = () =>
  useWrite(() => call('POST /integrations/whmcs/sync'), ['GET /integrations/sync-logs'])

/**
 * The signed-in superadmin's own tenant (its WHMCS connection and settings): only `GET /tenants` reads a
 * tenant, and it is a superadmin's; an admin gets null and the page says who may change these.
 */
export function useOwnTenant(enabled: boolean) {
  return useQuery({
    queryKey: ['settings', 'GET /tenants'],
    enabled,
    queryFn: async ({ signal }) => {
      let cursor: string | undefined
      do {
        const page = await call('GET /tenants', {
          query: { limit: 200, ...(cursor ? { cursor } : {}) },
          signal,
        })
        const own = page.items.find((t) => t.id === tenantId())
        if (own) return own
        cursor = page.nextCursor ?? undefined
      } while (cursor)
      return null
    },
  })
}
export const useUpdateTenant = () =>
  useWrite(
    (body: TenantPatch) => call('PATCH /tenants/{id}', { params: { id: tenantId() }, body }),
    ['GET /tenants'],
  )
export const useRotateWebhookSecret = () =>
  useWrite(() => call('POST /tenants/{id}/webhook-secret', { params: { id: tenantId() } }), [])

export const useAudit = (action: string) =>
  useQuery({
    queryKey: ['settings', 'GET /audit', action],
    queryFn: ({ signal }) =>
      call('GET /audit', { query: { limit: 100, ...(action ? { action } : {}) }, signal }),
  })

export type AccountFactsSettings = ReplyOf<'GET /settings/account-facts'>
export const useAccountFacts = () =>
  useList('GET /settings/account-facts', (signal) => call('GET /settings/account-facts', { signal }))
export const useSaveAccountFacts = () =>
  useWrite(
    (body: NonNullable<BodyOf<'PUT /settings/account-facts'>>) =>
      call('PUT /settings/account-facts', { body }),
    ['GET /settings/account-facts'],
  )
