/**
 * The one table of HTTP routes, queues and schedules.
 *
 * The local runtime builds its router, queues and timers from it; CDK builds API Gateway routes,
 * Lambdas, SQS queues + DLQs, event source mappings and EventBridge rules from it. A route that exists
 * locally exists in AWS, and the other way round. Handler paths are relative to the repository root and
 * each module exports `handler`.
 */

/** Minimum role a route needs; `public` routes authenticate themselves (login, webhooks) or not at all. */
export type RouteAuth = 'public' | 'user' | 'support_agent' | 'admin' | 'superadmin'

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** API Gateway path syntax: `/tickets/{id}`. */
  path: string
  /** Module under functions/http, without extension. */
  handler: string
  auth: RouteAuth
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
}

export interface ScheduleDef {
  name: string
  /** Module under functions/schedule, without extension. */
  handler: string
  /** Fixed rate in minutes (EventBridge `rate(n minutes)`, a timer locally). */
  everyMinutes: number
}

export type QueueName = 'embed' | 'draft' | 'sync' | 'send'

const r = (method: RouteDef['method'], path: string, handler: string, auth: RouteAuth): RouteDef => ({
  method,
  path,
  handler: `functions/http/${handler}`,
  auth,
})

export const routes: readonly RouteDef[] = [
  r('GET', '/health', 'health', 'public'),
  r('GET', '/openapi.json', 'openapi', 'public'),
  r('POST', '/auth/login', 'auth-login', 'public'),
  r('GET', '/me', 'me', 'user'),

  r('POST', '/tenants', 'tenants-create', 'superadmin'),
  r('GET', '/tenants', 'tenants-list', 'superadmin'),
  r('PATCH', '/tenants/{id}', 'tenants-update', 'superadmin'),
  r('POST', '/tenants/{id}/webhook-secret', 'tenants-rotate-webhook-secret', 'superadmin'),

  r('POST', '/users', 'users-create', 'admin'),
  r('GET', '/users', 'users-list', 'admin'),
  r('PATCH', '/users/{id}', 'users-update', 'admin'),

  r('POST', '/api-keys', 'api-keys-create', 'admin'),
  r('GET', '/api-keys', 'api-keys-list', 'admin'),
  r('DELETE', '/api-keys/{id}', 'api-keys-delete', 'admin'),

  r('GET', '/tickets', 'tickets-list', 'user'),
  r('POST', '/tickets', 'tickets-create', 'user'),
  r('GET', '/tickets/{id}', 'tickets-get', 'user'),
  r('PATCH', '/tickets/{id}', 'tickets-update', 'support_agent'),
  r('POST', '/tickets/{id}/messages', 'tickets-add-message', 'user'),
  r('POST', '/tickets/{id}/drafts', 'drafts-regenerate', 'support_agent'),
  r('GET', '/tickets/{id}/drafts', 'drafts-list', 'support_agent'),
  r('POST', '/drafts/{id}/approve', 'drafts-approve', 'support_agent'),
  r('POST', '/drafts/{id}/reject', 'drafts-reject', 'support_agent'),

  r('POST', '/kb/articles', 'kb-articles-create', 'support_agent'),
  r('GET', '/kb/articles', 'kb-articles-list', 'support_agent'),
  r('GET', '/kb/articles/{id}', 'kb-articles-get', 'support_agent'),
  r('PATCH', '/kb/articles/{id}', 'kb-articles-update', 'support_agent'),
  r('DELETE', '/kb/articles/{id}', 'kb-articles-delete', 'admin'),
  r('POST', '/kb/import', 'kb-import', 'admin'),
  r('POST', '/kb/search', 'kb-search', 'support_agent'),

  r('GET', '/prompts', 'prompts-list', 'admin'),
  r('POST', '/prompts', 'prompts-create', 'admin'),
  r('POST', '/prompts/{id}/activate', 'prompts-activate', 'admin'),
  r('GET', '/settings/reranking', 'reranking-get', 'admin'),
  r('PUT', '/settings/reranking', 'reranking-put', 'admin'),

  r('GET', '/analytics/summary', 'analytics-summary', 'admin'),
  r('GET', '/audit', 'audit-list', 'admin'),

  r('GET', '/integrations/sync-logs', 'sync-logs-list', 'admin'),
  r('POST', '/integrations/whmcs/sync', 'whmcs-sync-trigger', 'admin'),
  r('POST', '/webhooks/whmcs/{tenantSlug}', 'whmcs-webhook', 'public'),
  r('GET', '/integrations/whmcs/tickets/{whmcsTicketId}/draft', 'whmcs-ticket-draft', 'support_agent'),
  r('POST', '/integrations/whmcs/tickets/{whmcsTicketId}/drafts', 'whmcs-ticket-regenerate', 'support_agent'),
  r('POST', '/integrations/whmcs/drafts/{id}/not-helpful', 'whmcs-draft-not-helpful', 'support_agent'),
]

export const queues: readonly QueueDef[] = [
  { name: 'embed', worker: 'functions/workers/embed', batchSize: 5, maxReceiveCount: 3, timeoutSeconds: 120 },
  { name: 'draft', worker: 'functions/workers/draft', batchSize: 1, maxReceiveCount: 3, timeoutSeconds: 180 },
  { name: 'sync', worker: 'functions/workers/sync', batchSize: 1, maxReceiveCount: 3, timeoutSeconds: 300 },
  { name: 'send', worker: 'functions/workers/send', batchSize: 5, maxReceiveCount: 5, timeoutSeconds: 60 },
]

export const schedules: readonly ScheduleDef[] = [
  { name: 'whmcs-sync', handler: 'functions/schedule/whmcs-sync', everyMinutes: 5 },
  { name: 'outbox-sweep', handler: 'functions/schedule/outbox-sweep', everyMinutes: 1 },
  { name: 'analytics-refresh', handler: 'functions/schedule/analytics-refresh', everyMinutes: 15 },
]

/** Route key in API Gateway's own syntax, e.g. `GET /tickets/{id}`. */
export const routeKey = (route: RouteDef): string => `${route.method} ${route.path}`
