/**
 * Customer PII masking before text reaches a prompt, and before approved replies are indexed for
 * retrieval, where another customer's ticket could otherwise surface them.
 *
 * Detection runs every detector on the original text and claims non-overlapping spans in priority
 * order: secrets first (a password can look like anything), then e-mails, IBANs, cards, IPs, phones.
 * Phones come last because their pattern is the loosest: card numbers and IPs would otherwise be eaten
 * as phone numbers. IPs are always detected, even when not masked, for the same reason.
 */

/** Kinds of masked values; each becomes a `[KIND_n]` placeholder. */
type PiiKind = 'EMAIL' | 'PHONE' | 'CARD' | 'IBAN' | 'SECRET' | 'IP'

/** Kinds that may be restored into a draft. Cards and secrets never are. */
type RestorableKind = Exclude<PiiKind, 'CARD' | 'SECRET'>

/** Placeholder → original text. */
export type PiiVault = Map<string, string>

/** Result of {@link maskPii}. */
export interface MaskResult {
  masked: string
  vault: PiiVault
}

/** Options of {@link maskPii}. */
export interface MaskOptions {
  /** Mask IPv4 addresses too. Off by default: server IPs are operational data agents and the model need. */
  maskIps?: boolean
  /**
   * Continue an existing vault, so the subject, the message and the thread of one ticket share
   * placeholders (the same e-mail is `[EMAIL_1]` everywhere).
   */
  vault?: PiiVault
}

interface Span {
  start: number
  end: number
  kind: PiiKind
  /** False for spans detected only to protect them from looser detectors (IPs when not masked). */
  mask: boolean
}

type Detector = (text: string) => Array<Omit<Span, 'mask'> & { mask?: boolean }>

// "password: x", "пароль от панели = x", "pass=x". Up to three words may sit between the label and the
// separator ("Password for cPanel: x"). Only ":" and "=" count as separators: "my password is not
// working" is a question, not a secret.
const SECRET_RE =
  /(?<![\p{L}\p{N}])(?:password|passwort|passwd|pass|pwd|пароль|пароля|паролем|kennwort|contraseña|contrasena|clave|api[ _-]?key|token|secret)(?:[ \t]+[\p{L}\p{N}]+){0,3}[ \t]*[:=][ \t]*(?<value>"[^"\n]+"|'[^'\n]+'|\S+)/giu
const EMAIL_RE = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu
// Two letters, two check digits, then 11..30 alphanumerics in groups (spaces optional). Upper-case only:
// case-insensitive matching would run on into the following words.
const IBAN_RE = /(?<![\p{L}\p{N}])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}(?![\p{L}\p{N}])/gu
// 13..19 digits, optionally grouped by single spaces or dashes.
const CARD_RE = /(?<![\p{N}-])\d(?:[ -]?\d){12,18}(?![\p{N}])/gu
const IPV4_RE =
  /(?<![\p{N}.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\p{N}.])/gu
// Optional + or 00, digits with spaces, dots, dashes, brackets. Validated further in code.
const PHONE_RE = /(?<![\p{L}\p{N}+])(?:\+|00)?\(?\d[\d ().-]{5,22}\d(?![\p{L}\p{N}])/gu

function luhnValid(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

function ibanValid(compact: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false
  const rearranged = compact.slice(4) + compact.slice(0, 4)
  let remainder = 0
  for (const ch of rearranged) {
    const value = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55)
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97
  }
  return remainder === 1
}

function looksLikePhone(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '')
  // E.164 allows at most 15 digits; fewer than 7 is an order number, a port or a year.
  if (digits.length < 7 || digits.length > 15) return false
  // Dates (2024-01-15, 15.01.2024) and version strings are not phones.
  if (/^\d{4}[-./]\d{1,2}[-./]\d{1,2}$/.test(candidate)) return false
  if (/^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/.test(candidate)) return false
  const international = /^(?:\+|00)/.test(candidate)
  const grouped = /[ ().-]/.test(candidate)
  // A bare run of digits is only a phone when it is long enough to be a full national number.
  return international || grouped || digits.length >= 10
}

const detectors: readonly Detector[] = [
  (text) =>
    [...text.matchAll(new RegExp(SECRET_RE.source, 'giud'))].flatMap((m) => {
      const range = m.indices?.groups?.value
      if (!range) return []
      // A trailing comma, semicolon or full stop almost always ends the sentence, not the password;
      // at worst one character of a secret stays visible, which is better than a mangled sentence.
      const trailing = /[,;.]$/.test(m.groups?.value ?? '') && !/^["']/.test(m.groups?.value ?? '') ? 1 : 0
      return [{ start: range[0], end: range[1] - trailing, kind: 'SECRET' as const }]
    }),
  (text) =>
    [...text.matchAll(EMAIL_RE)].map((m) => ({ start: m.index, end: m.index + m[0].length, kind: 'EMAIL' })),
  (text) =>
    [...text.matchAll(IBAN_RE)].flatMap((m) => {
      // The greedy match may run into a following upper-case token; keep the longest valid prefix.
      const groups = m[0].split(' ')
      for (let n = groups.length; n > 0; n--) {
        const candidate = groups.slice(0, n).join(' ')
        if (ibanValid(candidate.replace(/ /g, ''))) {
          return [{ start: m.index, end: m.index + candidate.length, kind: 'IBAN' as const }]
        }
      }
      return []
    }),
  (text) =>
    [...text.matchAll(CARD_RE)]
      .filter((m) => luhnValid(m[0].replace(/\D/g, '')))
      .map((m) => ({ start: m.index, end: m.index + m[0].length, kind: 'CARD' })),
  (text) =>
    [...text.matchAll(IPV4_RE)].map((m) => ({ start: m.index, end: m.index + m[0].length, kind: 'IP' })),
  (text) =>
    [...text.matchAll(PHONE_RE)]
      .map((m) => {
        // The pattern may swallow a trailing ")" or "." that belongs to the sentence.
        const raw = m[0].replace(/[ .(-]+$/, '')
        const balanced = raw.endsWith(')') && !raw.includes('(') ? raw.slice(0, -1) : raw
        return { start: m.index, end: m.index + balanced.length, text: balanced }
      })
      .filter((m) => looksLikePhone(m.text))
      .map((m) => ({ start: m.start, end: m.end, kind: 'PHONE' })),
]

/** Canonical form of a value, so the same value written twice gets the same placeholder. */
function canonical(kind: PiiKind, value: string): string {
  switch (kind) {
    case 'EMAIL':
      return value.toLowerCase()
    case 'PHONE':
    case 'CARD':
      return value.replace(/\D/g, '')
    case 'IBAN':
      return value.replace(/\s/g, '').toUpperCase()
    default:
      return value
  }
}

const PLACEHOLDER_RE = /\[(EMAIL|PHONE|CARD|IBAN|SECRET|IP)_(\d+)\]/gi

/**
 * Masks e-mails, phone numbers, Luhn-valid card numbers, IBANs, secrets written in text and, on request,
 * IPv4 addresses. Placeholders are `[EMAIL_1]`, `[PHONE_1]`, `[CARD_1]`, `[IBAN_1]`, `[SECRET_1]`,
 * `[IP_1]`, numbered per kind in order of appearance and stable for the same value. The secret's label
 * stays visible ("password: [SECRET_1]") so the model still understands the sentence.
 */
export function maskPii(text: string, options: MaskOptions = {}): MaskResult {
  const vault: PiiVault = options.vault ?? new Map()
  const byValue = new Map<string, string>()
  const counters = new Map<PiiKind, number>()
  for (const [placeholder, original] of vault) {
    const m = /^\[([A-Z]+)_(\d+)\]$/.exec(placeholder)
    if (!m) continue
    const kind = m[1] as PiiKind
    byValue.set(`${kind}:${canonical(kind, original)}`, placeholder)
    counters.set(kind, Math.max(counters.get(kind) ?? 0, Number(m[2])))
  }

  // Earlier detectors win. `spans` stays sorted and disjoint, so each detector's finds (in text order) are
  // checked against it in one pass: testing every find against every span was quadratic, seconds for a
  // long message of digit groups.
  let spans: Span[] = []
  for (const detect of detectors) {
    const accepted: Span[] = []
    let next = 0
    for (const found of detect(text).sort((a, b) => a.start - b.start)) {
      if (found.end <= found.start) continue
      while (next < spans.length && spans[next]!.end <= found.start) next++
      if (next < spans.length && spans[next]!.start < found.end) continue
      const mask = found.kind === 'IP' ? options.maskIps === true : true
      accepted.push({ start: found.start, end: found.end, kind: found.kind, mask })
    }
    spans = [...spans, ...accepted].sort((a, b) => a.start - b.start)
  }

  let masked = ''
  let cursor = 0
  for (const span of spans) {
    if (!span.mask) continue
    const original = text.slice(span.start, span.end)
    const key = `${span.kind}:${canonical(span.kind, original)}`
    let placeholder = byValue.get(key)
    if (!placeholder) {
      const n = (counters.get(span.kind) ?? 0) + 1
      counters.set(span.kind, n)
      placeholder = `[${span.kind}_${n}]`
      byValue.set(key, placeholder)
      vault.set(placeholder, original)
    }
    masked += text.slice(cursor, span.start) + placeholder
    cursor = span.end
  }
  masked += text.slice(cursor)
  return { masked, vault }
}

/** Options of {@link unmaskPii}. */
export interface UnmaskOptions {
  /** Kinds restored to their original value. Default: e-mails and phones, which refer to the customer. */
  restore?: readonly RestorableKind[]
}

function lastDigits(value: string, n = 4): string {
  return value.replace(/[^0-9A-Za-z]/g, '').slice(-n)
}

/**
 * Restores placeholders in a draft. Kinds in `restore` get their original value back. Cards and secrets
 * are never restored, whatever `restore` says: a card becomes "[card ending 4242]", a secret
 * "[redacted]", an IBAN not asked for "[account ending 1234]". Other placeholders, and any the vault does
 * not know (a model inventing `[EMAIL_9]`), are left as they are for the agent to see.
 */
export function unmaskPii(text: string, vault: PiiVault, options: UnmaskOptions = {}): string {
  const restore = new Set<string>(options.restore ?? ['EMAIL', 'PHONE'])
  return text.replace(PLACEHOLDER_RE, (whole, rawKind: string, n: string) => {
    const kind = rawKind.toUpperCase() as PiiKind
    const original = vault.get(`[${kind}_${n}]`)
    if (original === undefined) return whole
    switch (kind) {
      case 'CARD':
        return `[card ending ${lastDigits(original)}]`
      case 'SECRET':
        return '[redacted]'
      case 'IBAN':
        return restore.has(kind) ? original : `[account ending ${lastDigits(original)}]`
      default:
        return restore.has(kind) ? original : whole
    }
  })
}
