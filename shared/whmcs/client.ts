/**
 * WHMCS API client: form-encoded POSTs to `<whmcs>/includes/api.php` with typed, validated answers.
 *
 * Credentials live only in private fields of the instance (decrypted in memory by the caller) and are
 * never part of an error message, `toString`, `JSON.stringify` or `util.inspect` output. Nor is a response
 * body (tenants read these errors), except WHMCS's own `message` of a `result: "error"` answer.
 */
import { inspect } from 'node:util'
import pRetry from 'p-retry'
import type * as z from 'zod'
import { mediaTypeOf, OutboundError } from '../http/outbound-policy.ts'
import { cleanJson } from '../http/safe-input.ts'
import { traced } from '../observability.ts'
import { redactSecrets } from './redact.ts'
import {
  getSupportDepartmentsSchema,
  getTicketSchema,
  getTicketsSchema,
  type WhmcsDepartment,
  type WhmcsTicket,
  type WhmcsTicketList,
  type WhmcsTicketSummary,
} from './schemas.ts'

export interface WhmcsClientOptions {
  /** Base URL of the WHMCS install (`https://billing.example.com`), or the full `.../includes/api.php`. */
  url: string
  identifier: string
  secret: string
  /** Only for installs that restrict API access by IP and hand out an access key instead. */
  accessKey?: string
  /** Per attempt, covering connect, response and body. */
  timeoutMs?: number
  /** Retries after the first attempt, for network errors, timeouts and 5xx. */
  retries?: number
  /** First backoff delay; doubles each retry, with jitter (x1..x2). */
  minBackoffMs?: number
  maxBackoffMs?: number
  /** The URL is a tenant's: pass `outboundFetch(whmcsPolicy(config))` (shared/http/outbound.ts). No default. */
  fetch: WhmcsFetch
}

/** The slice of `fetch` the client uses; `globalThis.fetch` and an `OutboundFetch` both fit. */
export type WhmcsFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: URLSearchParams; signal: AbortSignal },
) => Promise<Response>

/** Scalar values WHMCS accepts in a form field. Booleans become `1`/`0`: PHP reads the string "false" as true. */
type WhmcsParamValue = string | number | boolean | null | undefined
export type WhmcsParams = Record<string, WhmcsParamValue>

/** `refused`: the guard refused the address or URL before anything was sent (never retried). */
export type WhmcsErrorKind = 'api' | 'http' | 'timeout' | 'network' | 'protocol' | 'refused'

/** Any failure talking to WHMCS. Messages name the action, never the credentials. */
export class WhmcsError extends Error {
  override readonly name: string = 'WhmcsError'
  readonly kind: WhmcsErrorKind
  readonly action: string
  /** HTTP status when a response arrived. */
  readonly status: number | undefined
  /** Whether repeating the same request may succeed (5xx, timeout, network). */
  readonly retryable: boolean
  /** Low-level error code such as `ECONNREFUSED`, for network errors. */
  readonly code: string | undefined

  constructor(
    kind: WhmcsErrorKind,
    action: string,
    message: string,
    extra: { status?: number; retryable?: boolean; code?: string } = {},
  ) {
    super(message)
    this.kind = kind
    this.action = action
    this.status = extra.status
    this.retryable = extra.retryable ?? false
    this.code = extra.code
  }
}

/** WHMCS answered `result: "error"`; {@link whmcsMessage} is WHMCS's own explanation. */
export class WhmcsApiError extends WhmcsError {
  override readonly name = 'WhmcsApiError'
  readonly whmcsMessage: string

  constructor(action: string, whmcsMessage: string, status: number) {
    super('api', action, `WHMCS ${action} failed: ${whmcsMessage}`, { status })
    this.whmcsMessage = whmcsMessage
  }
}

// Response schemas and their types live in schemas.ts; the types are re-exported for callers.
export type {
  WhmcsDepartment,
  WhmcsTicket,
  WhmcsTicketList,
  WhmcsTicketSummary,
} from './schemas.ts'

export interface GetTicketsParams {
  limitstart?: number
  limitnum?: number
  /** A WHMCS status, or one of its groups: `All Active Tickets`, `Awaiting Reply`, `My Flagged Tickets`. */
  status?: string
  deptid?: number
}

export interface TicketPage {
  /** 1-based page number, counted from offset 0 even when resuming. */
  page: number
  limitstart: number
  /** Where the next page starts: persist it to resume after a failure. */
  nextLimitstart: number
  totalresults: number
  tickets: WhmcsTicketSummary[]
}

export interface AddTicketReplyParams {
  ticketid: number
  message: string
  /** Admin user the reply is posted as (the Draftdesk poster, so the hook can skip it). */
  adminusername?: string
  /** Status after the reply; WHMCS's default for an admin reply is `Answered`. */
  status?: string
  markdown?: boolean
  /** Do not send the customer the usual reply email. */
  noemail?: boolean
}

export interface AddTicketNoteParams {
  ticketid: number
  message: string
  markdown?: boolean
}

export interface UpdateTicketParams {
  ticketid: number
  status?: string
  priority?: string
  deptid?: number
  /** Admin id to flag the ticket to (0 unflags). */
  flag?: number
  subject?: string
}

/**
 * `all`: retry network errors, timeouts and 5xx — for reads and idempotent writes.
 * `unsent`: retry only failures that prove the request never reached WHMCS (connection refused, DNS),
 * for non-idempotent writes where a timeout may hide a reply that was in fact posted.
 */
export type RetryPolicy = 'all' | 'unsent'

const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'])

// ---------------------------------------------------------------------------------------------------

/** Typed client for the WHMCS API actions Draftdesk uses. */
export class WhmcsClient {
  readonly #endpoint: string
  readonly #identifier: string
  readonly #secret: string
  readonly #accessKey: string | undefined
  readonly #timeoutMs: number
  readonly #retries: number
  readonly #minBackoffMs: number
  readonly #maxBackoffMs: number
  readonly #fetch: WhmcsFetch

  constructor(options: WhmcsClientOptions) {
    if (!options.url) throw new TypeError('WhmcsClient: url is required')
    if (!options.identifier || !options.secret)
      throw new TypeError('WhmcsClient: identifier and secret are required')
    this.#endpoint = toEndpoint(options.url)
    this.#identifier = options.identifier
    this.#secret = options.secret
    this.#accessKey = options.accessKey || undefined
    this.#timeoutMs = options.timeoutMs ?? 15_000
    this.#retries = options.retries ?? 3
    this.#minBackoffMs = options.minBackoffMs ?? 500
    this.#maxBackoffMs = options.maxBackoffMs ?? 10_000
    if (typeof options.fetch !== 'function') throw new TypeError('WhmcsClient: fetch is required')
    this.#fetch = options.fetch
  }

  /** The API endpoint, without credentials. */
  get endpoint(): string {
    return this.#endpoint
  }

  /**
   * Calls any WHMCS action and returns the decoded JSON of a `result: "success"` answer.
   *
   * @throws WhmcsApiError when WHMCS answers `result: "error"` (never retried)
   * @throws WhmcsError for timeouts, network errors, HTTP errors and non-JSON answers
   */
  async call(
    action: string,
    params: WhmcsParams = {},
    retry: RetryPolicy = 'all',
  ): Promise<Record<string, unknown>> {
    // One trace subsegment per action, retries included; the HTTP attempts nest under it.
    return traced(`WHMCS ${action}`, () =>
      pRetry(() => this.#attempt(action, params), {
        retries: this.#retries,
        factor: 2,
        minTimeout: this.#minBackoffMs,
        maxTimeout: this.#maxBackoffMs,
        randomize: true,
        shouldRetry: ({ error }) => isRetryable(error, retry),
      }),
    )
  }

  /** `GetTickets`: one page of ticket summaries, newest `lastreply` first (WHMCS's order). */
  async getTickets(params: GetTicketsParams = {}): Promise<WhmcsTicketList> {
    const data = await this.call('GetTickets', {
      limitstart: params.limitstart ?? 0,
      limitnum: params.limitnum ?? 25,
      status: params.status,
      deptid: params.deptid,
    })
    return parseWhmcsAnswer('GetTickets', getTicketsSchema, data)
  }

  /** `GetTicket`: the ticket with its whole thread, `replies` always an array. */
  async getTicket(ticketid: number): Promise<WhmcsTicket> {
    const data = await this.call('GetTicket', { ticketid })
    return parseWhmcsAnswer('GetTicket', getTicketSchema, data)
  }

  /**
   * `AddTicketReply`. Not idempotent in WHMCS, so it is only retried when the request provably never
   * left (connection refused, DNS); a timeout surfaces to the caller, whose idempotency record decides.
   */
  async addTicketReply(params: AddTicketReplyParams): Promise<void> {
    await this.call('AddTicketReply', { ...params }, 'unsent')
  }

  /** `AddTicketNote`: an internal staff note. Retried like {@link addTicketReply}. */
  async addTicketNote(params: AddTicketNoteParams): Promise<void> {
    await this.call('AddTicketNote', { ...params }, 'unsent')
  }

  /** `UpdateTicket`: sets fields to absolute values, so repeating it is harmless and it retries fully. */
  async updateTicket(params: UpdateTicketParams): Promise<void> {
    await this.call('UpdateTicket', { ...params })
  }

  /** `GetSupportDepartments`. */
  async getSupportDepartments(): Promise<WhmcsDepartment[]> {
    const data = await this.call('GetSupportDepartments', { ignore_dept_assignments: true })
    return parseWhmcsAnswer('GetSupportDepartments', getSupportDepartmentsSchema, data).departments
  }

  /**
   * Pages through `GetTickets` by `limitstart`/`limitnum`.
   *
   * Each yielded page carries `nextLimitstart`; a caller that persists it can restart from there after a
   * failure instead of from zero. WHMCS orders by `lastreply` descending, so a ticket replied to while
   * paging moves to the front: callers should dedupe by id, and the next run picks up what moved.
   */
  async *iterateTickets(
    options: { status?: string; deptid?: number; pageSize?: number; startAt?: number } = {},
  ): AsyncGenerator<TicketPage> {
    const pageSize = options.pageSize ?? 25
    if (!Number.isInteger(pageSize) || pageSize < 1)
      throw new RangeError('pageSize must be a positive integer')
    let limitstart = Math.max(0, options.startAt ?? 0)
    let page = Math.floor(limitstart / pageSize) + 1
    for (;;) {
      const list = await this.getTickets({
        limitstart,
        limitnum: pageSize,
        status: options.status,
        deptid: options.deptid,
      })
      if (list.tickets.length === 0) return
      const nextLimitstart = limitstart + list.tickets.length
      yield { page, limitstart, nextLimitstart, totalresults: list.totalresults, tickets: list.tickets }
      if (nextLimitstart >= list.totalresults) return
      limitstart = nextLimitstart
      page++
    }
  }

  /** Never reveals credentials. */
  toString(): string {
    return `WhmcsClient(${this.#endpoint})`
  }

  toJSON(): { endpoint: string } {
    return { endpoint: this.#endpoint }
  }

  [inspect.custom](): string {
    return this.toString()
  }

  async #attempt(action: string, params: WhmcsParams): Promise<Record<string, unknown>> {
    const body = new URLSearchParams()
    body.set('action', action)
    body.set('identifier', this.#identifier)
    body.set('secret', this.#secret)
    body.set('responsetype', 'json')
    if (this.#accessKey) body.set('accesskey', this.#accessKey)
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined || value === null) continue
      body.set(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value))
    }

    let status: number
    let contentType: string
    let raw: string
    try {
      const response = await this.#fetch(this.#endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      status = response.status
      contentType = mediaTypeOf(response.headers.get('content-type'))
      raw = await response.text()
    } catch (error) {
      throw this.#transportError(action, error)
    }

    let json: unknown
    try {
      // Cleaned of what Postgres cannot store (NUL, lone surrogates): one odd ticket must not fail a sync.
      json = cleanJson(JSON.parse(raw))
    } catch {
      const retryable = status >= 500
      // Status and content type only: the body could be anything the URL reaches, and this text is shown.
      throw new WhmcsError(
        retryable ? 'http' : 'protocol',
        action,
        `WHMCS ${action} returned a non-JSON response (HTTP ${status}, ${contentType})`,
        { status, retryable },
      )
    }

    const record = isRecord(json) ? json : {}
    // Only WHMCS's documented error answer contributes text; other JSON (a proxy's, any service's) does not.
    const whmcsMessage =
      record.result === 'error' && typeof record.message === 'string'
        ? this.#redact(record.message)
        : undefined
    if (status >= 500) {
      throw new WhmcsError(
        'http',
        action,
        `WHMCS ${action} failed: HTTP ${status}${whmcsMessage ? ` (${whmcsMessage})` : ''}`,
        {
          status,
          retryable: true,
        },
      )
    }
    if (record.result === 'error') {
      throw new WhmcsApiError(action, whmcsMessage ?? 'unknown error', status)
    }
    if (status < 200 || status >= 300) {
      throw new WhmcsError('http', action, `WHMCS ${action} failed: HTTP ${status}`, { status })
    }
    if (record.result !== 'success') {
      throw new WhmcsError('protocol', action, `WHMCS ${action} returned no "result": "success"`, { status })
    }
    return record
  }

  #transportError(action: string, error: unknown): WhmcsError {
    if (error instanceof OutboundError) {
      // Refused before sending, a redirect or an unusable answer: repeating the request cannot help.
      const kind = error.reason === 'redirect' ? 'http' : error.reason === 'protocol' ? 'protocol' : 'refused'
      const text = `WHMCS ${action} ${kind === 'refused' ? '' : 'failed: '}${error.message}`
      return new WhmcsError(kind, action, text, { status: error.status })
    }
    const name = error instanceof Error ? error.name : ''
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new WhmcsError('timeout', action, `WHMCS ${action} timed out after ${this.#timeoutMs} ms`, {
        retryable: true,
      })
    }
    const code = errorCode(error)
    const detail = code ?? (error instanceof Error ? this.#redact(error.message) : 'unknown error')
    return new WhmcsError('network', action, `WHMCS ${action} network error: ${detail}`, {
      retryable: true,
      code,
    })
  }

  /** Defence in depth: WHMCS or a proxy could echo request fields back in an error text. */
  #redact(message: string): string {
    return redactSecrets(message, {
      identifier: this.#identifier,
      secret: this.#secret,
      accessKey: this.#accessKey,
    })
  }
}

function toEndpoint(url: string): string {
  const parsed = new URL(url)
  // Userinfo in the URL would end up in error messages and logs; WHMCS never needs it.
  parsed.username = ''
  parsed.password = ''
  parsed.search = ''
  parsed.hash = ''
  const base = parsed.toString().replace(/\/+$/, '')
  return base.endsWith('/includes/api.php') ? base : `${base}/includes/api.php`
}

function isRetryable(error: unknown, policy: RetryPolicy): boolean {
  if (!(error instanceof WhmcsError) || !error.retryable) return false
  if (policy === 'all') return true
  return error.kind === 'network' && error.code !== undefined && UNSENT_CODES.has(error.code)
}

function errorCode(error: unknown): string | undefined {
  // undici wraps the socket error: TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }).
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    // Happy-eyeballs connects (IPv4 + IPv6) fail with an AggregateError of per-address errors.
    const errors = (current as { errors?: unknown }).errors
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : (current as { cause?: unknown }).cause
  }
  return undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** An answer of `action` held to its schema; anything else is a protocol error naming the first issues. */
export function parseWhmcsAnswer<S extends z.ZodType>(action: string, schema: S, data: unknown): z.infer<S> {
  const parsed = schema.safeParse(data)
  if (parsed.success) return parsed.data
  const where = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ')
  throw new WhmcsError('protocol', action, `WHMCS ${action} returned an unexpected shape: ${where}`)
}
