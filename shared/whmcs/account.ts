/**
 * Account facts from WHMCS (issue 30): the port the draft pipeline is handed (`DraftDeps.accountFacts`,
 * see shared/drafts/account-facts.ts for why it is a port). It reads one client's account through the
 * WHMCS client (its timeouts, retries with backoff, tracing, and the outbound URL guard), keeps it in
 * Postgres for a short while so every Lambda container shares it, and never lets WHMCS hold up a draft.
 *
 * - Calls: `GetClientsDetails`, `GetClientsProducts` and `GetClientsDomains` (paged, 250 rows a page, up to
 *   4 pages), `GetInvoices` for `Unpaid` and for `Collections` invoices; all at once, each only when the
 *   tenant's settings let its kind into drafts. A warm cache costs no call.
 * - Time budget: the whole read, retries included, gets `budgetMs` (default 3 s). When it runs out, the
 *   calls still in flight are aborted and the draft goes on without facts; `unavailable` says why ("WHMCS
 *   did not answer within 3 s"), and the draft stores and shows that.
 * - Cache: `whmcs_account_cache`, one row per (tenant, client), reused for `cacheSeconds` (default 300). It
 *   holds the parsed snapshot only, so nothing the schemas dropped is ever stored. Failures are not cached.
 */
import type * as z from 'zod'
import type { Db } from '../db/sql.ts'
import type { Deps } from '../deps.ts'
import type {
  AccountFactKind,
  AccountFactsPort,
  AccountLookup,
  AccountLookupRequest,
  AccountSnapshot,
} from '../drafts/account-facts.ts'
import { outboundFetch } from '../http/outbound.ts'
import { OutboundError, whmcsPolicy } from '../http/outbound-policy.ts'
import { loadWhmcsCredentials } from '../identity/tenants.ts'
import { logger } from '../logger.ts'
import {
  getClientsDetailsSchema,
  getClientsDomainsSchema,
  getClientsProductsSchema,
  getInvoicesSchema,
} from './account-schemas.ts'
import {
  parseWhmcsAnswer,
  WhmcsApiError,
  type WhmcsClient,
  type WhmcsClientOptions,
  WhmcsError,
  type WhmcsFetch,
} from './client.ts'
import { redactCredentials } from './redact.ts'
import { tenantWhmcsClient } from './tenant-client.ts'

/** Rows per page of the list actions, and pages read at most: a client with 1000 services is read whole. */
const PAGE_SIZE = 250
const MAX_PAGES = 4
/** Unpaid invoices read at most; an account with more is in collections, not a ticket's context. */
const INVOICE_LIMIT = 100

export type AccountDeps = Pick<Deps, 'sql' | 'dataKey' | 'config'>

/** Overrides for tests and benchmarks. */
export interface AccountReadOptions {
  /** WHMCS client settings (tests: fast backoff). */
  client?: Partial<Omit<WhmcsClientOptions, 'url' | 'identifier' | 'secret' | 'accessKey' | 'fetch'>>
}

/** The account-facts port for the draft pipeline, reading through the tenant's WHMCS credentials. */
export function whmcsAccountFacts(deps: AccountDeps, options: AccountReadOptions = {}): AccountFactsPort {
  return (request) => readAccount(deps, request, options)
}

/**
 * One client's account: from the cache when a fresh enough row holds every kind asked for, else from WHMCS
 * within the time budget (and then cached). Never throws: every failure is `unavailable`, with why.
 */
async function readAccount(
  deps: AccountDeps,
  request: AccountLookupRequest,
  options: AccountReadOptions,
): Promise<AccountLookup> {
  const { tenantId, clientId, settings } = request
  try {
    const cached = await readCache(deps.sql, request)
    if (cached) return cached
  } catch (error) {
    // The cache only saves time: without it, WHMCS is asked.
    logger.warn('account cache unreadable', { tenantId, error: (error as Error).message })
  }
  const creds = await loadWhmcsCredentials(deps.sql, deps.dataKey, tenantId)
  if (!creds) return { state: 'not_configured' }

  const budget = new AbortController()
  const base = outboundFetch(whmcsPolicy(deps.config))
  // Every attempt also ends when the budget does; an attempt after that is refused at once (never retried).
  const fetch: WhmcsFetch = (url, init) =>
    budget.signal.aborted
      ? Promise.reject(new OutboundError('protocol', 'the time budget for account facts is spent'))
      : base(url, { ...init, signal: AbortSignal.any([init.signal, budget.signal]) })
  const client = tenantWhmcsClient(deps.config, creds, {
    timeoutMs: settings.budgetMs,
    retries: 2,
    minBackoffMs: 100,
    maxBackoffMs: 500,
    ...options.client,
    fetch,
  })
  let timer: NodeJS.Timeout | undefined
  const spent = new Promise<'spent'>((resolve) => {
    timer = setTimeout(() => resolve('spent'), settings.budgetMs)
  })
  const read = fetchAccount(client, clientId, settings.kinds)
  // Settled whatever happens after the budget is spent, so nothing is left unhandled.
  read.catch(() => {})
  try {
    const outcome = await Promise.race([read, spent])
    if (outcome === 'spent') {
      budget.abort()
      const detail = `WHMCS did not answer within ${seconds(settings.budgetMs)} s`
      logger.warn('account facts unavailable', { tenantId, clientId, detail })
      return { state: 'unavailable', detail }
    }
    const readAt = (await writeCache(deps.sql, tenantId, outcome, settings.cacheSeconds)) ?? new Date()
    return { state: 'read', snapshot: outcome, readAt, cached: false }
  } catch (error) {
    const detail = redactCredentials(failureText(error, clientId), creds)
    logger.warn('account facts unavailable', { tenantId, clientId, detail })
    return { state: 'unavailable', detail }
  } finally {
    clearTimeout(timer)
    budget.abort()
  }
}

const seconds = (ms: number) => String(Math.round(ms / 100) / 10)

/** What an agent reads when WHMCS failed: WHMCS's own message for its errors, never internals. */
function failureText(error: unknown, clientId: number): string {
  if (error instanceof WhmcsApiError && /client not found/i.test(error.whmcsMessage))
    return `WHMCS has no client #${clientId}`
  if (error instanceof WhmcsError) return error.message
  logger.error('account facts failed', { error: error instanceof Error ? error.stack : String(error) })
  return 'account facts could not be read (internal error)'
}

/** Reads the kinds asked for, all at once. */
async function fetchAccount(
  client: WhmcsClient,
  clientId: number,
  kinds: readonly AccountFactKind[],
): Promise<AccountSnapshot> {
  const none = { rows: [], truncated: false }
  const [details, services, domains, unpaid, collections] = await Promise.all([
    kinds.includes('client')
      ? client.call('GetClientsDetails', { clientid: clientId, stats: false }).then((data) => {
          return parseWhmcsAnswer('GetClientsDetails', getClientsDetailsSchema, data)
        })
      : null,
    kinds.includes('services')
      ? readAll(client, 'GetClientsProducts', { clientid: clientId }, getClientsProductsSchema)
      : none,
    kinds.includes('domains')
      ? readAll(client, 'GetClientsDomains', { clientid: clientId }, getClientsDomainsSchema)
      : none,
    kinds.includes('invoices')
      ? readAll(
          client,
          'GetInvoices',
          { userid: clientId, status: 'Unpaid' },
          getInvoicesSchema,
          INVOICE_LIMIT,
        )
      : none,
    // A Collections invoice escalates any ticket of its client (shared/trust/account.ts).
    kinds.includes('invoices')
      ? readAll(client, 'GetInvoices', { userid: clientId, status: 'Collections' }, getInvoicesSchema, 25)
      : none,
  ])
  return {
    clientId,
    kinds: [...kinds],
    client: details,
    services: services.rows,
    domains: domains.rows,
    invoices: [...unpaid.rows, ...collections.rows],
    truncated: services.truncated || domains.truncated || unpaid.truncated || collections.truncated,
  }
}

type Page<T> = { total: number; returned: number; rows: T[] }

/** Pages through a list action by `limitstart`/`limitnum`, up to {@link MAX_PAGES} pages. */
async function readAll<T>(
  client: WhmcsClient,
  action: string,
  params: Record<string, string | number>,
  schema: z.ZodType<Page<T>>,
  pageSize = PAGE_SIZE,
): Promise<{ rows: T[]; truncated: boolean }> {
  const rows: T[] = []
  let offset = 0
  for (let page = 1; ; page++) {
    const data = parseWhmcsAnswer(
      action,
      schema,
      await client.call(action, { ...params, limitstart: offset, limitnum: pageSize }),
    )
    rows.push(...data.rows)
    offset += Math.max(data.returned, data.rows.length)
    if (data.rows.length === 0 || offset >= data.total) return { rows, truncated: false }
    if (page >= MAX_PAGES || pageSize < PAGE_SIZE) return { rows, truncated: true }
  }
}

/** A fresh enough cached snapshot holding every kind asked for, or null. */
async function readCache(sql: Db, request: AccountLookupRequest): Promise<AccountLookup | null> {
  const { tenantId, clientId, settings } = request
  if (settings.cacheSeconds === 0) return null
  const [row] = await sql<{ snapshot: AccountSnapshot; fetchedAt: Date }[]>`
    SELECT snapshot, fetched_at FROM whmcs_account_cache
    WHERE tenant_id = ${tenantId} AND client_id = ${clientId}
      AND fetched_at > now() - make_interval(secs => ${settings.cacheSeconds})`
  if (!row || !settings.kinds.every((k) => row.snapshot.kinds?.includes(k))) return null
  return { state: 'read', snapshot: row.snapshot, readAt: row.fetchedAt, cached: true }
}

/** Stores a snapshot (unless caching is off); returns when it was read, as the database records it. */
async function writeCache(
  sql: Db,
  tenantId: number,
  snapshot: AccountSnapshot,
  cacheSeconds: number,
): Promise<Date | null> {
  if (cacheSeconds === 0) return null
  try {
    const [row] = await sql<{ fetchedAt: Date }[]>`
      INSERT INTO whmcs_account_cache (tenant_id, client_id, snapshot, fetched_at)
      VALUES (${tenantId}, ${snapshot.clientId}, ${sql.json(snapshot as never)}, now())
      ON CONFLICT (tenant_id, client_id)
      DO UPDATE SET snapshot = EXCLUDED.snapshot, fetched_at = EXCLUDED.fetched_at
      RETURNING fetched_at`
    // Rows nobody reads any more: the longest cache time a tenant can set is a day.
    await sql`
      DELETE FROM whmcs_account_cache
      WHERE tenant_id = ${tenantId} AND fetched_at < now() - interval '2 days'`
    return row?.fetchedAt ?? null
  } catch (error) {
    logger.warn('account cache not written', { tenantId, error: (error as Error).message })
    return null
  }
}
