/**
 * Which of a client's services, domains and invoices a ticket is about (issue 30, item 2). Pure: the
 * snapshot read from WHMCS and the ticket's text in, the facts for the draft out; the rest of the account
 * is left out, so a client with 200 services gets a draft about the one their ticket names.
 *
 * A service or domain concerns the ticket when
 * - the ticket names its domain: any host name in the subject or the customer's messages (in a URL, an
 *   e-mail address or bare) that is the domain, its `www.` or any subdomain of it;
 * - the ticket names its product (`VPS M`) or product group (`VPS`), whole words, when the name is not an
 *   everyday English word ("Plus" is not a product in "plus it is slow") and names at most
 *   {@link MAX_NAME_MATCHES} of the client's live services (a name shared by more says nothing);
 * - WHMCS attached it to the ticket (the ticket's related service, `S<id>` or `D<id>`);
 * - it is the client's only live service (Pending, Active or Suspended), when nothing else was found;
 * - it is the registration of a chosen service's domain, or the hosting of a chosen domain.
 * An unpaid invoice concerns the ticket when it is the renewal of a chosen service or domain (due the day
 * the service was: WHMCS invoices a renewal with the service's next due date, which moves only once it is
 * paid) and either that service has a problem (suspended, expired, …) or the invoice is overdue; or, when
 * the customer asks about billing, any unpaid invoice. A service or domain in `Fraud` status and an invoice
 * in `Collections` are shown to agents only, never to the model, and escalate the ticket
 * (shared/trust/account.ts).
 */
import { addressesIn, addressValue } from '../knowledge/learning-text.ts'
import { foldText } from '../text/fold.ts'
import COMMON_ENGLISH from '../trust/common-english.json' with { type: 'json' }
import { compileKeyword } from '../trust/escalation.ts'
import type {
  AccountClient,
  AccountDomain,
  AccountFactKind,
  AccountInvoice,
  AccountService,
  AccountSnapshot,
} from './account-facts.ts'

/** Facts of one kind a draft gets at most; an account is context for a reply, not a report. */
const MAX_PER_KIND = 5
/** A product or group name that fits more of the client's live services than this names none of them. */
const MAX_NAME_MATCHES = 3
const LIVE_SERVICE = new Set(['Pending', 'Active', 'Suspended'])
/** Service statuses an agent would call a problem with the service itself. */
const SERVICE_PROBLEM = new Set(['Suspended', 'Terminated', 'Cancelled', 'Pending'])
/** Domain statuses an agent would call a problem with the domain itself. */
const DOMAIN_PROBLEM = new Set([
  'Expired',
  'Grace',
  'Redemption',
  'Cancelled',
  'Transferred Away',
  'Pending',
  'Pending Registration',
  'Pending Transfer',
])
const UNPAID = new Set(['Unpaid', 'Overdue', 'Payment Pending'])
const COMMON = new Set<string>(COMMON_ENGLISH)

/** Words of a question about money, in the safe keyword syntax of shared/trust/escalation.ts. */
const BILLING_KEYWORDS = [
  ...['invoice*', 'bill', 'bills', 'billed', 'billing', 'charge*', 'payment*', 'pay', 'paid', 'paying'],
  ...['price*', 'cost*', 'fee', 'fees', 'overdue', 'unpaid', 'receipt*', 'renew*', 'subscription*'],
  ...['rechnung*', 'zahlung*', 'bezahl*', 'gebuhr*', 'abbuchung*', 'lastschrift*', 'kosten', 'verlanger*'],
  ...[
    'factura*',
    'pago*',
    'cobro*',
    'cobrad*',
    'precio*',
    'renovac*',
    'facture*',
    'paiement*',
    'prelevement*',
  ],
  ...['tarif*', 'renouvel*', 'счет*', 'оплат*', 'платеж*', 'списа*', 'продлен*'],
]
const BILLING = BILLING_KEYWORDS.map(compileKeyword).filter((r): r is RegExp => r !== null)

/** Why a fact was chosen, as the Account summary says it. */
type FactReason =
  | 'named'
  | 'attached'
  | 'only_service'
  | 'same_domain'
  | 'renewal'
  | 'billing_question'
  | 'fraud'
  | 'collections'
  | 'client'

interface Chosen<K extends string, T> {
  kind: K
  item: T
  why: FactReason
  /** `agent`: shown in the Account summary and escalated, never given to the model. */
  audience: 'model' | 'agent'
}

/** One fact chosen for a draft, with what the text and the drafters need to know about it. */
export type SelectedFact =
  | Chosen<'client', AccountClient>
  | Chosen<'service', AccountService>
  | (Chosen<'domain', AccountDomain> & { expiresInDays: number | null })
  | (Chosen<'invoice', AccountInvoice> & {
      overdue: boolean
      /** The service or domain whose renewal it is, when one was chosen. */
      renews: { kind: 'service' | 'domain'; id: number } | null
    })

/** What {@link selectAccountFacts} needs. */
export interface SelectionInput {
  snapshot: AccountSnapshot
  /** Kinds the tenant lets into drafts. */
  kinds: readonly AccountFactKind[]
  /** The subject and the customer's messages, as written: only read here, to find what they name. */
  texts: readonly string[]
  /** The ticket's related service in WHMCS: `S<id>` (a product) or `D<id>` (a domain), else null. */
  attached: string | null
  /** `YYYY-MM-DD`, UTC. */
  today: string
}

/** The facts that concern the ticket, in the order a reply would state them. See the module comment. */
export function selectAccountFacts(input: SelectionInput): SelectedFact[] {
  const { snapshot, kinds } = input
  const text = input.texts.join('\n')
  const hosts = [...addressesIn(text)].filter((k) => k.startsWith('host:')).map(addressValue)
  const services = kinds.includes('services') ? chooseServices(input, hosts, text) : new Map()
  const domains = kinds.includes('domains') ? chooseDomains(input, hosts, services) : new Map()
  const invoices = kinds.includes('invoices') ? chooseInvoices(input, text, services, domains) : []
  const out: SelectedFact[] = []
  for (const [service, why] of services) out.push({ kind: 'service', item: service, why, audience: 'model' })
  for (const [domain, why] of domains)
    out.push({
      kind: 'domain',
      item: domain,
      why,
      audience: 'model',
      expiresInDays: daysUntil(domain.expiryDate, input.today),
    })
  out.push(...invoices)
  if (kinds.includes('client') && snapshot.client)
    out.push({ kind: 'client', item: snapshot.client, why: 'client', audience: 'model' })
  out.push(...risks(input))
  return out
}

/** A domain (lower-case, no `www.`) that `host` is, or is a subdomain of. */
const hostIs = (host: string, domain: string) =>
  domain !== '' && (host === domain || host.endsWith(`.${domain}`))

const attachedId = (attached: string | null, prefix: 'S' | 'D') => {
  const m = /^([SD])(\d+)$/i.exec(attached?.trim() ?? '')
  return m && m[1]!.toUpperCase() === prefix ? Number(m[2]) : null
}

/** Problems first, so a cap keeps the services that explain something. */
const serviceOrder = (s: AccountService) =>
  ['Suspended', 'Pending', 'Active', 'Terminated', 'Cancelled', 'Completed'].indexOf(s.status) + 1 || 9

function chooseServices(
  input: SelectionInput,
  hosts: string[],
  text: string,
): Map<AccountService, FactReason> {
  const all = input.snapshot.services.filter((s) => s.status !== 'Fraud')
  const live = all.filter((s) => LIVE_SERVICE.has(s.status))
  const chosen = new Map<AccountService, FactReason>()
  const add = (services: AccountService[], why: FactReason) => {
    for (const s of [...services].sort((a, b) => serviceOrder(a) - serviceOrder(b)))
      if (!chosen.has(s) && chosen.size < MAX_PER_KIND) chosen.set(s, why)
  }
  const attached = attachedId(input.attached, 'S')
  add(
    all.filter((s) => s.id === attached),
    'attached',
  )
  add(
    all.filter((s) => hosts.some((h) => hostIs(h, s.domain))),
    'named',
  )
  const folded = foldText(text)
  for (const name of new Set(live.flatMap((s) => [s.product, s.group]))) {
    if (!namesSomething(name, folded)) continue
    const fits = live.filter((s) => s.product === name || s.group === name)
    if (fits.length <= MAX_NAME_MATCHES) add(fits, 'named')
  }
  if (chosen.size === 0 && live.length === 1 && !hosts.some((h) => otherDomainNamed(h, input.snapshot)))
    add(live, 'only_service')
  return chosen
}

/**
 * Whether the ticket names a host the client's account knows as a domain registration: then the ticket is
 * about that domain, not about the only hosting service.
 */
const otherDomainNamed = (host: string, snapshot: AccountSnapshot) =>
  snapshot.domains.some((d) => hostIs(host, d.domain))

/** Whether a product or group name occurs in the folded text as whole words, and is no everyday word. */
function namesSomething(name: string, folded: string): boolean {
  const words = foldText(name)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
  if (words.length === 0) return false
  const distinctive = words.length > 1 || /\p{N}/u.test(words[0]!) || !COMMON.has(words[0]!)
  if (!distinctive || words.join('').length < 3) return false
  const pattern = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^\\p{L}\\p{N}]+')
  return new RegExp(`(?<![\\p{L}\\p{N}])${pattern}(?![\\p{L}\\p{N}])`, 'u').test(folded)
}

function chooseDomains(
  input: SelectionInput,
  hosts: string[],
  services: Map<AccountService, FactReason>,
): Map<AccountDomain, FactReason> {
  const all = input.snapshot.domains.filter((d) => d.status !== 'Fraud')
  const chosen = new Map<AccountDomain, FactReason>()
  const add = (domains: AccountDomain[], why: FactReason) => {
    for (const d of domains) if (!chosen.has(d) && chosen.size < MAX_PER_KIND) chosen.set(d, why)
  }
  const attached = attachedId(input.attached, 'D')
  add(
    all.filter((d) => d.id === attached),
    'attached',
  )
  add(
    all.filter((d) => hosts.some((h) => hostIs(h, d.domain))),
    'named',
  )
  add(
    all.filter((d) => [...services.keys()].some((s) => hostIs(s.domain, d.domain))),
    'same_domain',
  )
  return chosen
}

function chooseInvoices(
  input: SelectionInput,
  text: string,
  services: Map<AccountService, FactReason>,
  domains: Map<AccountDomain, FactReason>,
): SelectedFact[] {
  const { today } = input
  const billing = BILLING.some((r) => r.test(foldText(text)))
  const unpaid = input.snapshot.invoices
    .filter((i) => UNPAID.has(i.status))
    // Most overdue first: a cap keeps the ones that matter.
    .sort((a, b) => (a.dueDate ?? '9999').localeCompare(b.dueDate ?? '9999'))
  const out: SelectedFact[] = []
  for (const invoice of unpaid) {
    if (out.length === MAX_PER_KIND) break
    const overdue = invoice.status === 'Overdue' || (invoice.dueDate !== null && invoice.dueDate < today)
    const renews = renewalOf(invoice, overdue, services, domains)
    if (!renews && !billing) continue
    out.push({
      kind: 'invoice',
      item: invoice,
      why: renews ? 'renewal' : 'billing_question',
      audience: 'model',
      overdue,
      renews,
    })
  }
  return out
}

/** The chosen service or domain this invoice renews, when it has a problem or the invoice is overdue. */
function renewalOf(
  invoice: AccountInvoice,
  overdue: boolean,
  services: Map<AccountService, FactReason>,
  domains: Map<AccountDomain, FactReason>,
): { kind: 'service' | 'domain'; id: number } | null {
  if (invoice.dueDate === null) return null
  for (const s of services.keys())
    if (s.nextDueDate === invoice.dueDate && (overdue || SERVICE_PROBLEM.has(s.status)))
      return { kind: 'service', id: s.id }
  for (const d of domains.keys())
    if (d.nextDueDate === invoice.dueDate && (overdue || DOMAIN_PROBLEM.has(d.status)))
      return { kind: 'domain', id: d.id }
  return null
}

/** Fraud services and domains and Collections invoices, wherever they are in the account: agents only. */
function risks(input: SelectionInput): SelectedFact[] {
  const { snapshot, kinds } = input
  const out: SelectedFact[] = []
  if (kinds.includes('services'))
    for (const s of snapshot.services.filter((x) => x.status === 'Fraud').slice(0, MAX_PER_KIND))
      out.push({ kind: 'service', item: s, why: 'fraud', audience: 'agent' })
  if (kinds.includes('domains'))
    for (const d of snapshot.domains.filter((x) => x.status === 'Fraud').slice(0, MAX_PER_KIND))
      out.push({ kind: 'domain', item: d, why: 'fraud', audience: 'agent', expiresInDays: null })
  if (kinds.includes('invoices'))
    for (const i of snapshot.invoices.filter((x) => x.status === 'Collections').slice(0, MAX_PER_KIND))
      out.push({
        kind: 'invoice',
        item: i,
        why: 'collections',
        audience: 'agent',
        overdue: true,
        renews: null,
      })
  return out
}

/** Whole days from `today` to `date` (negative: in the past); null without a date. */
export function daysUntil(date: string | null, today: string): number | null {
  if (date === null) return null
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000)
}
