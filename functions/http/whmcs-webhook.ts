import { type Event, httpRoute } from '#shared/http/route'
import { recordWebhookEvent } from '#shared/observability'
import { flushOutbox } from '#shared/queue/outbox'
import { handleWhmcsWebhook } from '#shared/services/whmcs-webhook'

/** WHMCS hook events. Public route: the HMAC signature over the raw body is the authentication. */
export const handler = httpRoute('POST /webhooks/whmcs/{tenantSlug}', async ({ deps, params, event }) => {
  const result = await handleWhmcsWebhook(deps.sql, deps.dataKey, {
    tenantSlug: params.tenantSlug,
    headers: event.headers,
    rawBody: (event as Event).rawBody ?? '',
    now: deps.now(),
  })
  recordWebhookEvent(result.duplicate ? null : result.event)
  if (!result.duplicate) await flushOutbox(deps)
  return result
})
