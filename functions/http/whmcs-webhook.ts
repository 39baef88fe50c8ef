import { type Event, httpRoute } from '#shared/handlers/http-route'
import { recordWebhookEvent } from '#shared/observability'
import { handleWhmcsWebhook } from '#shared/whmcs/webhook'

/** WHMCS hook events. Public route: the HMAC signature over the raw body is the authentication. */
export const handler = httpRoute(
  'POST /webhooks/whmcs/{tenantSlug}',
  async ({ deps, params, event, jobs }) => {
    // httpRoute publishes this delivery's own jobs after commit; anything a crash left behind is the sweep's.
    const result = await handleWhmcsWebhook(
      deps.sql,
      deps.dataKey,
      {
        tenantSlug: params.tenantSlug,
        headers: event.headers,
        rawBody: (event as Event).rawBody ?? '',
        now: deps.now(),
      },
      jobs,
    )
    recordWebhookEvent(result.duplicate ? null : result.event)
    return result
  },
)
