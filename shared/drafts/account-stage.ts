/**
 * The account-facts step of the draft pipeline (issue 30): asks the port for the ticket's WHMCS client
 * (at the same time as retrieval, so a warm cache costs nothing and a cold one only what WHMCS takes beyond
 * retrieval), chooses the facts that concern the ticket, and numbers them after the shown knowledge sources.
 * It never fails a draft: every way of having no facts is a state with its reason.
 */
import { type AccountFactsPort, type AccountLookup, accountSettingsOf } from './account-facts.ts'
import { selectAccountFacts } from './account-select.ts'
import { type AccountContext, type NumberedFact, numberFacts } from './account-text.ts'

/** What {@link lookupAccount} reads from the ticket and its tenant. */
export interface AccountInput {
  tenantId: number
  /** The tenant's settings (`accountFacts` among them). */
  settings: Record<string, unknown> | null
  /** The WHMCS client (`userid`) the ticket came from; null for a ticket from elsewhere. */
  clientId: number | null
  /** The ticket's related service in WHMCS (`S12`, `D3`), when WHMCS gave one. */
  attached: string | null
  /** The subject and the customer's messages, unmasked (only searched for what they name). */
  texts: readonly string[]
  /** `YYYY-MM-DD` (UTC), the day the facts are judged on (overdue, expiring). */
  today: string
}

/** The facts a draft is given, numbered; `context` says how they were come by. */
export interface AccountShown {
  context: AccountContext
  facts: NumberedFact[]
  today: string
}

const none = (state: AccountContext['state'], detail: string | null, clientId: number | null) => ({
  state,
  detail,
  readAt: null,
  cached: false,
  clientId,
  selected: [],
})

/** The account of the ticket's client and the facts that concern the ticket; never throws. */
export async function lookupAccount(
  deps: { accountFacts?: AccountFactsPort | undefined },
  input: AccountInput,
): Promise<AccountContext> {
  const settings = accountSettingsOf(input.settings, input.tenantId)
  const clientId = input.clientId !== null && input.clientId > 0 ? input.clientId : null
  if (!settings.enabled || settings.kinds.length === 0) return none('off', null, clientId)
  if (clientId === null) return none('no_client', null, null)
  if (!deps.accountFacts) return none('not_configured', null, clientId)
  let lookup: AccountLookup
  try {
    lookup = await deps.accountFacts({ tenantId: input.tenantId, clientId, settings })
  } catch (error) {
    // The port promises not to throw; should it, the draft still goes on.
    lookup = { state: 'unavailable', detail: `account facts failed: ${(error as Error).message}` }
  }
  if (lookup.state === 'not_configured') return none('not_configured', null, clientId)
  if (lookup.state === 'unavailable') return none('unavailable', lookup.detail, clientId)
  return {
    state: 'read',
    detail: null,
    readAt: lookup.readAt,
    cached: lookup.cached,
    clientId,
    selected: selectAccountFacts({
      snapshot: lookup.snapshot,
      kinds: settings.kinds,
      texts: input.texts,
      attached: input.attached,
      today: input.today,
    }),
  }
}

/** The chosen facts numbered after `shownSources` knowledge sources. */
export function showAccount(context: AccountContext, shownSources: number, today: string): AccountShown {
  return { context, facts: numberFacts(context, shownSources + 1, today), today }
}

/** Today as the facts are judged: `YYYY-MM-DD`, UTC. */
export const utcDay = (now: Date = new Date()) => now.toISOString().slice(0, 10)
