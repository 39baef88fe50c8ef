/**
 * Small, language-agnostic text helpers shared by the drafting modules (escalation, confidence, review).
 *
 * Everything here is Unicode-aware: JavaScript's `\b` and `\w` only know ASCII, so Cyrillic, umlauts and
 * accented Spanish would silently fail with them. We use `\p{L}` / `\p{N}` with the `u` flag instead.
 */

/**
 * Lower-cases, applies NFKC and folds the few variants that customers type interchangeably:
 * Russian `ё` → `е`, and Latin diacritics are stripped (`Rückerstattung` → `ruckerstattung`,
 * `devolución` → `devolucion`). Diacritics are stripped only after Latin letters, because
 * decomposing Cyrillic `й` would turn it into `и` and change the word.
 */
export function foldText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/ё/g, 'е')
    .normalize('NFD')
    .replace(/(\p{Script=Latin})\p{M}+/gu, '$1')
    .normalize('NFC')
}

/** Collapses runs of whitespace into one space and trims, so formatting changes do not count as edits. */
export function normaliseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim()
}

/** Splits folded text into words (letters and digits, any script). */
export function words(text: string): string[] {
  return foldText(text).match(/[\p{L}\p{N}]+/gu) ?? []
}

/**
 * Splits text into sentences on `.`, `!`, `?`, `…` followed by whitespace, and on line breaks.
 * Good enough for support replies; abbreviations such as "e.g. " split too, which only makes the
 * groundedness check slightly stricter.
 */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?…])\s+|\n+/u)
    .map((s) => normaliseWhitespace(s))
    .filter((s) => s.length > 0)
}

// Function words of the four supported languages. They carry no topic, so they must not count as
// "covered" or "grounded" just because every text contains them.
const STOPWORDS = new Set(
  [
    // English
    'the a an and or but if then else of to in on at by for with from into onto about as is are was were be been being',
    'do does did done have has had having i me my mine we our ours you your yours he him his she her hers it its they',
    'them their theirs this that these those there here what which who whom whose when where why how can could would',
    'should will shall may might must not no yes so than too very just also any all some such only own same both each',
    'more most other out up down over under again further once hello hi dear thanks thank please regards best kind',
    'ok okay get got need want like know let us',
    // Russian
    'и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от меня',
    'еще нет о из ему теперь когда даже ну ли если уже или ни быть был него до вас нибудь опять уж вам ведь там потом',
    'себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под',
    'будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда',
    'зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего них какая',
    'много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно',
    'всю между здравствуйте добрый день спасибо пожалуйста уважением',
    // German
    'der die das den dem des ein eine einer eines einem einen und oder aber wenn dann ist sind war waren sein bin bist',
    'ich du er sie es wir ihr mein meine mich mir dich dir uns euch nicht kein keine mit von zu zum zur auf fur im in',
    'an am aus bei nach uber unter vor wie was wer wo warum auch nur noch schon sehr hallo danke bitte gruss grussen',
    // Spanish
    'el la los las un una unos unas y o pero si entonces es son era fue ser estar esta este esto estos estas yo tu el',
    'ella nosotros vosotros ellos ellas mi mis me te se nos su sus de del al en con por para sin sobre que como cuando',
    'donde quien porque tambien solo muy hola gracias favor saludos',
  ]
    .join(' ')
    .split(' ')
    .map((w) => foldText(w)),
)

/** Prefix length of the light stemmer; five characters absorb most inflection in en/ru/de/es. */
const STEM_LENGTH = 5

/**
 * Light stemming by prefix truncation. Crude, but it maps `password`/`passwords`, `возврат`/`возврата`
 * and `Rechnung`/`Rechnungen` onto one term with no dictionary, for every supported language at once.
 */
export function stem(word: string): string {
  return [...word].slice(0, STEM_LENGTH).join('')
}

/**
 * Content terms of a text: folded words, minus stopwords and one- or two-letter tokens, stemmed.
 * Digits-only tokens are kept when they are 2+ long (ports, error codes, version numbers carry meaning).
 */
export function contentTerms(text: string): string[] {
  return words(text)
    .filter((w) => !STOPWORDS.has(w))
    .filter((w) => (/^\p{N}+$/u.test(w) ? w.length >= 2 : [...w].length >= 3))
    .map(stem)
}

/** {@link contentTerms} as a set. */
export function termSet(text: string): Set<string> {
  return new Set(contentTerms(text))
}
