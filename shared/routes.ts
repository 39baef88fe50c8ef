/**
 * The one table of HTTP routes, queues and schedules.
 *
 * The local runtime builds its router, queues and timers from it; CDK builds API Gateway routes,
 * Lambdas, SQS queues + DLQs, event source mappings and EventBridge rules from it. A route that exists
 * locally exists in AWS, and the other way round. Handler paths are relative to the repository root and
 * each module exports `handler`.
 */

/**
 * Minimum role a route needs; `public` routes authenticate themselves (login, webhooks) or not at all.
 * @internal
 */
export type RouteAuth = 'public' | 'user' | 'support_agent' | 'admin' | 'superadmin'

/**
 * A secret a function reads at cold start: database credentials, JWT signing key, tenant data key.
 * @internal
 */
export type SecretName = 'db' | 'jwt' | 'dataKey'

/**
 * What a function may touch besides its own queue, and in AWS nothing more: CDK grants exactly this and
 * passes only the matching `QUEUE_URL_*` and secret ARNs (`grantsOf`). test/unit/route-grants.test.ts
 * bundles every handler and checks each list against what its code can reach.
 */
interface Uses {
  /** Queues it enqueues jobs for (through the outbox, published after commit). */
  sends?: readonly QueueName[]
  /** Queues whose depth it reads (`GET /health`). */
  inspects?: readonly QueueName[]
  /** Secrets it reads; default the database (plus the JWT key, always, for a route that authenticates). */
  secrets?: readonly SecretName[]
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** API Gateway path syntax: `/tickets/{id}`. */
  path: string
  /** Module under functions/http, without extension. */
  handler: string
  auth: RouteAuth
  uses?: Uses
}

export interface QueueDef {
  name: QueueName
  /** Module under functions/workers, without extension. */
  worker: string
  batchSize: number
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: number
  /** Lambda timeout of the worker; the queue's visibility timeout is 6x this (AWS guidance). */
  timeoutSeconds: number
  uses?: Uses
}

export interface ScheduleDef {
  name: string
  /** Module under functions/schedule, without extension. */
  handler: string
  /** Fixed rate in minutes (EventBridge `rate(n minutes)`, a timer locally). */
  everyMinutes: number
  uses?: Uses
}

export type QueueName = 'embed' | 'draft' | 'sync' | 'send' | 'calibrate'

const r = (
  method: RouteDef['method'],
  path: string,
  handler: string,
  auth: RouteAuth,
  uses?: Uses,
): RouteDef => ({ method, path, handler: `functions/http/${handler}`, auth, ...(uses ? { uses } : {}) })

const ALL_QUEUES: readonly QueueName[] = ['embed', 'draft', 'sync', 'send', 'calibrate']
const withDataKey: Uses = { secrets: ['db', 'dataKey'] }
const draft: Uses = { sends: ['draft'] }

export const routes: readonly RouteDef[] = [
  r('GET', '/health', 'health', 'public', { inspects: ALL_QUEUES }),
  r('GET', '/openapi.json', 'openapi', 'public', { secrets: [] }),
  r('POST', '/auth/login', 'auth-login', 'public', { secrets: ['db', 'jwt'] }),
  r('GET', '/me', 'me', 'user'),

  r('POST', '/tenants', 'tenants-create', 'superadmin', withDataKey),
  r('GET', '/tenants', 'tenants-list', 'superadmin'),
  r('PATCH', '/tenants/{id}', 'tenants-update', 'superadmin', withDataKey),
  r('POST', '/tenants/{id}/webhook-secret', 'tenants-rotate-webhook-secret', 'superadmin', withDataKey),

  r('POST', '/users', 'users-create', 'admin'),
  r('GET', '/users', 'users-list', 'admin'),
  r('PATCH', '/users/{id}', 'users-update', 'admin'),

  r('POST', '/api-keys', 'api-keys-create', 'admin'),
  r('GET', '/api-keys', 'api-keys-list', 'admin'),
  r('DELETE', '/api-keys/{id}', 'api-keys-delete', 'admin'),

  r('GET', '/tickets', 'tickets-list', 'user'),
  r('POST', '/tickets', 'tickets-create', 'user', draft),
  r('GET', '/tickets/{id}', 'tickets-get', 'user'),
  r('PATCH', '/tickets/{id}', 'tickets-update', 'support_agent'),
  r('POST', '/tickets/{id}/messages', 'tickets-add-message', 'user', draft),
  r('POST', '/tickets/{id}/drafts', 'drafts-regenerate', 'support_agent', draft),
  r('GET', '/tickets/{id}/drafts', 'drafts-list', 'support_agent'),
  r('POST', '/drafts/{id}/approve', 'drafts-approve', 'support_agent', { sends: ['embed', 'send'] }),
  r('POST', '/drafts/{id}/reject', 'drafts-reject', 'support_agent'),
  r('POST', '/drafts/preview', 'drafts-preview', 'support_agent'),

  r('POST', '/kb/articles', 'kb-articles-create', 'support_agent', { sends: ['embed'] }),
  r('GET', '/kb/articles', 'kb-articles-list', 'support_agent'),
  r('GET', '/kb/articles/{id}', 'kb-articles-get', 'support_agent'),
  r('PATCH', '/kb/articles/{id}', 'kb-articles-update', 'support_agent', { sends: ['embed'] }),
  r('DELETE', '/kb/articles/{id}', 'kb-articles-delete', 'admin', { sends: ['embed'] }),
  r('POST', '/kb/import', 'kb-import', 'admin', { sends: ['embed'] }),
  r('POST', '/kb/search', 'kb-search', 'support_agent'),

  r('GET', '/prompts', 'prompts-list', 'admin'),
  r('POST', '/prompts', 'prompts-create', 'admin'),
  r('POST', '/prompts/{id}/activate', 'prompts-activate', 'admin'),
  r('GET', '/settings/reranking', 'reranking-get', 'admin'),
  r('PUT', '/settings/reranking', 'reranking-put', 'admin'),
  r('GET', '/settings/account-facts', 'account-settings-get', 'admin'),
  r('PUT', '/settings/account-facts', 'account-settings-put', 'admin'),

  r('GET', '/analytics/summary', 'analytics-summary', 'admin'),
  r('GET', '/audit', 'audit-list', 'admin'),

  r('GET', '/integrations/sync-logs', 'sync-logs-list', 'admin'),
  r('POST', '/integrations/whmcs/sync', 'whmcs-sync-trigger', 'admin', { sends: ['sync'] }),
  // A staff reply in WHMCS that settles a pending draft is learnt from: an `embed` job beside the drafts.
  r('POST', '/webhooks/whmcs/{tenantSlug}', 'whmcs-webhook', 'public', {
    sends: ['draft', 'embed'],
    ...withDataKey,
  }),
  r('GET', '/integrations/whmcs/tickets/{whmcsTicketId}/draft', 'whmcs-ticket-draft', 'support_agent'),
  r(
    'POST',
    '/integrations/whmcs/tickets/{whmcsTicketId}/drafts',
    'whmcs-ticket-regenerate',
    'support_agent',
    draft,
  ),
  r('POST', '/integrations/whmcs/drafts/{id}/not-helpful', 'whmcs-draft-not-helpful', 'support_agent'),

  // A desk's own calibration (issue 28): replays of its history, the fits, and the knowledge gaps found.
  r('POST', '/calibration/replay', 'calibration-replay', 'admin', { sends: ['calibrate'] }),
  r('POST', '/calibration/runs/{id}/cancel', 'calibration-cancel', 'admin'),
  r('GET', '/calibration', 'calibration-get', 'admin'),
  r('GET', '/calibration/reliability.svg', 'calibration-reliability', 'admin'),
  r('GET', '/calibration/versions', 'calibration-versions', 'admin'),
  r('POST', '/calibration/versions/{id}/pin', 'calibration-pin', 'admin'),
  r('POST', '/calibration/rollback', 'calibration-rollback', 'admin'),
  r('DELETE', '/calibration/pin', 'calibration-unpin', 'admin'),
  r('PUT', '/calibration/settings', 'calibration-settings', 'admin'),
  r('GET', '/knowledge-gaps', 'knowledge-gaps-list', 'admin'),
  r('POST', '/knowledge-gaps/{id}/suggestion', 'knowledge-gaps-suggestion', 'admin'),
]

/** A queue row: worker `functions/workers/<name>`, batch size, receives before the DLQ, timeout in s. */
const q = (
  name: QueueName,
  batchSize: number,
  maxReceiveCount: number,
  timeoutSeconds: number,
  uses?: Uses,
): QueueDef => ({
  name,
  worker: `functions/workers/${name}`,
  batchSize,
  maxReceiveCount,
  timeoutSeconds,
  ...(uses ? { uses } : {}),
})

export const queues: readonly QueueDef[] = [
  q('embed', 5, 3, 120),
  // An escalated draft queues its WHMCS note; account facts read the tenant's WHMCS (its credentials).
  q('draft', 1, 3, 180, { sends: ['send'], ...withDataKey }),
  q('sync', 1, 3, 300, { sends: ['draft', 'embed'], ...withDataKey }),
  q('send', 5, 5, 60, withDataKey),
  // One chunk of a replay (or a live refit) per job; a chunk queues the next. WHMCS history needs the
  // tenant's credentials.
  q('calibrate', 1, 5, 300, { sends: ['calibrate'], ...withDataKey }),
]

export const schedules: readonly ScheduleDef[] = [
  {
    name: 'whmcs-sync',
    handler: 'functions/schedule/whmcs-sync',
    everyMinutes: 5,
    uses: { sends: ['sync'] },
  },
  // Publishes whatever any producer left in the outbox.
  {
    name: 'outbox-sweep',
    handler: 'functions/schedule/outbox-sweep',
    everyMinutes: 1,
    uses: { sends: ALL_QUEUES },
  },
  { name: 'analytics-refresh', handler: 'functions/schedule/analytics-refresh', everyMinutes: 15 },
  // Refits a tenant's calibration once enough reviewed drafts arrived since its last fit.
  {
    name: 'calibration-refit',
    handler: 'functions/schedule/calibration-refit',
    everyMinutes: 60,
    uses: { sends: ['calibrate'] },
  },
]

/** Everything a function is granted, resolved from its table entry (see {@link Uses}). */
export interface Grants {
  sends: readonly QueueName[]
  inspects: readonly QueueName[]
  secrets: readonly SecretName[]
}

/** The grants of a route, worker or schedule entry: its `uses` with the defaults filled in. */
export function grantsOf(def: RouteDef | QueueDef | ScheduleDef): Grants {
  const uses = def.uses ?? {}
  const secrets = new Set<SecretName>(uses.secrets ?? ['db'])
  // Every authenticated route verifies bearer tokens.
  if ('auth' in def && def.auth !== 'public') secrets.add('jwt')
  return { sends: uses.sends ?? [], inspects: uses.inspects ?? [], secrets: [...secrets] }
}

/** Route key in API Gateway's own syntax, e.g. `GET /tickets/{id}`. */
export const routeKey = (route: RouteDef): string => `${route.method} ${route.path}`
