/**
 * Account facts (issue 30): what the desk's WHMCS knows about the customer who wrote a ticket (their
 * services, domains, unpaid invoices, account status), reduced to the fields a hosting agent looks at.
 *
 * The import graph decides where each part lives. `shared/whmcs/` sits above the draft pipeline (the panel
 * and the staff-reply review import drafts), so the pipeline cannot import the WHMCS client. It is handed a
 * port instead, {@link AccountFactsPort} (`DraftDeps.accountFacts`), which the draft worker wires to
 * `shared/whmcs/account.ts` (fetch, time budget, cache). This module holds what both sides share and the
 * pipeline reads: the snapshot types the WHMCS side parses into, the tenant's settings and the port's types.
 * Which facts concern a ticket is decided in account-select.ts, how they read in account-text.ts.
 *
 * Nothing here carries a street address, phone number, card or payment detail, password or note: the WHMCS
 * schemas (shared/whmcs/account-schemas.ts) drop those fields when they parse an answer, so they never
 * reach the cache, a log, a prompt or a stored draft.
 */
import { ACCOUNT_FACT_KINDS, accountFactsSettingsBody } from '../api/account.ts'
import { logger } from '../logger.ts'

/** The client record: its status, and the company and language as WHMCS holds them. */
export interface AccountClient {
  id: number
  /** WHMCS client status: Active, Inactive or Closed. */
  status: string
  /** Typed by the customer in WHMCS: shown to agents, never to the model. */
  company: string
  /** The client's WHMCS language setting (`german`), empty for the system default. */
  language: string
}

/** A product or service (`GetClientsProducts`). */
export interface AccountService {
  id: number
  /** Product name (`Starter`), set by the desk. */
  product: string
  /** Product group (`Shared Hosting`). */
  group: string
  /** The domain the service is for, lower-cased; empty when it has none. */
  domain: string
  /** Pending, Active, Suspended, Terminated, Cancelled, Fraud or Completed. */
  status: string
  suspensionReason: string
  /** `YYYY-MM-DD` or null (WHMCS's `0000-00-00`). */
  nextDueDate: string | null
  billingCycle: string
  /** The server's name in WHMCS (`Saturn`). */
  server: string
  recurringAmount: string | null
}

/** A domain registration (`GetClientsDomains`). */
export interface AccountDomain {
  id: number
  domain: string
  /** Pending, Pending Registration, Pending Transfer, Active, Grace, Redemption, Expired, Transferred Away, Cancelled or Fraud. */
  status: string
  expiryDate: string | null
  nextDueDate: string | null
  /** WHMCS's `donotrenew` inverted; null when WHMCS did not say. */
  autoRenew: boolean | null
  /** Register or Transfer. */
  registrationType: string
}

/** An invoice (`GetInvoices`): only unpaid, overdue, payment-pending and collections ones are read. */
export interface AccountInvoice {
  id: number
  /** What the customer sees as the invoice number: `invoicenum` when the desk numbers invoices, else the id. */
  number: string
  /** Draft, Unpaid, Overdue, Paid, Cancelled, Refunded, Collections or Payment Pending. */
  status: string
  date: string | null
  dueDate: string | null
  total: string
  /** What is still owed, when WHMCS gives it (GetInvoices documents none). */
  balance: string | null
  /** `USD`, or the currency's prefix/suffix when WHMCS gives no code. */
  currency: string
}

/** Which kinds of facts a tenant lets into drafts. */
export type AccountFactKind = (typeof ACCOUNT_FACT_KINDS)[number]

/** A client's account as read from WHMCS, already stripped to the fields above. */
export interface AccountSnapshot {
  clientId: number
  /** Kinds read; a cached snapshot serves a draft only when it holds every kind the tenant enables. */
  kinds: AccountFactKind[]
  client: AccountClient | null
  services: AccountService[]
  domains: AccountDomain[]
  invoices: AccountInvoice[]
  /** Some list was longer than what was read (more than the paging limit). */
  truncated: boolean
}

/** A tenant's account-fact settings with the defaults filled in. */
export interface AccountFactsSettings {
  enabled: boolean
  kinds: AccountFactKind[]
  cacheSeconds: number
  budgetMs: number
}

/** @internal */
export const DEFAULT_ACCOUNT_SETTINGS: AccountFactsSettings = {
  enabled: true,
  kinds: [...ACCOUNT_FACT_KINDS],
  cacheSeconds: 300,
  budgetMs: 3000,
}

/**
 * The tenant's account-fact settings from `tenants.settings.accountFacts`. A malformed document turns
 * account facts off (with a warning) rather than failing every draft: a tenant who tried to limit them must
 * not get more than they asked for.
 */
export function accountSettingsOf(
  settings: Record<string, unknown> | null,
  tenantId: number,
): AccountFactsSettings {
  const raw = settings?.accountFacts
  if (raw === undefined || raw === null) return DEFAULT_ACCOUNT_SETTINGS
  // Read back leniently about keys it does not know (a newer version's), strictly about the ones it does.
  const parsed = accountFactsSettingsBody.loose().safeParse(raw)
  if (!parsed.success) {
    logger.warn('ignoring invalid tenant accountFacts settings: account facts are off', {
      tenantId,
      issues: parsed.error.issues,
    })
    return { ...DEFAULT_ACCOUNT_SETTINGS, enabled: false }
  }
  const s = parsed.data
  const kinds = s.kinds
  return {
    enabled: s.enabled ?? DEFAULT_ACCOUNT_SETTINGS.enabled,
    kinds: ACCOUNT_FACT_KINDS.filter((k) => kinds?.[k] !== false),
    cacheSeconds: s.cacheSeconds ?? DEFAULT_ACCOUNT_SETTINGS.cacheSeconds,
    budgetMs: s.budgetMs ?? DEFAULT_ACCOUNT_SETTINGS.budgetMs,
  }
}

/** What the pipeline asks the port for: one WHMCS client's account, as the tenant's settings allow. */
export interface AccountLookupRequest {
  tenantId: number
  /** The WHMCS client id (`userid`) the ticket came from. */
  clientId: number
  settings: AccountFactsSettings
}

/** What the port answers. It never throws: a WHMCS that fails or is slow is `unavailable`, with why. */
export type AccountLookup =
  | {
      state: 'read'
      snapshot: AccountSnapshot
      /** When WHMCS was read (for a cached snapshot, when it was first read). */
      readAt: Date
      cached: boolean
    }
  | { state: 'unavailable'; detail: string }
  | { state: 'not_configured' }

/** Reads a client's account (shared/whmcs/account.ts); handed to the pipeline in `DraftDeps.accountFacts`. */
export type AccountFactsPort = (request: AccountLookupRequest) => Promise<AccountLookup>
