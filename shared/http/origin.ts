import type { APIGatewayProxyEventV2 } from 'aws-lambda'

// A host as a client may legitimately send it: a DNS name or an IPv4/IPv6 literal, with an optional port.
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

/**
 * The base URL clients reach this API at: `PUBLIC_URL` when the operator set one (a proxy in front, a
 * custom domain), else the request's own origin: the host API Gateway (or the local runtime) served it on,
 * with the scheme the edge saw (`x-forwarded-proto`; plain http locally). A host that is not a plain host
 * name gives `/`, the relative server OpenAPI allows, rather than echoing odd header text.
 */
export function publicOrigin(event: APIGatewayProxyEventV2, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl
  const host = event.requestContext?.domainName || event.headers?.host
  const proto = event.headers?.['x-forwarded-proto']?.split(',')[0]?.trim().toLowerCase() ?? 'http'
  if (!host || !HOST.test(host) || (proto !== 'http' && proto !== 'https')) return '/'
  return `${proto}://${host}`
}
