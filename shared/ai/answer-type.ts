/**
 * What kind of answer a question asks for, and whether a sentence contains one. The extractive drafter
 * uses it to prefer the sentence that answers ("4 to 24 hours, at most 48") over the one that merely talks
 * about the topic ("resolvers cache records"): "how long" wants a duration, "which port" a number, "how
 * much" a price, "how many" or "limit" a quantity. Patterns cover the languages Draftdesk detects most
 * (en, de, es, fr, ru); they run on lower-cased, accent-folded text.
 */

/** Answer kinds a question can ask for. */
export type AnswerKind = 'duration' | 'port' | 'price' | 'quantity'

// Latin accents only: decomposing Cyrillic й would turn it into и.
const fold = (text: string) =>
  text
    .normalize('NFD')
    .replace(/(\p{Script=Latin})\p{M}+/gu, '$1')
    .normalize('NFC')
    .toLowerCase()
    .replace(/ё/g, 'е')

// Question cues per kind, matched at a word start (JavaScript's \b only knows ASCII, so it never
// matches before Cyrillic); a cue may be a word's beginning, which absorbs Russian inflections.
const cue = (phrases: string) => new RegExp(`(?<![\\p{L}\\p{N}])(?:${phrases})`, 'u')
const ASKS: Record<AnswerKind, RegExp> = {
  duration: cue(
    'how long|how soon|how quickly|how many (?:hours|days|minutes|weeks)|when will|until when|turnaround|' +
      'wie lange|wann|cuanto tiempo|cuanto tarda|cuando|combien de temps|quand|delai|' +
      'сколько (?:времени|ждать|дней|часов)|как долго|когда',
  ),
  port: cue('port|puerto|porta|порт'),
  price: cue(
    'how much|cost|price|pricing|fee|charge|kostet|preis|cuanto cuesta|precio|combien coute|prix|tarif|' +
      'сколько стоит|цен|стоимост',
  ),
  quantity: cue(
    'how many|how big|maximum|max|limit|quota|wie viele|wie gross|cuantos|cuantas|limite|combien de|' +
      'сколько|лимит|максимум',
  ),
}

const DURATION_UNITS =
  'seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|business days?|' +
  'sekunden|minuten|stunden|tage[n]?|wochen|monate[n]?|segundos|minutos|horas|dias|semanas|meses|' +
  'secondes|heures|jours|semaines|mois|секунд\\p{L}*|минут\\p{L}*|час\\p{L}*|дн\\p{L}*|дня|день|недел\\p{L}*|месяц\\p{L}*'

// "4 to 24 hours", "48 hours", "24-48h", "one hour", "30 days".
const DURATION = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:\\d+(?:[.,]\\d+)?|one|two|three|four|five|six|seven|ten|twelve|a few|an?)\\s*(?:(?:-|–|to|bis|a|до)\\s*\\d+\\s*)?(?:${DURATION_UNITS})(?![\\p{L}])|\\b\\d+\\s*h\\b`,
  'u',
)
const PORT =
  /\bport\s*\d{2,5}\b|\b\d{2,5}\s*\((?:ssl|tls|starttls|imap|pop3|smtp|ssh|ftp)\b|\b(?:port|ports)\b.{0,40}\b\d{2,5}\b/u
// `(?<!\d)`: an amount starts where its digits do; otherwise a long run of digits with no currency after it
// is rescanned from each of its digits (quadratic).
const PRICE =
  /[$€£]\s?\d|(?<!\d)\d+(?:[.,]\d{1,2})?\s?(?:usd|eur|gbp|€|\$|£)|\bfree of charge\b|\bno charge\b/u
const QUANTITY = /\d/u

const CONTAINS: Record<AnswerKind, RegExp> = {
  duration: DURATION,
  port: PORT,
  price: PRICE,
  quantity: QUANTITY,
}

/** The answer kinds a question asks for (often none, sometimes several). */
export function askedKinds(question: string): AnswerKind[] {
  const q = fold(question)
  return (Object.keys(ASKS) as AnswerKind[]).filter((kind) => ASKS[kind].test(q))
}

/** Share (0..1) of the asked kinds that the sentence contains an answer of; 0 when none are asked. */
export function answersKinds(sentence: string, kinds: readonly AnswerKind[]): number {
  if (kinds.length === 0) return 0
  const s = fold(sentence)
  return kinds.filter((kind) => CONTAINS[kind].test(s)).length / kinds.length
}
