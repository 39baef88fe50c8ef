import type { Config } from '../config.ts'
import { outboundFetch } from '../http/outbound.ts'
import { whmcsPolicy } from '../http/outbound-policy.ts'
import type { WhmcsCredentials } from '../identity/tenants.ts'
import { WhmcsClient, type WhmcsClientOptions } from './client.ts'

/**
 * A tenant's WHMCS client: its stored credentials, every request through the guard for URLs a tenant can
 * influence (the address checked on each connection, no redirects). Callers add their own timeouts and
 * retries; a fetch in `options` replaces the guarded one only to wrap it.
 */
export function tenantWhmcsClient(
  config: Pick<Config, 'WHMCS_ALLOWED_NETWORKS'>,
  creds: WhmcsCredentials,
  options: Partial<WhmcsClientOptions> = {},
): WhmcsClient {
  return new WhmcsClient({
    fetch: outboundFetch(whmcsPolicy(config)),
    url: creds.url,
    identifier: creds.identifier,
    secret: creds.secret,
    accessKey: creds.accessKey,
    ...options,
  })
}
