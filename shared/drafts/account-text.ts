/**
 * How chosen account facts (account-select.ts) read: numbered after the draft's knowledge sources, one
 * line each for the model, the structured values the drafters and the learning filter use, the Account
 * summary stored with the draft, and the `account` entries of the draft's source list.
 *
 * Values that come from the desk's WHMCS are written in as they are (product and group names, statuses,
 * dates, amounts, a suspension reason), cut short and without brackets, so no value can pass for a
 * citation or a delimiter. What the customer typed into WHMCS (the company name) goes to agents only.
 */

import type { GroundingAccountFact } from '../ai/provider.ts'
import type { AccountFactView, AccountSummary } from '../api/account.ts'
import { clip } from '../text/fold.ts'
import type { AccountDomain, AccountService } from './account-facts.ts'
import { daysUntil, type SelectedFact } from './account-select.ts'

/** Where the pipeline stands with the account: the lookup's outcome and the facts it chose. */
export interface AccountContext {
  state: AccountSummary['state']
  detail: string | null
  readAt: Date | null
  cached: boolean
  clientId: number | null
  selected: SelectedFact[]
}

/** A chosen fact with its citation number (null for agents-only facts) and how it reads. */
export interface NumberedFact {
  ref: number | null
  fact: SelectedFact
  title: string
  /** The line the model reads. */
  text: string
  grounding: GroundingAccountFact | null
  fields: AccountFactView['fields']
}

/** Facts numbered from `firstRef` on (after the knowledge sources), in the order they were chosen. */
export function numberFacts(account: AccountContext, firstRef: number, today: string): NumberedFact[] {
  let next = firstRef
  const refs = new Map<SelectedFact, number>()
  for (const fact of account.selected) if (fact.audience === 'model') refs.set(fact, next++)
  const refOf = (kind: 'service' | 'domain', id: number) => {
    for (const [fact, ref] of refs) if (fact.kind === kind && fact.item.id === id) return ref
    return null
  }
  return account.selected.map((fact) => {
    const ref = refs.get(fact) ?? null
    const described = describe(fact, today, refOf)
    return {
      ref,
      fact,
      title: described.title,
      text: described.text,
      fields: described.fields,
      grounding:
        ref === null ? null : { ref, kind: fact.kind, status: fact.item.status, ...described.grounding },
    }
  })
}

/** A value from WHMCS as a prompt may carry it: one line, no brackets, short. */
const value = (text: string, max = 80) =>
  clip(
    text
      .replace(/[[\]<>{}]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
    max,
  )

/** An amount with its currency: `12.95 USD`, `$12.95`. */
function money(amount: string, currency: string): string {
  if (!currency) return amount
  return /\p{L}/u.test(currency) ? `${amount} ${currency}` : `${currency}${amount}`
}

type Described = {
  title: string
  text: string
  fields: AccountFactView['fields']
  grounding: Omit<GroundingAccountFact, 'ref' | 'kind' | 'status'>
}

function describe(
  fact: SelectedFact,
  today: string,
  refOf: (kind: 'service' | 'domain', id: number) => number | null,
): Described {
  switch (fact.kind) {
    case 'service':
      return describeService(fact.item)
    case 'domain':
      return describeDomain(fact.item, fact.expiresInDays)
    case 'invoice':
      return describeInvoice(fact, today, fact.renews ? refOf(fact.renews.kind, fact.renews.id) : null)
    case 'client': {
      const c = fact.item
      const title = `Customer account #${c.id}`
      const parts = [`status ${value(c.status)}`, c.language ? `preferred language ${c.language}` : '']
      // The company is the customer's own text: for agents, never in a prompt.
      return {
        title,
        text: line(title, parts),
        fields: { language: c.language, company: value(c.company, 120) },
        grounding: {},
      }
    }
  }
}

function describeService(s: AccountService): Described {
  const name = value(s.product || 'service')
  const title = `Service "${name}"${s.group ? ` (${value(s.group)})` : ''}${s.domain ? ` for ${s.domain}` : ''}`
  const parts = [
    `status ${value(s.status)}${s.suspensionReason ? ` (reason: ${value(s.suspensionReason, 120)})` : ''}`,
    s.nextDueDate ? `next due date ${s.nextDueDate}` : '',
    s.billingCycle ? `billing cycle ${value(s.billingCycle)}` : '',
    s.server ? `server ${value(s.server)}` : '',
  ]
  const grounding = { name, domain: s.domain, reason: value(s.suspensionReason, 120), dueDate: s.nextDueDate }
  return {
    title,
    text: line(title, parts),
    fields: { ...grounding, group: value(s.group), billingCycle: s.billingCycle, server: s.server },
    grounding,
  }
}

function describeDomain(d: AccountDomain, days: number | null): Described {
  const title = `Domain ${d.domain}`
  const parts = [
    `status ${value(d.status)}`,
    d.expiryDate ? `expiry date ${d.expiryDate}${days === null ? '' : ` (${relative(days)})`}` : '',
    d.autoRenew === null ? '' : `automatic renewal ${d.autoRenew ? 'on' : 'off'}`,
    d.nextDueDate ? `next due date ${d.nextDueDate}` : '',
    d.registrationType ? `registration type ${value(d.registrationType)}` : '',
  ]
  const grounding = {
    domain: d.domain,
    expiryDate: d.expiryDate,
    expiresInDays: days,
    autoRenew: d.autoRenew,
    dueDate: d.nextDueDate,
  }
  return { title, text: line(title, parts), fields: { ...grounding }, grounding }
}

function describeInvoice(
  fact: Extract<SelectedFact, { kind: 'invoice' }>,
  today: string,
  renews: number | null,
): Described {
  const i = fact.item
  const number = value(i.number, 40)
  const amount = money(i.total, value(i.currency, 10))
  const late = daysUntil(i.dueDate, today)
  const title = `Invoice #${number}`
  const overdue =
    fact.overdue && i.dueDate ? `, overdue since ${i.dueDate}${late === null ? '' : ` (${-late} days)`}` : ''
  const parts = [
    `status ${value(i.status)}${overdue}`,
    i.dueDate ? `due date ${i.dueDate}` : '',
    `total ${amount}`,
    i.balance !== null ? `balance ${money(i.balance, value(i.currency, 10))}` : '',
    i.date ? `invoice date ${i.date}` : '',
    renews !== null ? 'renewal of the service or domain listed above with the same due date' : '',
  ]
  const grounding = { number, amount, dueDate: i.dueDate, overdue: fact.overdue, renews }
  return { title, text: line(title, parts), fields: { ...grounding, balance: i.balance }, grounding }
}

const line = (title: string, parts: string[]) => `${title}: ${parts.filter(Boolean).join('; ')}`

const relative = (days: number) => (days === 0 ? 'today' : days > 0 ? `in ${days} days` : `${-days} days ago`)

/** The facts the model is given, in citation order. */
export const modelFacts = (facts: readonly NumberedFact[]) =>
  facts.filter((f): f is NumberedFact & { ref: number } => f.ref !== null)

/** The Account summary stored with the draft; `cited` marks the facts its reply cites. */
export function accountSummaryOf(
  account: AccountContext,
  facts: readonly NumberedFact[],
  cited: ReadonlySet<number>,
): AccountSummary {
  return {
    state: account.state,
    detail: account.detail,
    readAt: account.readAt?.toISOString() ?? null,
    cached: account.cached,
    clientId: account.clientId,
    facts: facts.map((f) => ({
      ref: f.ref,
      kind: f.fact.kind,
      whmcsId: f.fact.item.id,
      title: f.title,
      status: f.fact.item.status,
      text: f.text,
      why: f.fact.why,
      cited: f.ref !== null && cited.has(f.ref),
      fields: f.fields,
    })),
  }
}

/**
 * The facts the model was given as entries of the draft's source list (`sources`, kind `account`), beside
 * the knowledge sources: what `[n]` points at. Not a knowledge chunk: no chunk, article or score.
 */
export function accountSources(facts: readonly NumberedFact[], cited: ReadonlySet<number>) {
  return modelFacts(facts).map((f) => ({
    ref: f.ref,
    chunkId: null,
    articleId: null,
    approvedReplyId: null,
    title: f.title,
    sourceKind: 'account' as const,
    score: null,
    relevance: null,
    fusedScore: null,
    sourceWeight: null,
    cited: cited.has(f.ref),
    belowThreshold: false,
    excerpt: f.text,
  }))
}
