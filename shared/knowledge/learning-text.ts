/**
 * What an approved reply may teach (issue 26): only what staff wrote. An approved reply becomes a source
 * that other customers' drafts cite, so nothing a customer wrote may come with it. The customer's question
 * is kept out by the indexer (it never stores it); this module removes what the staff reply itself carries
 * over from the customer: a WHMCS reply quoting the message, a draft that echoed the question, a reply that
 * repeats the customer's link or address.
 *
 * The rule, per sentence (inside each line, so the reply's lines and Markdown stay as they were):
 * 1. Copied: a sentence of three or more words is the customer's, whoever typed it, when more than half of
 *    its word trigrams occur in the customer's messages, or when it holds a run of
 *    {@link COPIED_RUN_WORDS} or more consecutive words of them (a long quote inside a staff sentence).
 * 2. Addresses: a sentence carrying a URL, domain, IP or e-mail address that also occurs in the customer's
 *    messages (the same host, or one a subdomain of the other; an e-mail's domain counts as a host) is
 *    dropped unless the tenant's knowledge base names that address. A customer's own domain or mailbox has
 *    no place in another customer's draft, and a phishing link never does; an address the KB documents
 *    (the control panel's URL) is the company's, not the customer's.
 * 3. Account: a sentence naming a value of the customer's own account that the draft was given (issue 30:
 *    a domain, an invoice number, an amount, a due or expiry date) is dropped, whoever phrased it. "Invoice
 *    #4711 over 12.95 USD was due on 2026-11-28" is one customer's business, never another's answer; so is
 *    the sentence that led to it ("We checked your account:").
 * A line left without sentences goes, and so does a quoted line (`>`) any sentence of which goes. Citation markers and the
 * References list of a sent reply go first: they point at the sources of another ticket's draft.
 */

import { accountIntroSentences } from '../ai/account-sentences.ts'
import { withoutReferences } from '../text/citations.ts'
import { words } from '../text/words.ts'

/** Share of a sentence's word trigrams found in the customer's messages above which it counts as copied. */
const COPIED_SHARE = 0.5
/** Consecutive words of the customer's messages that make a sentence a quote, however long it is. */
const COPIED_RUN_WORDS = 8

// File names look like domains ("index.php"); these endings are never treated as a host.
const FILE_ENDINGS = new Set(
  (
    'php html htm js mjs ts css txt log json xml ini conf cfg zip gz tgz tar rar sql png jpg jpeg gif svg ' +
    'webp ico pdf doc docx xls xlsx csv py rb pl sh bash md yml yaml bak tmp old exe dll so lock env key pem ' +
    'crt csr cer htaccess htpasswd sock pid'
  ).split(' '),
)
const URL_RE = /\b(?:https?|ftp):\/\/[^\s<>"'`)\]]+/giu
const EMAIL_RE = /[\p{L}\p{N}._%+-]+@((?:[\p{L}\p{N}-]+\.)+\p{L}{2,})/gu
const DOMAIN_RE =
  /(?<![\p{L}\p{N}@._-])((?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,24})(?![\p{L}\p{N}-])/gu
const IPV4_RE = /(?<![\p{N}.])(?:\d{1,3}\.){3}\d{1,3}(?![\p{N}.])/gu

/** Defanged spellings ("evil[.]example", "hxxp://") count as what they stand for. */
const refang = (text: string) =>
  text
    .replace(/\s*[[({]\s*(?:\.|dot)\s*[\])}]\s*/giu, '.')
    .replace(/\bhxxp(s?):\/\//giu, 'http$1://')
    .replace(/\s*[[({]\s*(?:@|at)\s*[\])}]\s*/giu, '@')

const normaliseHost = (host: string) =>
  host
    .normalize('NFKC')
    .toLowerCase()
    .replace(/^www\./, '')
    .replace(/\.$/, '')

/** The fields of an account fact (shared/api/account.ts `fields`) that hold the customer's own values. */
const ACCOUNT_VALUE_FIELDS = ['domain', 'number', 'amount', 'balance', 'dueDate', 'expiryDate']

/**
 * The values of a draft's stored account facts (`ai_replies.account_facts`, any shape) that rule 3 keeps
 * out of learning: each field above, and the number of an amount or invoice number alone ("12.95" of
 * "12.95 USD", "4711" of "INV-4711").
 */
export function accountValues(stored: unknown): string[] {
  const facts = (stored as { facts?: unknown } | null)?.facts
  if (!Array.isArray(facts)) return []
  const values = new Set<string>()
  for (const fact of facts) {
    const fields = (fact as { fields?: Record<string, unknown> } | null)?.fields ?? {}
    for (const key of ACCOUNT_VALUE_FIELDS) {
      const value = fields[key]
      if (typeof value !== 'string' || value.trim().length < 2) continue
      values.add(value.trim())
      if (key === 'dueDate' || key === 'expiryDate' || key === 'domain') continue
      for (const number of value.match(/\d+(?:[.,]\d+)?/g) ?? []) if (number.length >= 3) values.add(number)
    }
  }
  return [...values]
}

const ACCOUNT_INTROS = new Set(accountIntroSentences().map((s) => s.trim().toLowerCase()))

/**
 * Whether `sentence` holds one of `values` as a whole token (not inside a longer word or number), or is the
 * built-in drafter's opening of the account part, which without the facts is empty.
 */
function namesValue(sentence: string, values: readonly string[]): boolean {
  if (values.length > 0 && ACCOUNT_INTROS.has(sentence.trim().toLowerCase())) return true
  return values.some((v) =>
    new RegExp(`(?<![\\p{L}\\p{N}])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'iu').test(
      sentence,
    ),
  )
}

/**
 * The addresses a text carries, normalised: `host:<name>` for URL hosts, bare domains, IPs and e-mail
 * domains, `email:<address>` for e-mail addresses.
 */
export function addressesIn(text: string): Set<string> {
  const found = new Set<string>()
  const plain = refang(text)
  for (const [url] of plain.matchAll(URL_RE)) {
    const host = /^[a-z]+:\/\/(?:[^@/\s]*@)?([^/:?#\s]+)/iu.exec(url)?.[1]
    if (host) found.add(`host:${normaliseHost(host)}`)
  }
  for (const [email, domain] of plain.matchAll(EMAIL_RE)) {
    found.add(`email:${email.toLowerCase()}`)
    found.add(`host:${normaliseHost(domain!)}`)
  }
  for (const [, domain] of plain.matchAll(DOMAIN_RE)) {
    const ending = domain!.slice(domain!.lastIndexOf('.') + 1).toLowerCase()
    if (!FILE_ENDINGS.has(ending)) found.add(`host:${normaliseHost(domain!)}`)
  }
  for (const [ip] of plain.matchAll(IPV4_RE)) found.add(`host:${ip}`)
  return found
}

/** Whether two address keys name the same thing: equal, or hosts of which one is a subdomain of the other. */
function related(a: string, b: string): boolean {
  if (a === b) return true
  if (!a.startsWith('host:') || !b.startsWith('host:')) return false
  const [x, y] = [a.slice(5), b.slice(5)]
  return x.endsWith(`.${y}`) || y.endsWith(`.${x}`)
}

/** The value a knowledge-base lookup searches for: the host name or the e-mail address itself. */
export const addressValue = (key: string) => key.slice(key.indexOf(':') + 1)

/**
 * The addresses of `reply` that also occur in the customer's messages: the ones the caller must look up
 * in the tenant's knowledge base before calling {@link staffOnlyText}.
 */
export function addressesSharedWithCustomer(reply: string, customerTexts: readonly string[]): string[] {
  const customer = [...addressesIn(customerTexts.join('\n'))]
  return [...addressesIn(reply)].filter((a) => customer.some((c) => related(a, c)))
}

const trigrams = (tokens: readonly string[]) =>
  tokens.slice(2).map((w, i) => `${tokens[i]} ${tokens[i + 1]} ${w}`)

/**
 * Word trigrams with every address read as one word: addresses are rule 2's to judge (a link the KB
 * documents may be repeated), and split into words ("https my hostco example") they would make a sentence
 * look copied for its link alone.
 */
const wordTrigrams = (text: string) =>
  trigrams(
    words(
      refang(text)
        .replace(URL_RE, ' address ')
        .replace(EMAIL_RE, ' address ')
        .replace(DOMAIN_RE, ' address '),
    ),
  )

/** Whether `sentence` is mostly, or holds a long run of, the customer's words (rule 1). */
function isCopied(sentence: string, customerGrams: ReadonlySet<string>): boolean {
  const grams = wordTrigrams(sentence)
  if (grams.length === 0) return false
  let shared = 0
  let run = 0
  let longest = 0
  for (const gram of grams) {
    const hit = customerGrams.has(gram)
    shared += hit ? 1 : 0
    run = hit ? run + 1 : 0
    longest = Math.max(longest, run)
  }
  return shared / grams.length > COPIED_SHARE || longest >= COPIED_RUN_WORDS - 2
}

/** Result of {@link staffOnlyText}. */
export interface StaffOnlyText {
  /** The reply without the customer's sentences; empty when nothing of it was the staff's own. */
  text: string
  /** The sentences removed, for the audit record. */
  dropped: string[]
}

/**
 * The part of a staff reply that may be learnt: the reply without citation markers and References, and
 * without the sentences the module comment's rule gives to the customer. `knownToKb` holds the address
 * keys (from {@link addressesSharedWithCustomer}) that the tenant's knowledge base names; `accountFacts` the
 * values of the draft's account facts ({@link accountValues}).
 */
export function staffOnlyText(
  reply: string,
  customerTexts: readonly string[],
  knownToKb: ReadonlySet<string> = new Set(),
  accountFacts: readonly string[] = [],
): StaffOnlyText {
  const customerGrams = new Set(customerTexts.flatMap(wordTrigrams))
  const customerAddresses = [...addressesIn(customerTexts.join('\n'))]
  const foreignAddress = (sentence: string) =>
    [...addressesIn(sentence)].some((a) => !knownToKb.has(a) && customerAddresses.some((c) => related(a, c)))
  const dropped: string[] = []
  const lines = withoutReferences(reply)
    .split('\n')
    .flatMap((line) => {
      const quote = /^\s*(?:>\s*)+/.exec(line)?.[0] ?? ''
      const body = line.slice(quote.length)
      if (body.trim() === '') return [line.trimEnd()]
      const pieces = body.split(/(?<=[.!?…])\s+/u)
      const kept = pieces.filter((piece) => {
        const out = isCopied(piece, customerGrams) || foreignAddress(piece) || namesValue(piece, accountFacts)
        if (out) dropped.push(piece.trim())
        return !out
      })
      // A quotation is one piece: when part of it is the customer's, all of it is ("> Hello." included).
      if (kept.length === 0 || (quote !== '' && kept.length < pieces.length)) return []
      return [`${quote}${kept.join(' ')}`.trimEnd()]
    })
  const text = lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
  return { text, dropped }
}
