/**
 * The one home of the text primitives: folding, the tokenizer, the stop list, the stemmer and the token
 * estimator, used by the built-in embedder, the extractive drafter, the chunker and the drafting scores
 * (shared/text/fold.ts adds only drafting rules on top). Everything here is deterministic: the same input
 * gives the same output on every machine. The embedder's vectors, and so the calibrated retrieval thresholds
 * in shared/trust/calibration.ts, depend on `words`, `STOP_WORDS` and `stem`: changing them means
 * re-running `npm run eval` and re-deriving the calibration.
 */

/**
 * Case and code-point folding: NFKC folds look-alike code points, lower-cases, and "ё" becomes "е" because
 * Russian text uses both spellings interchangeably.
 */
export function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/ё/g, 'е')
}

/**
 * Lowercased word tokens in any script (Latin, Cyrillic, …): runs of letters and digits of the
 * {@link fold}ed text, keeping inner apostrophes so "don't" stays one (stop) word.
 */
export function words(text: string): string[] {
  return (
    fold(text)
      .replace(/[’‘`]/g, "'")
      .match(/[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu) ?? []
  )
}

/**
 * Words that carry no topic: English function words, greetings typical of support tickets, and the most
 * frequent Russian function words. Removing them keeps "how do I reset my password" and "password reset
 * steps" close.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  `a about above after again against all am an and any are as at be because been before being below between
  both but by can could did do does doing don't down during each few for from further had has have having he
  her here hers him his how i i'd i'm i've if in into is it it's its itself just me more most my myself no nor
  not now of off on once only or other our ours out over own same she should so some such than that that's the
  their theirs them then there these they this those through to too under until up very was we were what when
  where which while who whom why will with would you your yours yourself can't cannot won't isn't aren't
  doesn't didn't let's also get got us via
  hi hello hey dear please pls thanks thank regards kind best cheers
  и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от
  меня еще нет о из ему теперь когда даже ну ли если уже или ни быть был него до вас нибудь опять уж вам ведь
  там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз
  тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы
  нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти
  нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя
  такой им более всегда конечно всю между это здравствуйте пожалуйста спасибо`.split(/\s+/),
)

type Rule = { suffix: string; to: string; minStem: number }

/** Plural and third-person endings, tried first. */
const INFLECTIONS: readonly Rule[] = [
  { suffix: 'sses', to: 'ss', minStem: 2 },
  { suffix: 'ies', to: 'y', minStem: 2 },
  { suffix: 'es', to: '', minStem: 3 },
  { suffix: 's', to: '', minStem: 3 },
]

/** Derivational and tense endings, longest first, tried on what the inflection rule left. */
const DERIVATIONS: readonly Rule[] = [
  { suffix: 'ational', to: 'ate', minStem: 3 },
  { suffix: 'ization', to: 'ize', minStem: 3 },
  { suffix: 'ation', to: '', minStem: 4 },
  { suffix: 'ement', to: '', minStem: 4 },
  { suffix: 'ment', to: '', minStem: 3 },
  { suffix: 'ness', to: '', minStem: 4 },
  { suffix: 'ing', to: '', minStem: 3 },
  { suffix: 'ied', to: 'y', minStem: 2 },
  { suffix: 'ed', to: '', minStem: 3 },
  { suffix: 'ly', to: '', minStem: 4 },
]

function applyFirst(word: string, rules: readonly Rule[]): string {
  for (const { suffix, to, minStem } of rules) {
    if (!word.endsWith(suffix)) continue
    const base = word.slice(0, -suffix.length)
    if (base.length < minStem) return word
    // "-ss", "-us", "-is" are not plurals (access, status, analysis).
    if (suffix === 's' && /[sui]$/.test(base)) return word
    // "-es" is a plural ending only after sibilants (boxes, caches); "files" is file + s.
    if (suffix === 'es' && !/(?:x|z|ch|sh)$/.test(base)) continue
    const stemmed = base + to
    // "stopped" → "stop", but "billing" → "bill" and "missed" → "miss".
    if ((suffix === 'ing' || suffix === 'ed') && /([^aeioulsz])\1$/.test(stemmed)) return stemmed.slice(0, -1)
    return stemmed
  }
  return word
}

/**
 * A deliberately light English stemmer (one inflection, one derivation, then a trailing "e"), so that
 * "payments" and "payment", or "configure", "configured", "configuring" and "configuration", share a stem.
 * Non-ASCII words are returned unchanged: their morphology is covered by the embedder's character n-grams.
 */
export function stem(word: string): string {
  const w = word.replace(/'s$/, '').replace(/'/g, '')
  if (!/^[a-z]+$/.test(w) || w.length <= 3) return w
  const stemmed = applyFirst(applyFirst(w, INFLECTIONS), DERIVATIONS)
  return stemmed.length > 4 && stemmed.endsWith('e') ? stemmed.slice(0, -1) : stemmed
}

/** Stems of the words that carry meaning; falls back to all words when a text is only stop words. */
export function contentTerms(text: string): string[] {
  const all = words(text)
  const content = all.filter((w) => !STOP_WORDS.has(w))
  return (content.length > 0 ? content : all).map(stem)
}

/**
 * Splits prose into sentences: on paragraph breaks, before list items, and after ., !, ? or … when the
 * next sentence starts with a capital, a digit, a quote or a bracket (so "e.g. the" and "v8.1" stay whole).
 */
export function splitSentences(text: string): string[] {
  return text
    .split(/\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)/)
    .flatMap((paragraph) =>
      paragraph
        .replace(/\s+/g, ' ')
        .trim()
        .split(/(?<=[.!?…])\s+(?=[\p{Lu}\p{N}"'«“([])/u),
    )
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

/**
 * Token estimate: the larger of words × 1.3 and characters ÷ 4. English prose is ~1.3 WordPiece tokens per
 * word; URLs, code and long Cyrillic words run closer to 4 characters per token. Taking the larger never
 * undercounts either kind, and is additive enough that summing pieces bounds the joined text. Sizes chunks,
 * and stands in for a model's usage where the host reports none.
 */
export function estimateTokens(text: string): number {
  const wordCount = text.split(/\s+/).filter(Boolean).length
  return Math.ceil(Math.max(wordCount * 1.3, text.length / 4))
}
