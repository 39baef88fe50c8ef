/**
 * What a draft's account facts (issue 30) change about trusting it. Pure, and apart from the keyword and
 * retrieval rules of escalation.ts, which it runs after:
 * - a reply that rests on account facts (it cites a service, domain or invoice from the desk's WHMCS) is
 *   not escalated for low retrieval: "my site is down" needs no article when the account says the service
 *   is suspended for an unpaid invoice;
 * - a service or domain WHMCS marks as `Fraud`, and an invoice in `Collections`, escalate with reasons of
 *   their own, whatever the ticket asks: a person decides what to tell such a customer (the model is never
 *   shown these facts);
 * - for confidence, a cited account fact counts as a cited source of full strength: it is the desk's own
 *   record, not a passage that may or may not match the question.
 */
import type { EscalationReason, EscalationResult } from './escalation.ts'

/** Retrieval strength a cited account fact adds to confidence (shared/trust/confidence.ts), 0..1. */
export const ACCOUNT_FACT_STRENGTH = 1

/** What escalation needs to know of a draft's account facts. */
export interface AccountSignals {
  /** The reply cites a service, domain or invoice fact. */
  restsOnAccount: boolean
  /** Titles of the services and domains in Fraud status. */
  fraud: readonly string[]
  /** Titles of the invoices in Collections. */
  collections: readonly string[]
}

/** `result` with the account rules of the module comment applied; only ever drops low-retrieval reasons. */
export function escalateWithAccount(result: EscalationResult, signals: AccountSignals): EscalationResult {
  const reasons: EscalationReason[] = signals.restsOnAccount
    ? result.reasons.filter((r) => r.code !== 'low_retrieval')
    : [...result.reasons]
  for (const title of signals.fraud) {
    reasons.push({ code: 'account_fraud', detail: `${title} is in Fraud status in WHMCS` })
  }
  for (const title of signals.collections) {
    reasons.push({ code: 'account_collections', detail: `${title} is in Collections in WHMCS` })
  }
  return { escalate: reasons.length > 0, reasons }
}
