import { type Event, httpRoute } from '#shared/handlers/http-route'
import { recordWebhookEvent } from '#shared/observability'
import { publishClaimed } from '#shared/queue/outbox'
import { handleWhmcsWebhook } from '#shared/whmcs/webhook'

/** WHMCS hook events. Public route: the HMAC signature over the raw body is the authentication. */
export const handler = httpRoute('POST /webhooks/whmcs/{tenantSlug}', async ({ deps, params, event }) => {
  const { result, jobs } = await handleWhmcsWebhook(deps.sql, deps.dataKey, {
    tenantSlug: params.tenantSlug,
    headers: event.headers,
    rawBody: (event as Event).rawBody ?? '',
    now: deps.now(),
  })
  recordWebhookEvent(result.duplicate ? null : result.event)
  // Only this delivery's own job: anything a crash left behind is the outbox sweep's.
  await publishClaimed(deps, jobs)
  return result
})
