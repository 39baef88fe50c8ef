import * as z from 'zod'
import { tenantScope } from './common.ts'

/**
 * What a draft knew about the customer's WHMCS account (issue 30), as stored with the draft
 * (`ai_replies.account_facts`) and shown in the draft API, the WHMCS panel and the console:
 * - `read`: WHMCS was read (or its cached answer reused, `cached`) at `readAt`; `facts` are the ones that
 *   concern the ticket (possibly none);
 * - `unavailable`: WHMCS failed or did not answer within the tenant's time budget; `detail` says which;
 * - `off`: the tenant turned account facts off; `no_client`: the ticket did not come from a WHMCS client;
 *   `not_configured`: the tenant has no WHMCS connection.
 */
const ACCOUNT_STATES = ['read', 'unavailable', 'off', 'no_client', 'not_configured'] as const

/** Kinds of account facts a tenant can let into drafts (`tenants.settings.accountFacts.kinds`). */
export const ACCOUNT_FACT_KINDS = ['client', 'services', 'domains', 'invoices'] as const

/**
 * `tenants.settings.accountFacts`, as `PUT /settings/account-facts` takes it (every field optional: a left-out
 * one keeps its default) and as the draft pipeline reads it back.
 */
export const accountFactsSettingsBody = z
  .object({
    enabled: z.boolean().optional().describe('account facts on (default) or off for the tenant’s drafts'),
    kinds: z
      .object({
        client: z.boolean().optional().describe('the account’s status and language'),
        services: z.boolean().optional().describe('products and services'),
        domains: z.boolean().optional().describe('domain registrations'),
        invoices: z.boolean().optional().describe('unpaid, overdue and collections invoices'),
      })
      .strict()
      .optional()
      .describe('per kind: false keeps it out of every draft, and WHMCS is not asked for it'),
    cacheSeconds: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .optional()
      .describe('how long an account read from WHMCS is reused (default 300; 0: read it for every draft)'),
    budgetMs: z
      .number()
      .int()
      .min(100)
      .max(20_000)
      .optional()
      .describe('the most a draft waits for WHMCS, retries included (default 3000)'),
  })
  .strict()

/** A tenant's account-fact settings with the defaults filled in (`GET/PUT /settings/account-facts`). */
export const accountFactsSettingsView = z.object({
  enabled: z.boolean(),
  kinds: z.object({
    client: z.boolean(),
    services: z.boolean(),
    domains: z.boolean(),
    invoices: z.boolean(),
  }),
  cacheSeconds: z.number().int(),
  budgetMs: z.number().int(),
})

const fieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()])

/** One fact the draft was given (or, `ref` null, one shown to agents only: a Fraud or Collections flag). */
const accountFact = z.object({
  ref: z
    .number()
    .int()
    .nullable()
    .describe('its number in the draft ([n]); null for facts shown to agents only, never to the model'),
  kind: z.enum(['client', 'service', 'domain', 'invoice']),
  whmcsId: z.number().int(),
  title: z.string(),
  status: z.string().describe('the WHMCS status (Active, Suspended, Unpaid, Pending Transfer, …)'),
  text: z.string().describe('the line the model read'),
  why: z.string().describe('why it concerns the ticket (named, attached, only_service, renewal, …)'),
  cited: z.boolean(),
  fields: z.record(z.string(), fieldValue),
})

/** The "Account" summary of a draft; null on drafts made before account facts existed. */
export const accountSummary = z.object({
  state: z.enum(ACCOUNT_STATES),
  detail: z.string().nullable().describe('why there are no facts, e.g. "WHMCS did not answer within 3 s"'),
  readAt: z.string().nullable().describe('when WHMCS was read (ISO date-time)'),
  cached: z.boolean(),
  clientId: z.number().int().nullable().describe('the WHMCS client id the ticket came from'),
  facts: z.array(accountFact),
})

export type AccountSummary = z.infer<typeof accountSummary>
export type AccountFactView = z.infer<typeof accountFact>

/** The Account summary as the WHMCS admin panel shows it (integrations/whmcs/draftdesk.php): no ids. */
export const panelAccount = z.object({
  state: z.enum(ACCOUNT_STATES),
  detail: z.string().nullable().describe('why the draft was made without account facts'),
  readAt: z.string().nullable().describe('when WHMCS was read (ISO date-time)'),
  cached: z.boolean(),
  facts: z.array(
    z.object({
      title: z.string(),
      status: z.string(),
      text: z.string(),
      cited: z.boolean(),
      agentsOnly: z.boolean().describe('a Fraud or Collections flag: shown to agents, never to the model'),
    }),
  ),
})

export const accountContract = {
  'GET /settings/account-facts': {
    summary:
      "The tenant's account-fact settings (issue 30): on/off, which kinds of WHMCS facts drafts get, cache " +
      'time and time budget, defaults filled in',
    query: tenantScope,
    response: accountFactsSettingsView,
  },
  'PUT /settings/account-facts': {
    summary:
      "Replace the tenant's account-fact settings (a left-out field takes its default); takes effect with the " +
      'next draft',
    query: tenantScope,
    body: accountFactsSettingsBody,
    response: accountFactsSettingsView,
  },
} as const
