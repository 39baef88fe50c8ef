/**
 * Which addresses a request to a URL that a tenant can influence may reach, and why not. Pure: no
 * network, so the API can refuse a literal address when the URL is saved, and `outbound.ts` can check
 * every address a host name resolves to on each connection with the same rules.
 *
 * Public unicast addresses are allowed. Refused unless inside an operator's allowed network: loopback,
 * link-local (169.254/16 holds the cloud metadata service, fe80::/10), private (10/8, 172.16/12,
 * 192.168/16), carrier-grade NAT (100.64/10), unique-local (fc00::/7), multicast, unspecified, broadcast,
 * reserved and documentation ranges, and the IPv6 forms that carry an IPv4 address (IPv4-mapped,
 * IPv4-translated, NAT64 64:ff9b::/96, which are judged by the address they carry; 6to4, Teredo, the
 * deprecated IPv4-compatible ::/96 and local-use NAT64, which are refused whole).
 */
import ipaddr from 'ipaddr.js'
import type { Config } from '../config.ts'

/** Who may reach what: the operator's extra networks, and the variable that sets them (for messages). */
export interface OutboundPolicy {
  /** CIDRs reachable although not public (validated by shared/config.ts). */
  allowedNetworks: readonly string[]
  /** The setting that widens {@link allowedNetworks}, named in refusals so an operator knows the fix. */
  allowVariable: string
}

/** The policy for a tenant's WHMCS URL, from the process configuration. */
export function whmcsPolicy(config: Pick<Config, 'WHMCS_ALLOWED_NETWORKS'>): OutboundPolicy {
  return { allowedNetworks: config.WHMCS_ALLOWED_NETWORKS, allowVariable: 'WHMCS_ALLOWED_NETWORKS' }
}

export type OutboundErrorReason = 'scheme' | 'userinfo' | 'address' | 'redirect' | 'protocol'

/** A request to a tenant-influenced URL that was refused or could not be used; never retryable as is. */
export class OutboundError extends Error {
  override readonly name: string = 'OutboundError'
  /** The HTTP status, when the refusal is of an answer (a redirect). */
  readonly status: number | undefined
  constructor(
    readonly reason: OutboundErrorReason,
    message: string,
    status?: number,
  ) {
    super(message)
    this.status = status
  }
}

/** Refused before any packet left: the scheme, credentials in the URL, or the address. */
export class OutboundRefusedError extends OutboundError {
  override readonly name = 'OutboundRefusedError'
  constructor(
    reason: 'scheme' | 'userinfo' | 'address',
    message: string,
    /** For `address`: the refused address and its range (`linkLocal`, `loopback`, …, ipaddr.js names). */
    readonly address?: string,
    readonly range?: string,
  ) {
    super(reason, message)
  }
}

/** The server answered with a redirect, which is never followed (it could point anywhere). */
export class OutboundRedirectError extends OutboundError {
  override readonly name = 'OutboundRedirectError'
  constructor(
    status: number,
    /** Only the origin of `Location`: its path and query are the server's business, not a log's. */
    readonly locationOrigin: string | undefined,
  ) {
    super(
      'redirect',
      `HTTP ${status} redirect to ${locationOrigin ?? 'an unusable Location'} not followed: redirects are ` +
        'never followed, so configure the final address',
      status,
    )
  }
}

const LABELS: Record<string, string> = {
  loopback: 'loopback',
  linkLocal: 'link-local (where cloud metadata lives)',
  private: 'private',
  carrierGradeNat: 'carrier-grade NAT',
  uniqueLocal: 'unique-local',
  multicast: 'multicast',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  reserved: 'reserved',
  benchmarking: 'reserved for benchmarking',
  rfc6052: 'local-use NAT64',
  '6to4': '6to4 (it tunnels to an IPv4 address)',
  teredo: 'Teredo (it tunnels to an IPv4 address)',
  ipv4Compatible: 'IPv4-compatible (deprecated)',
}

type Address = ipaddr.IPv4 | ipaddr.IPv6
type Network = [Address, number]

const NAT64 = ipaddr.parseCIDR('64:ff9b::/96') as [ipaddr.IPv6, number]
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96') as [ipaddr.IPv6, number]

const networksCache = new Map<string, Network[]>()

function networksOf(policy: OutboundPolicy): Network[] {
  const key = policy.allowedNetworks.join(',')
  let networks = networksCache.get(key)
  if (!networks) {
    networks = policy.allowedNetworks.map((cidr) => ipaddr.parseCIDR(cidr))
    networksCache.set(key, networks)
  }
  return networks
}

/** The IPv4 address inside an IPv6 form that carries one whole (mapped, translated, NAT64 /96). */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = address.range()
  const carries =
    range === 'ipv4Mapped' || range === 'rfc6145' || (range === 'rfc6052' && address.match(NAT64))
  if (!carries) return undefined
  return new ipaddr.IPv4(address.toByteArray().slice(12))
}

function inAllowed(address: Address, networks: Network[]): boolean {
  return networks.some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits))
}

/**
 * The range an address is refused for, or `undefined` when it may be reached: public unicast, or inside
 * one of the policy's networks (an IPv4 network also admits that address's IPv4-mapped IPv6 form).
 *
 * @param address an IPv4 or IPv6 address without brackets (a zone id such as `%eth0` is accepted)
 * @throws TypeError when `address` is not an IP address
 */
export function refusedRange(address: string, policy: OutboundPolicy): string | undefined {
  if (!ipaddr.isValid(address)) throw new TypeError(`not an IP address: ${address}`)
  const parsed = ipaddr.parse(address)
  const networks = networksOf(policy)
  if (inAllowed(parsed, networks)) return undefined
  const inner = parsed.kind() === 'ipv6' ? embeddedIpv4(parsed as ipaddr.IPv6) : undefined
  if (inner) return refusedRange(inner.toString(), policy)
  const range = parsed.range()
  if (range !== 'unicast') return range
  if (parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE)) return 'ipv4Compatible'
  return undefined
}

/** The reason an address is refused, for a message: `link-local (where cloud metadata lives)`. */
function rangeLabel(range: string): string {
  return LABELS[range] ?? range
}

/** The error for a refused address; `host` is the name it was resolved from, when there was one. */
export function addressRefusal(
  address: string,
  range: string,
  policy: OutboundPolicy,
  host?: string,
): OutboundRefusedError {
  const parsed = ipaddr.isValid(address) ? ipaddr.parse(address) : undefined
  const inner = parsed?.kind() === 'ipv6' ? embeddedIpv4(parsed as ipaddr.IPv6) : undefined
  const shown = inner ? `${address} (${inner.toString()})` : address
  const what = host && host !== address ? `${host} resolves to ${shown}, which` : shown
  return new OutboundRefusedError(
    'address',
    `refused: ${what} is ${rangeLabel(range)}; set ${policy.allowVariable} to allow it`,
    address,
    range,
  )
}

/** The host of a URL as an IP address when it is one (`[::1]` → `::1`), else `undefined`. */
function literalAddress(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  return ipaddr.isValid(host) && (host.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(host))
    ? host
    : undefined
}

/**
 * Checks what can be checked without DNS: an http(s) URL, no `user:pass@`, and a host that is not a
 * refused address. `new URL()` has already turned `2130706433`, `0x7f000001` and `127.1` into
 * `127.0.0.1`. Names, `localhost` included, are checked when they are resolved, on every connection.
 *
 * @throws TypeError when `url` is not a URL
 * @throws OutboundRefusedError naming the reason
 */
export function checkUrl(url: string | URL, policy: OutboundPolicy): URL {
  const parsed = new URL(url)
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new OutboundRefusedError('scheme', `refused: only http and https URLs, not ${parsed.protocol}`)
  }
  if (parsed.username || parsed.password) {
    throw new OutboundRefusedError('userinfo', 'refused: a URL must not contain a user name or password')
  }
  const literal = literalAddress(parsed)
  if (literal !== undefined) {
    const range = refusedRange(literal, policy)
    if (range) throw addressRefusal(literal, range, policy)
  }
  return parsed
}

/**
 * The bare media type (`text/html`) of a Content-Type header, fit to quote in an error: a header is
 * response text too, so anything that is not a plain `type/subtype` is not repeated.
 */
export function mediaTypeOf(header: string | null): string {
  if (!header) return 'no content-type'
  const type = header.split(';')[0]!.trim().toLowerCase()
  return /^[a-z0-9!#$&^_.+-]{1,40}\/[a-z0-9!#$&^_.+-]{1,60}$/.test(type) ? type : 'an unusual content-type'
}
