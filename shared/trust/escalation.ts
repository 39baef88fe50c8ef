/**
 * Escalation is decided by code, never by the LLM: ticket text cannot talk its way out of it.
 *
 * Rules are keyword patterns per category in English, Russian, German and Spanish. A pattern is a tiny,
 * safe language rather than a raw regex, so tenant-provided keywords cannot inject regex syntax or
 * catastrophic backtracking:
 *
 * - matching is case-insensitive and on folded text (see {@link foldText}: `ё` → `е`, Latin accents
 *   dropped), so `Rückerstattung`, `ruckerstattung` and `RÜCKERSTATTUNG` are one keyword;
 * - a word ending in `*` is a stem and matches any continuation (`возврат*` → возврата, возвратом);
 *   otherwise the word must match whole;
 * - word boundaries are Unicode-aware (`\b` in JS only knows ASCII, so `\bсуд\b` never matches);
 * - a phrase of several words allows up to two filler words between them, so `верн* деньг*` matches
 *   "верните мне, пожалуйста, деньги".
 */
import * as z from 'zod'
import { foldText } from '../text/fold.ts'
import { LANGUAGE_NAMES, type Language } from '../text/language-names.ts'

/**
 * Categories that ship with defaults. Tenants may add their own category names.
 * @internal
 */
export type DefaultEscalationCategory = 'refund' | 'chargeback' | 'legal' | 'gdpr' | 'abuse' | 'security'

/**
 * Default rules. Stems are chosen so they do not swallow everyday words: Russian `суд` is listed by
 * its case forms because `суд*` would also match судно (ship) and судьба (fate), `иск` likewise because
 * `иск*` matches искать (to search); German `gericht` is whole-word because `gerichtet` means "directed".
 * "spam" alone is not abuse: "my mail goes to spam" is one of the most common hosting questions; and
 * "personal data" alone is not a GDPR request ("how do I update my personal data?"), deleting it is.
 * @internal
 */
export const defaultEscalationRules: Readonly<Record<DefaultEscalationCategory, readonly string[]>> = {
  refund: [
    // en
    'refund*',
    'reimburs*',
    'money back',
    'return* my money',
    // ru
    'возврат*',
    'возвращ* деньг*',
    'возвращ* средств*',
    'верн* деньг*',
    'верн* средств*',
    'компенсац*',
    'рефанд*',
    // de
    'ruckerstatt*',
    'rueckerstatt*',
    'zuruckerstatt*',
    'zurueckerstatt*',
    'erstattung*',
    'erstatten',
    'geld zuruck',
    'geld zurueck',
    'ruckzahlung*',
    'rueckzahlung*',
    // es
    'reembols*',
    'devolucion*',
    'devolv* dinero',
    'devuelv* dinero',
    'reintegro*',
    // fr
    'rembours*',
  ],
  chargeback: [
    'chargeback*',
    'charge back',
    'dispute* charge*',
    'dispute* payment*',
    'dispute* transaction*',
    'чарджбек*',
    'чарджбэк*',
    'оспор* платеж*',
    'оспор* транзакц*',
    'опротест* платеж*',
    'ruckbuchung*',
    'rueckbuchung*',
    'rucklastschrift*',
    'ruecklastschrift*',
    'contracargo*',
    'disput* cargo*',
    // fr: "faire opposition" (à un prélèvement) is the French chargeback
    'fais opposition',
    'faire opposition',
    'ferai opposition',
  ],
  legal: [
    'lawsuit*',
    'sue',
    'sued',
    'suing',
    'lawyer*',
    'attorney*',
    'solicitor*',
    'legal action*',
    'legal steps',
    'court',
    'litigation',
    'суд',
    'суда',
    'суде',
    'суду',
    'судом',
    'судебн*',
    'засуд*',
    'иск',
    'иска',
    'иске',
    'иском',
    'иски',
    'исков*',
    'юрист*',
    'юридическ*',
    'адвокат*',
    'претензи*',
    'прокуратур*',
    'anwalt*',
    'rechtsanwalt*',
    'klage*',
    'verklag*',
    'gericht',
    'gerichtlich*',
    'gerichts*',
    'rechtlich* schritt*',
    'abmahnung*',
    'abogad*',
    'demanda*',
    'demandar*',
    'tribunal*',
    'accion* legal*',
    'denuncia*',
  ],
  gdpr: [
    'gdpr',
    'dsgvo',
    'rgpd',
    'right to be forgotten',
    'delete* my data',
    'delete* my personal data',
    'erase* my data',
    'remove* my data',
    'data deletion',
    'удал* мои* данн*',
    'удал* персональн* данн*',
    'loesch* meine* daten',
    'losch* meine* daten',
    'datenloschung*',
    'datenloeschung*',
    'borr* mis datos',
    'elimin* mis datos',
    'derecho al olvido',
    'proteccion de datos',
  ],
  abuse: [
    'abuse*',
    'abusive',
    'brute force*',
    'bruteforc*',
    'брутфорс*',
    'подбор* парол*',
    'spam complaint*',
    'phishing',
    'ddos*',
    'dmca',
    'copyright infringement*',
    'абуз*',
    'жалоб* на спам',
    'фишинг*',
    'ддос*',
    'нарушени* авторск* прав*',
    'missbrauch*',
    'spambeschwerde*',
    'spam beschwerde*',
    'urheberrechtsverletzung*',
    'abuso*',
    'denuncia de spam',
    'infraccion de derechos de autor',
  ],
  security: [
    'hacked',
    'hacker*',
    'hacking',
    'breach*',
    'malware*',
    'ransomware*',
    'virus*',
    'backdoor*',
    'compromised',
    'data leak*',
    'unauthorized access',
    'unauthorised access',
    'defaced',
    'взлом*',
    'хакер*',
    'вирус*',
    'вредонос*',
    'утечк* данн*',
    'несанкционированн* доступ*',
    'gehackt',
    'sicherheitsluck*',
    'sicherheitsluecke*',
    'datenleck*',
    'datenpanne*',
    'schadsoftware*',
    'kompromittiert*',
    'hackead*',
    'hackeo*',
    'jaquead*',
    'brecha de seguridad',
    'filtracion de datos',
    'intrusion*',
  ],
}

/**
 * Escalation settings a tenant can keep in its settings JSON.
 * `extraKeywords` adds patterns to a default category or defines a new one; `disabledCategories`
 * switches a category off (defaults and extras alike); `threshold` overrides the low-retrieval threshold.
 * Limits keep a hostile or careless settings document from building a huge rule set.
 */
export const tenantEscalationRulesSchema = z.object({
  extraKeywords: z
    .record(
      z
        .string()
        .min(1)
        .max(64)
        .regex(/^[a-z][a-z0-9_]*$/, 'category names are lower_snake_case'),
      z.array(z.string().trim().min(1).max(120)).max(200),
    )
    .optional(),
  disabledCategories: z.array(z.string().min(1).max(64)).max(50).optional(),
  threshold: z.number().min(0).max(1).optional(),
})

/** Parsed tenant escalation settings. */
export type TenantEscalationRules = z.infer<typeof tenantEscalationRulesSchema>

/** One compiled keyword pattern. */
interface CompiledRule {
  category: string
  keyword: string
  regex: RegExp
}

// Letters/digits of any script. A "word boundary" is a position not flanked by one of these.
const WORD = '[\\p{L}\\p{N}]'
const NON_WORD = '[^\\p{L}\\p{N}]'
// Between phrase words: separators, then at most two filler words. The classes are disjoint, so the
// regex engine never has two ways to match the same input (no catastrophic backtracking).
const PHRASE_GAP = `${NON_WORD}+(?:${WORD}+${NON_WORD}+){0,2}`

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * Compiles one keyword pattern to a Unicode regex. Returns null for a pattern with no letters or digits
 * (it would match everywhere). Any regex metacharacter in the keyword is matched literally, except the
 * stem marker `*` at the end of a word. There are no optional letters: list spelling variants separately.
 */
export function compileKeyword(keyword: string): RegExp | null {
  const parts = foldText(keyword)
    .split(/[^\p{L}\p{N}*]+/u)
    .filter((p) => /[\p{L}\p{N}]/u.test(p))
  if (parts.length === 0) return null
  const body = parts
    .map((part) => {
      const isStem = part.endsWith('*')
      const literal = escapeRegex(part.replace(/\*/g, ''))
      return isStem ? `${literal}${WORD}*` : literal
    })
    .join(PHRASE_GAP)
  return new RegExp(`(?<!${WORD})${body}(?!${WORD})`, 'u')
}

/**
 * Merges the defaults with a tenant's rules and compiles them. Disabled categories are dropped after
 * merging, so a tenant can silence a default category even if it also listed extra keywords for it.
 */
function compileEscalationRules(tenantRules?: TenantEscalationRules): CompiledRule[] {
  const merged = new Map<string, string[]>()
  for (const [category, keywords] of Object.entries(defaultEscalationRules)) {
    merged.set(category, [...keywords])
  }
  for (const [category, keywords] of Object.entries(tenantRules?.extraKeywords ?? {})) {
    merged.set(category, [...(merged.get(category) ?? []), ...keywords])
  }
  const disabled = new Set(tenantRules?.disabledCategories ?? [])
  const compiled: CompiledRule[] = []
  for (const [category, keywords] of merged) {
    if (disabled.has(category)) continue
    for (const keyword of new Set(keywords)) {
      const regex = compileKeyword(keyword)
      if (regex) compiled.push({ category, keyword, regex })
    }
  }
  return compiled
}

// Compiling ~250 regexes per draft is cheap but pointless; the default set never changes.
let defaultCompiled: CompiledRule[] | undefined

function rulesFor(tenantRules?: TenantEscalationRules): CompiledRule[] {
  if (tenantRules === undefined) {
    defaultCompiled ??= compileEscalationRules()
    return defaultCompiled
  }
  return compileEscalationRules(tenantRules)
}

/** Reasons of a draft's account facts (shared/trust/account.ts). */
type AccountCode = 'account_fraud' | 'account_collections'

/** Why a ticket was escalated. */
export interface EscalationReason {
  code: 'keyword' | 'low_retrieval' | 'no_answer' | 'language_mismatch' | 'urgent_priority' | AccountCode
  /** Keyword category (`refund`, `legal`, ...) for `keyword` reasons. */
  category?: string
  /** The matched text (folded: lower-case, accents dropped) for `keyword` reasons. */
  match?: string
  /** Human-readable explanation for agents and the audit log. */
  detail: string
}

/** Outcome of {@link evaluateEscalation}. */
export interface EscalationResult {
  escalate: boolean
  reasons: EscalationReason[]
}

/** Input of {@link evaluateEscalation}. */
export interface EscalationInput {
  subject: string
  /** Customer text: the latest message, optionally with earlier customer messages. */
  text: string
  priority?: string | null
  /** Best reranked retrieval score (0..1); null or undefined when nothing was retrieved. */
  bestRetrievalScore?: number | null
  /** Low-retrieval threshold; a tenant's `threshold` wins over it. Default 0.5. */
  threshold?: number
  /** Knowledge coverage of the question by the best passages (shared/trust/coverage.ts), 0..1. */
  coverage?: number | null
  /** Coverage below which the ticket escalates for low retrieval; 0 or unset turns the check off. */
  minCoverage?: number
  /**
   * Specific terms the question asks about that the best passages never mention
   * (shared/trust/unmentioned.ts); any escalates for low retrieval.
   */
  unmentioned?: readonly string[]
  /**
   * Set when the drafter cannot translate (the built-in one quotes) and its sources are in another language
   * than the customer's: the draft would answer in the wrong language, so a person must write or translate it.
   */
  untranslatedSources?: { customer: Language; sources: Language } | null
  /** The drafter said the sources do not answer the question (NO_ANSWER_MARKER, shared/drafts/prompt.ts). */
  noAnswer?: boolean
  tenantRules?: TenantEscalationRules
}

/** Default low-retrieval threshold (seed: "Low KB score < 0.5"). */
const DEFAULT_ESCALATION_THRESHOLD = 0.5

/**
 * Decides whether a ticket must be escalated, and why.
 *
 * Keywords are searched in the subject and the text; one reason per matched category (its first match),
 * in rule order. A missing or below-threshold best retrieval score escalates because the knowledge base
 * cannot back the draft. Urgent priority escalates so a human looks first. Nothing in the text can turn a
 * rule off: the function only ever adds reasons.
 */
export function evaluateEscalation(input: EscalationInput): EscalationResult {
  const reasons: EscalationReason[] = []
  const haystack = foldText(`${input.subject}\n${input.text}`)

  const seen = new Set<string>()
  for (const rule of rulesFor(input.tenantRules)) {
    if (seen.has(rule.category)) continue
    const match = rule.regex.exec(haystack)
    if (!match) continue
    seen.add(rule.category)
    reasons.push({
      code: 'keyword',
      category: rule.category,
      match: match[0],
      detail: `Matched ${rule.category} keyword "${rule.keyword}" ("${match[0]}")`,
    })
  }

  const threshold = input.tenantRules?.threshold ?? input.threshold ?? DEFAULT_ESCALATION_THRESHOLD
  // Named in the reason, so the agent sees what the sources do not cover.
  const unmentioned = input.unmentioned?.map((t) => `"${t}"`).join(', ')
  const best = input.bestRetrievalScore
  if (best === null || best === undefined || Number.isNaN(best)) {
    reasons.push({ code: 'low_retrieval', detail: 'No knowledge source was retrieved for this question' })
  } else if (best < threshold) {
    reasons.push({
      code: 'low_retrieval',
      detail: `Best retrieval score ${best.toFixed(3)} is below the threshold ${threshold}`,
    })
  } else if (input.minCoverage && typeof input.coverage === 'number' && input.coverage < input.minCoverage) {
    // Similar passages that never mention what the question is specifically about do not answer it.
    reasons.push({
      code: 'low_retrieval',
      detail:
        `Knowledge coverage ${input.coverage.toFixed(3)} is below the threshold ${input.minCoverage}: the best sources miss most of the question's distinctive terms` +
        (unmentioned ? `, among them ${unmentioned}` : ''),
    })
  } else if (unmentioned) {
    // The sources talk about the topic but not about the thing asked: they cannot say yes or no to it.
    reasons.push({
      code: 'low_retrieval',
      detail: `The question asks about ${unmentioned}, which the best sources never mention`,
    })
  }

  if (input.noAnswer) {
    reasons.push({
      code: 'no_answer',
      detail: 'The drafter found no answer to the question in the knowledge sources',
    })
  }

  const foreign = input.untranslatedSources
  if (foreign && foreign.customer !== foreign.sources) {
    reasons.push({
      code: 'language_mismatch',
      detail: `The customer wrote in ${LANGUAGE_NAMES[foreign.customer]} and the sources are in ${LANGUAGE_NAMES[foreign.sources]}, which the drafter cannot translate`,
    })
  }

  if (input.priority?.trim().toLowerCase() === 'urgent') {
    reasons.push({ code: 'urgent_priority', detail: 'Ticket priority is urgent' })
  }

  return { escalate: reasons.length > 0, reasons }
}
