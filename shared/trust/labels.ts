/**
 * Labels for a desk's own calibration (issue 28): what the reply an agent actually sent says about a draft
 * made for the same ticket. Pure rules; the replay (shared/calibration/) gathers their inputs from the
 * database. The same rules label the desk simulation of `npm run eval` (eval/desk.ts) and docs/calibration.md
 * states them for users.
 *
 * 1. **Facts of the staff reply** (its core: greeting, sign-off and quoted text removed by the caller):
 *    - `number`: a number with at least two digits, a decimal, or any number with a unit, a currency sign or
 *      a percent sign (durations, prices, ports, sizes, versions: "4 to 24 hours" gives 4 and 24, "$15",
 *      "port 2222", "1024M", "8.3"); "1,000" and "1000" are one number, "13,95" is 13.95;
 *    - `path`: a menu path, segments joined by "→", "->", ">" or "»" ("cPanel → Files → JetBackup 5");
 *    - `address`: a URL, a host or domain name, an e-mail address;
 *    - `name`: a product or feature name as the KB spells it: a mixed-case word (cPanel, AutoSSL), an
 *      acronym (SFTP, DNSSEC), a run of capitalised words inside a sentence ("Request Cancellation") or a
 *      quoted option, counted only when the tenant's KB spells it somewhere (`kbSpells`) or it holds a word
 *      that is not everyday English (then it is a product the KB may lack, such as "PostgreSQL");
 *    - `term` (English replies only): a word of the reply that is not everyday English (the list of
 *      shared/trust/common-english.json, as shared/trust/unmentioned.ts uses it), as a Postgres lexeme.
 *    Numbers and addresses the customer wrote themselves (an invoice amount, their own domain) are echoes,
 *    not knowledge, and do not count; nor do names and terms the customer wrote that the sources hold
 *    (the topic, not the answer), while those the sources lack do ("DNSSEC is not available").
 * 2. **Answerable from the KB**: the sources the draft was built from held the facts the agent gave:
 *    a path (a whole procedure) weighs 2, other strong facts (number, address, name) 1, a term 1/2, and
 *    more than {@link ANSWERABLE_SHARE} of the weight is found in the sources. A source is the article a
 *    shown passage belongs to (all its passages), or the passage itself for a learnt reply. Under a weight of
 *    1 (no fact, or one term: "we fixed it for you"): undecided (null).
 * 3. **Usable**: the draft would have been used as it was: the sent-reply comparison of the two
 *    (shared/review/sent-reply.ts) finds it sent as drafted or edited, or the draft itself holds at least
 *    {@link USABLE_SHARE} of the staff reply's strong facts (terms when it has none), from sources that
 *    held them (answerable), and the drafter did not say the sources do not answer.
 *
 * A fact is found in a text when its words appear there in order (folded, stemmed with the shared
 * stemmer), a number when the same number appears, a term when the same lexeme does.
 */
import { fold, STOP_WORDS, stem, words } from '../text/words.ts'
import { isSpecificTerm } from './unmentioned.ts'

type FactKind = 'number' | 'path' | 'address' | 'name' | 'term'

/** One fact of a staff reply; `key` is what matching compares. */
export interface Fact {
  kind: FactKind
  text: string
  key: string
  /**
   * A name or term the customer wrote too: their topic. It counts only when the sources lack it (the agent
   * answered about something the KB never mentions: "DNSSEC is not available"), never for the KB.
   */
  echo?: boolean
}

/** A fact with where it was found. */
export interface CheckedFact extends Fact {
  inSources: boolean
  inDraft: boolean
}

/** Share of the facts' weight the sources must hold more than for the ticket to count as answerable. */
const ANSWERABLE_SHARE = 0.5
/** Share of the strong facts the draft must hold to count as usable. */
const USABLE_SHARE = 0.5

const UNITS =
  /^(?:%|seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|business|weeks?|months?|years?|yrs?|kb|mb|gb|tb|k|m|g|ms|gb\/s|mbit|cores?|vcpus?|ram|inodes?|messages?|recipients?|websites?|sites?|accounts?|characters?|digits?|mailbox(?:es)?|processes|connections|times|per|usd|eur|gbp|dollars?|euros?|€|\$|£)$/i
// A number not inside a word, an address or a fraction ("s14", "ns1", "24/7").
const NUMBER =
  /(?<![\p{L}\p{N}.,/-])([$€£])?\s?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)(?![\p{N}]|\/\d)(?:\s?(%|€|[a-z]+(?:\/[a-z]+)?))?/giu
const URL = /\bhttps?:\/\/[^\s<>"')\]]+/giu
const EMAIL = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/giu
const HOST =
  /\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|net|org|info|biz|io|co|uk|de|fr|es|it|nl|eu|us|ca|au|app|dev|shop|site|online|store|xyz|me|tv|pl|ru|ch|at|be)\b/giu
const ARROW = /\s*(?:→|->|»|>)\s*/u
// An upper-case letter after the first one, and a lower-case one: cPanel, AutoSSL, JetBackup, FileZilla.
const MIXED_CASE = /^(?=.*[a-z])[A-Za-z][A-Za-z0-9.+-]*[A-Z][A-Za-z0-9.+-]*$/
const ACRONYM = /^[A-Z][A-Z0-9]{1,9}$/
// Words that join a capitalised name ("Push to Live", "Terms of Service").
const JOINERS = new Set(['to', 'of', 'for', 'the', 'a', 'in', 'on', 'with'])
// Words that open an instruction before a menu path ("Open cPanel → …"), never part of its first segment.
const LEADS = new Set([
  'Open',
  'Go',
  'Click',
  'Choose',
  'Select',
  'Visit',
  'Use',
  'Under',
  'In',
  'From',
  'Then',
  'Log',
])
// Capitalised words that start a name run yet are ordinary (pronouns, greetings, weekdays, months).
const NOT_NAMES = new Set(
  'I Hi Hello Dear Thanks Thank Please Yes No OK Ok The A An If You Your We Our It This That Then Once When Also Just Sorry Cheers Best Regards Kind Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August September October November December'.split(
    ' ',
  ),
)

const stems = (text: string) => words(text).map(stem)

/**
 * A number's comparable form: "1,000" → "1000", "13,95" → "13.95", "8.30" stays "8.30".
 * @internal
 */
export function numberKey(raw: string): string {
  if (/^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(raw)) return raw.replace(/,/g, '')
  return raw.replace(',', '.')
}

interface FoundNumber {
  key: string
  text: string
  /** It carried a unit, a currency or a percent. */
  marked: boolean
  /** The unit, canonical ({@link unitKey}): "5 weeks" and "5 days" are not one number. */
  unit: string
}

const UNIT_ALIASES: Record<string, string> = {
  h: 'hour',
  hr: 'hour',
  hrs: 'hour',
  min: 'minute',
  mins: 'minute',
  sec: 'second',
  secs: 'second',
  s: 'second',
  yr: 'year',
  yrs: 'year',
  $: 'usd',
  dollar: 'usd',
  '€': 'eur',
  euro: 'eur',
  '£': 'gbp',
}

/** A unit's canonical form: lower case, singular, abbreviations and currency signs spelt out. */
function unitKey(unit: string): string {
  const u = unit.toLowerCase()
  const singular = u.length > 3 && u.endsWith('s') && !u.endsWith('ss') ? u.slice(0, -1) : u
  return UNIT_ALIASES[singular] ?? UNIT_ALIASES[u] ?? singular
}

/** The numbers of a text, as {@link numberKey}s. */
function numbersOf(text: string): FoundNumber[] {
  const out: FoundNumber[] = []
  for (const m of text.matchAll(NUMBER)) {
    const [whole, currency, digits, unit] = m
    const key = numberKey(digits!)
    const hasUnit = unit !== undefined && UNITS.test(unit)
    out.push({
      key,
      text: hasUnit ? whole.trim() : `${currency ?? ''}${digits}`,
      marked: Boolean(currency) || hasUnit,
      unit: currency ? unitKey(currency) : hasUnit ? unitKey(unit!) : '',
    })
  }
  return out
}

/** The menu paths of a text: each a list of segments ("cPanel", "Files", "JetBackup 5"). */
function pathsOf(text: string): string[][] {
  const out: string[][] = []
  for (const line of text.split(/\n/)) {
    const parts = line.split(ARROW)
    if (parts.length < 2) continue
    // A path runs from the name before its first arrow to the name after its last; a segment with sentence
    // punctuation in it ends one path (its leading name) and may start the next (its trailing name).
    let run = [trailingName(parts[0]!)]
    const flush = () => {
      const segments = run.filter((s) => s !== '')
      if (segments.length >= 2 && segments.every((s) => s.length <= 60)) out.push(segments)
      run = []
    }
    for (let i = 1; i < parts.length; i++) {
      const part = parts[i]!
      if (i === parts.length - 1) {
        run.push(leadingName(part))
        flush()
      } else if (/[.,;:!?()]/.test(part)) {
        run.push(leadingName(part))
        flush()
        run = [trailingName(part)]
      } else run.push(part.trim())
    }
  }
  return out
}

/** The name a segment ends with: the capitalised (or mixed-case) words after the last punctuation. */
function trailingName(text: string): string {
  const tail = text.split(/[.,;:!?(]\s*/).at(-1) ?? ''
  const tokens = tail.trim().split(/\s+/)
  const kept: string[] = []
  for (let i = tokens.length - 1; i >= 0 && kept.length < 4; i--) {
    const t = tokens[i]!
    if (/^[A-Z0-9]/.test(t) || MIXED_CASE.test(t) || (kept.length > 0 && JOINERS.has(t))) kept.unshift(t)
    else break
  }
  while (kept.length > 0 && (JOINERS.has(kept[0]!) || LEADS.has(kept[0]!))) kept.shift()
  return kept.join(' ')
}

/** The name a segment starts with: up to the first punctuation, at most five words. */
function leadingName(text: string): string {
  const head = (text.split(/[.,;:!?()]/)[0] ?? '').trim()
  const tokens = head.split(/\s+/).slice(0, 5)
  // "File Backups, pick the date" → "File Backups"; "Manage and then Authorize" stays a phrase.
  const kept: string[] = []
  for (const t of tokens) {
    if (kept.length === 0 || /^[A-Z0-9"]/.test(t) || MIXED_CASE.test(t) || JOINERS.has(t)) kept.push(t)
    else break
  }
  while (kept.length > 0 && JOINERS.has(kept.at(-1)!)) kept.pop()
  return kept.join(' ').replace(/^"|"$/g, '')
}

/** Candidate names of a text: mixed-case words, acronyms, capitalised runs inside sentences, quoted options. */
export function nameCandidates(text: string): string[] {
  const out = new Set<string>()
  for (const q of text.matchAll(/"([^"\n]{2,60})"|“([^”\n]{2,60})”/gu)) out.add((q[1] ?? q[2])!.trim())
  for (const sentence of text.split(/(?<=[.!?])\s+|\n+/u)) {
    // Punctuation breaks a run ("Frankfurt, Germany" is two names), so it stays a token of its own.
    const tokens =
      sentence
        .replace(/['’]s\b/gu, '')
        .match(/[\p{L}\p{N}][\p{L}\p{N}.+/&'-]*[\p{L}\p{N}+]|[\p{L}\p{N}&]|[^\s\p{L}\p{N}]/gu) ?? []
    let run: string[] = []
    const flush = () => {
      while (run.length > 0 && JOINERS.has(run.at(-1)!)) run.pop()
      const single = run.length === 1 ? run[0]! : null
      if (run.length >= 2 || (single && (MIXED_CASE.test(single) || ACRONYM.test(single))))
        out.add(run.join(' '))
      run = []
    }
    let words = 0
    for (const t of tokens) {
      if (!/[\p{L}\p{N}]/u.test(t)) {
        flush()
        continue
      }
      const capital = /^[A-Z]/.test(t) || MIXED_CASE.test(t)
      // The sentence's first word is capitalised by grammar, not because it is a name.
      const sentenceStart = words++ === 0 && !MIXED_CASE.test(t) && !ACRONYM.test(t)
      if (capital && !sentenceStart && !NOT_NAMES.has(t)) run.push(t)
      else if (run.length > 0 && JOINERS.has(t)) run.push(t)
      else flush()
    }
    flush()
  }
  return [...out].filter((n) => /[A-Za-z]/.test(n) && n.length <= 60)
}

/** What {@link extractFacts} needs besides the reply. */
export interface FactContext {
  /** The customer's question: numbers and addresses echoed from it are not facts. */
  question: string
  /** The reply's lexemes (Postgres english, `to_tsvector`), for terms; empty for a non-English reply. */
  replyLexemes?: readonly string[]
  /** Whether the reply is in English: terms, and names the KB does not spell, count only then. */
  english: boolean
  /** Of {@link nameCandidates}, those the tenant's KB spells somewhere. */
  kbSpells?: ReadonlySet<string>
  /** The Postgres lexemes of each name candidate, to tell a specific name from everyday words. */
  nameLexemes?: ReadonlyMap<string, readonly string[]>
  /** The question's lexemes: a name or term the customer wrote is their topic, not the agent's answer. */
  questionLexemes?: readonly string[]
  /**
   * Names and lexemes so common in the tenant's KB (over {@link GENERIC_SHARE} of its chunks) that finding
   * them says nothing ("cPanel" in a cPanel host's KB).
   */
  generic?: ReadonlySet<string>
}

/** Share of the KB's chunks above which a name or term is too common to be a fact. */
export const GENERIC_SHARE = 0.15

/** The facts of a staff reply's core; see the module comment for the rules. */
export function extractFacts(core: string, ctx: FactContext): Fact[] {
  const facts = new Map<string, Fact>()
  const add = (f: Fact) => {
    const id = `${f.kind}:${f.key}`
    if (f.key !== '' && !facts.has(id)) facts.set(id, f)
  }
  const asked = fold(ctx.question)
  const askedNumbers = new Set(numbersOf(ctx.question).map((n) => `${n.key}${n.unit}`))
  const askedLexemes = new Set(ctx.questionLexemes ?? [])
  const askedStems = new Set(stems(ctx.question))
  const generic = ctx.generic ?? new Set<string>()
  let rest = core
  // An address on a domain the customer named (their site, their mailbox) is theirs, not the KB's.
  const echoedAddress = (text: string) => {
    const domains = fold(text).match(HOST) ?? []
    return asked.includes(fold(text)) || domains.some((d) => asked.includes(d.split('.').slice(-2).join('.')))
  }
  for (const re of [URL, EMAIL]) {
    for (const m of core.matchAll(re)) {
      const text = m[0].replace(/[.,;:]+$/, '')
      if (!echoedAddress(text)) add({ kind: 'address', text, key: fold(text) })
      rest = rest.replace(m[0], ' ')
    }
  }
  for (const m of rest.matchAll(HOST)) {
    if (!echoedAddress(m[0])) add({ kind: 'address', text: m[0], key: fold(m[0]) })
  }
  for (const path of pathsOf(core))
    add({ kind: 'path', text: path.join(' → '), key: path.map(fold).join('>') })
  for (const n of numbersOf(rest.replace(HOST, ' '))) {
    if (askedNumbers.has(`${n.key}${n.unit}`)) continue
    if (n.marked || n.key.replace('.', '').length >= 2) {
      add({ kind: 'number', text: n.text, key: n.unit ? `${n.key}@${n.unit}` : n.key })
    }
  }
  const named = new Set<string>()
  for (const name of nameCandidates(core)) {
    const lexemes = ctx.nameLexemes?.get(name) ?? stems(name)
    for (const l of lexemes) named.add(l)
    const echo = stems(name).every((s) => askedStems.has(s)) || lexemes.every((l) => askedLexemes.has(l))
    if (generic.has(name)) continue
    const specific =
      ctx.english && lexemes.some((l) => /^\p{L}/u.test(l) && !STOP_WORDS.has(l) && isSpecificTerm(l))
    if (ctx.kbSpells?.has(name) || specific) {
      add({ kind: 'name', text: name, key: stems(name).join(' '), ...(echo ? { echo } : {}) })
    }
  }
  for (const lexeme of ctx.english ? (ctx.replyLexemes ?? []) : []) {
    // A term a name already carries, or one every other chunk has, adds nothing.
    if (named.has(lexeme) || generic.has(lexeme) || lexeme.length < 3) continue
    if (isSpecificTerm(lexeme) && /^\p{L}[\p{L}\p{N}.-]+$/u.test(lexeme)) {
      add({ kind: 'term', text: lexeme, key: lexeme, ...(askedLexemes.has(lexeme) ? { echo: true } : {}) })
    }
  }
  return [...facts.values()]
}

/** A text prepared for matching: its numbers, its stem sequence and (for terms) its lexemes. */
export interface MatchText {
  /** Each number bare, and with its unit (`24@hour`). */
  numbers: Set<string>
  stems: string
  lexemes: Set<string>
  folded: string
}

/** Prepares `text` (with its Postgres lexemes, when terms are to be matched) for {@link factFound}. */
export function matchText(text: string, lexemes: readonly string[] = []): MatchText {
  return {
    numbers: new Set(numbersOf(text).flatMap((n) => (n.unit ? [n.key, `${n.key}@${n.unit}`] : [n.key]))),
    stems: ` ${stems(text).join(' ')} `,
    lexemes: new Set(lexemes),
    folded: fold(text),
  }
}

/**
 * Whether `text` holds `fact` (see the module comment).
 * @internal
 */
export function factFound(fact: Fact, text: MatchText): boolean {
  switch (fact.kind) {
    case 'number':
      return text.numbers.has(fact.key)
    case 'term':
      return text.lexemes.has(fact.key)
    case 'address':
      return text.folded.includes(fact.key)
    case 'path': {
      // The first segment may carry a word of the sentence before it ("Sie cPanel"): the destination and
      // most of the way must be there.
      const found = fact.key.split('>').map((seg) => text.stems.includes(` ${stems(seg).join(' ')} `))
      return found.at(-1)! && found.filter(Boolean).length * 2 >= found.length
    }
    case 'name':
      return text.stems.includes(` ${fact.key} `)
  }
}

// A menu path is a whole procedure; a term alone is a hint.
const weightOf = (f: Fact) => (f.kind === 'path' ? 2 : f.kind === 'term' ? 0.5 : 1)

/** Everything the labels of one sample depend on. */
export interface LabelInput {
  facts: readonly Fact[]
  /** The shown sources the draft was built from, together. */
  sources: MatchText
  draft: MatchText
  /** The sent-reply comparison of the draft with the staff reply (shared/review/sent-reply.ts). */
  sentOutcome: 'sent_as_drafted' | 'sent_edited' | 'replaced'
  /** The drafter said its sources do not answer the question. */
  noAnswer: boolean
}

/** The labels of one sample, with each fact and where it was found. */
export interface Labels {
  answerable: boolean | null
  usable: boolean | null
  facts: CheckedFact[]
}

/** Labels one sample; see the module comment for the rules. */
export function labelSample(input: LabelInput): Labels {
  const facts: CheckedFact[] = input.facts
    .map((f) => ({ ...f, inSources: factFound(f, input.sources), inDraft: factFound(f, input.draft) }))
    .filter((f) => !(f.echo && f.inSources))
  const total = facts.reduce((s, f) => s + weightOf(f), 0)
  const sent = input.sentOutcome !== 'replaced' && !input.noAnswer
  // One term alone is too little to judge by.
  if (total < 1) return { answerable: null, usable: sent ? true : null, facts }
  const held = facts.filter((f) => f.inSources).reduce((s, f) => s + weightOf(f), 0)
  const answerable = held / total > ANSWERABLE_SHARE
  const strong = facts.filter((f) => f.kind !== 'term')
  const judged = strong.length > 0 ? strong : facts
  const weight = judged.reduce((s, f) => s + weightOf(f), 0)
  const inDraft = judged.filter((f) => f.inDraft && f.inSources).reduce((s, f) => s + weightOf(f), 0) / weight
  const usable = sent || (!input.noAnswer && answerable && inDraft >= USABLE_SHARE)
  return { answerable, usable, facts }
}
