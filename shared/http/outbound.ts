/**
 * HTTP to URLs that a tenant can influence. Today that is the tenant's WHMCS URL ({@link whmcsPolicy});
 * any future one (a tenant's webhook target, an import URL, …) must go through {@link outboundFetch} too,
 * with a policy of its own. URLs that only the operator sets (`OLLAMA_HOST`, `RERANKER_URL`, AWS
 * endpoints) are trusted configuration and do not need it.
 *
 * What the guard does, on every request:
 * 1. http(s) only, no `user:pass@`, and a literal IP host checked before anything is sent ({@link checkUrl}).
 * 2. A host name is resolved by the connection's own `lookup` hook: every address of the answer is
 *    checked ({@link refusedRange}) and the socket connects to an address of that same answer, so DNS
 *    that changes between a check and the connect (rebinding) cannot slip through. Every new connection
 *    resolves again; a kept-alive connection stays on the address it was checked for.
 * 3. Redirects are never followed: any 3xx is an {@link OutboundRedirectError} naming only the origin of
 *    its `Location`.
 * 4. A timeout per request, body included, and a cap on the body's size.
 *
 * Built on node:http/https rather than the undici package: undici 7 wants Node ≥ 20.18.1, and its fetch and Agent
 * bundle to about 520 KiB minified, more than a Lambda bundle's whole budget (500 KiB), while Node's own
 * client has the `lookup` hook and never follows a redirect by itself.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import {
  addressRefusal,
  checkUrl,
  OutboundError,
  type OutboundPolicy,
  OutboundRedirectError,
  refusedRange,
} from './outbound-policy.ts'

/**
 * All addresses of a host name, as `dns.lookup(host, { all: true })` answers.
 * @internal tests inject one
 */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>

/** @internal the knobs {@link createOutboundFetch} exposes to tests */
export interface OutboundOptions {
  /** Per request, from sending to the body's last byte; the caller's `signal` may end it sooner. */
  timeoutMs?: number
  /** Larger bodies fail the request (a hostile server could otherwise stream until memory runs out). */
  maxBodyBytes?: number
  /** Tests inject one to answer with addresses no real DNS gives; default `dns.lookup`. */
  resolve?: Resolver
}

/** The part of `RequestInit` this client supports. */
interface OutboundInit {
  method?: string
  headers?: Record<string, string>
  body?: string | URLSearchParams | Uint8Array
  signal?: AbortSignal
}

/** A `fetch` for tenant-influenced URLs: same call shape, a `Response` back, refusals as errors. */
export type OutboundFetch = (url: string | URL, init?: OutboundInit) => Promise<Response>

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_MAX_BODY = 32 * 1024 * 1024

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  )

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/**
 * The addresses net may connect to: the whole answer is refused if any address is (a mixed answer is how
 * a rebinding attack hedges), then only the family net asked for, if it asked.
 */
function judge(hostname: string, answer: LookupAddress[], family: unknown, policy: OutboundPolicy) {
  for (const { address } of answer) {
    const range = refusedRange(address, policy)
    if (range) throw addressRefusal(address, range, policy, hostname)
  }
  const wanted = answer.filter((a) => !family || a.family === family)
  if (wanted.length === 0) {
    throw Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' })
  }
  return wanted as [LookupAddress, ...LookupAddress[]]
}

/** The `lookup` every socket of the client uses: net connects to exactly the addresses judged here. */
function guardedLookup(policy: OutboundPolicy, resolver: Resolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolver(hostname)
      .then((answer) => judge(hostname, answer, options.family, policy))
      .then(
        // Off the promise chain, so an exception inside net surfaces instead of being swallowed here.
        (wanted) =>
          process.nextTick(() =>
            options.all ? callback(null, wanted) : callback(null, wanted[0].address, wanted[0].family),
          ),
        (error: NodeJS.ErrnoException) => process.nextTick(() => callback(error, '')),
      )
  }
}

/**
 * A guarded `fetch` for one policy (see the module comment). Its connections are pooled (keep-alive) per
 * instance; prefer the shared instance of {@link outboundFetch} outside tests.
 * @internal
 */
export function createOutboundFetch(policy: OutboundPolicy, options: OutboundOptions = {}): OutboundFetch {
  const lookup = guardedLookup(policy, options.resolve ?? systemResolver)
  const agents = {
    'http:': new http.Agent({ keepAlive: true, lookup }),
    'https:': new https.Agent({ keepAlive: true, lookup }),
  }
  const limits = {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY,
  }
  return async (url, init = {}) => {
    const target = checkUrl(url, policy)
    const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:']
    return send(target, init, agent, limits)
  }
}

const shared = new Map<string, OutboundFetch>()

/** The process's guarded `fetch` for `policy`: one connection pool per policy, built on first use. */
export function outboundFetch(policy: OutboundPolicy): OutboundFetch {
  const key = `${policy.allowVariable}=${policy.allowedNetworks.join(',')}`
  let fetch = shared.get(key)
  if (!fetch) {
    fetch = createOutboundFetch(policy)
    shared.set(key, fetch)
  }
  return fetch
}

function encodeBody(init: OutboundInit, headers: Record<string, string>): Buffer | undefined {
  const { body } = init
  if (body === undefined) return undefined
  if (body instanceof URLSearchParams) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8'
    return Buffer.from(body.toString())
  }
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)
}

/** `Location`'s origin (relative ones against the request URL), never its path or query. */
function originOf(location: string | undefined, base: URL): string | undefined {
  if (!location || !URL.canParse(location, base.href)) return undefined
  const origin = new URL(location, base).origin
  return origin === 'null' ? undefined : origin
}

function toResponse(res: http.IncomingMessage, status: number, body: Buffer): Response {
  const headers = new Headers()
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
    headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!)
  // fetch's Response refuses a body on these statuses.
  const empty = status === 204 || status === 205 || status === 304
  return new Response(empty ? null : body, { status, headers })
}

function send(
  target: URL,
  init: OutboundInit,
  agent: http.Agent,
  limits: { timeoutMs: number; maxBodyBytes: number },
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const signal = init.signal
    if (signal?.aborted) return reject(signal.reason)
    const headers = { ...init.headers }
    const body = encodeBody(init, headers)
    if (body) headers['content-length'] = String(body.byteLength)
    const options = { method: init.method ?? 'GET', headers, agent }
    const req = target.protocol === 'https:' ? https.request(target, options) : http.request(target, options)

    let settled = false
    const settle = (outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      outcome()
    }
    const fail = (error: unknown) => {
      settle(() => reject(error))
      req.destroy()
    }
    const onAbort = () => fail(signal?.reason)
    const timer = setTimeout(
      () => fail(new DOMException(`request timed out after ${limits.timeoutMs} ms`, 'TimeoutError')),
      limits.timeoutMs,
    )
    signal?.addEventListener('abort', onAbort, { once: true })

    req.on('error', fail)
    req.on('response', (res) => {
      const status = res.statusCode ?? 0
      if (status >= 300 && status < 400)
        return fail(new OutboundRedirectError(status, originOf(res.headers.location, target)))
      if (status < 200 || status > 599)
        return fail(new OutboundError('protocol', `invalid HTTP status ${status}`))
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > limits.maxBodyBytes)
          return fail(new OutboundError('protocol', `response body larger than ${limits.maxBodyBytes} bytes`))
        chunks.push(chunk)
      })
      res.on('error', fail)
      res.on('end', () => {
        try {
          const response = toResponse(res, status, Buffer.concat(chunks))
          settle(() => resolve(response))
        } catch {
          fail(new OutboundError('protocol', 'the response could not be read'))
        }
      })
      res.on('close', () => {
        if (!res.complete)
          fail(Object.assign(new Error('connection closed mid-response'), { code: 'ECONNRESET' }))
      })
    })
    req.end(body)
  })
}
