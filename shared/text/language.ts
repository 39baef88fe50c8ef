/**
 * The customer's language, detected on the ticket so the draft answers in it.
 *
 * Two detectors, because support tickets are often one line: franc-min (a trigram detector, restricted to
 * the languages below) is accurate on a paragraph but guesses wildly on "my site down" (Portuguese) or
 * "ssl not working" (Dutch). Short texts are decided by function words and letters that only one of the
 * languages uses (ñ ¿ → Spanish, ß ä → German, ç œ → French, Cyrillic → Russian or Ukrainian), which
 * is what a person would look at; franc decides when that evidence is thin or tied and the text is long
 * enough for trigrams, and on a short text only for a language some word or letter of it supports (a floor
 * of evidence: a short English ticket with a greeting and a sign-off is not Dutch). No evidence at all
 * means English, the desk's default.
 */
import { francAll } from 'franc-min'
import { foldText } from './fold.ts'
import type { Language } from './language-names.ts'

export type { Language } from './language-names.ts'

const ISO3: Record<string, Language> = {
  eng: 'en',
  deu: 'de',
  spa: 'es',
  fra: 'fr',
  rus: 'ru',
  ukr: 'uk',
  ita: 'it',
  nld: 'nl',
  por: 'pt',
  pol: 'pl',
}

// Frequent words of support tickets that are distinctive for one language (folded: accents dropped).
const FUNCTION_WORDS: Partial<Record<Language, string>> = {
  en: 'the my is are i to how what why can does do not you it and with this have has was when where which my our help please hello hi hey thanks thank regards cheers dear morning afternoon after since',
  de: 'ich mein meine meinen nicht ist und wie was warum kann habe hat der die das mit bitte geht funktioniert wird wir uns auf fur noch schon seit',
  es: 'el mi mis es y como que por para no puedo tengo hola los las una del esta pero cuando donde funciona desde',
  fr: 'je mon ma mes est et comment pourquoi ne pas pour les des une bonjour avec sur mais quand fonctionne depuis',
  it: 'il mio non e come perche per che sono ciao della funziona',
  nl: 'ik mijn niet is en hoe wat waarom kan het een werkt hallo',
  pt: 'meu minha nao e como porque para que ola funciona voce',
  pl: 'moj moja nie jest jak dlaczego dla czy dzien dobry dziala',
}

const WORD_SETS = Object.entries(FUNCTION_WORDS).map(
  ([lang, list]) => [lang as Language, new Set(list.split(' '))] as const,
)

// Letters only one of the Latin-script languages here uses, checked before folding drops accents.
const LETTER_HINTS: Array<readonly [Language, RegExp]> = [
  ['es', /[ñ¿¡]/iu],
  ['de', /[äöüß]/iu],
  ['fr', /[çœêèàù]/iu],
  ['pl', /[ąćęłńśźż]/iu],
  ['pt', /[ãõ]/iu],
]

/** Below this many letters, trigram statistics are noise. */
const MIN_TRIGRAM_LETTERS = 40
/**
 * Below this many letters a trigram guess needs evidence of its own (a function word or a letter only that
 * language uses) before it may overrule English: "Hello, White screen on WordPress after upgrading PHP.
 * Regards, Jan" is Dutch to trigrams, and a language mismatch would escalate it.
 */
const SHORT_TEXT_LETTERS = 200

/** What {@link detectLanguage} found and how. */
export interface LanguageGuess {
  language: Language
  method: 'script' | 'words' | 'trigrams' | 'default'
}

/**
 * Detects the language of a customer text (subject and message together work best). Deterministic; see
 * the module comment for the method.
 */
export function detectLanguage(text: string): LanguageGuess {
  const cyrillic = (text.match(/\p{Script=Cyrillic}/gu) ?? []).length
  const latin = (text.match(/\p{Script=Latin}/gu) ?? []).length
  if (cyrillic > latin) return { language: /[іїєґ]/iu.test(text) ? 'uk' : 'ru', method: 'script' }

  const scores = new Map<Language, number>()
  const add = (lang: Language, n: number) => scores.set(lang, (scores.get(lang) ?? 0) + n)
  for (const [lang, re] of LETTER_HINTS) if (re.test(text)) add(lang, 2)
  for (const word of foldText(text).match(/\p{L}+/gu) ?? []) {
    for (const [lang, set] of WORD_SETS) if (set.has(word)) add(lang, 1)
  }
  const ranked = [...scores.entries()].sort((a, b) => b[1] - a[1])
  const [top, second] = ranked
  const clear = top && top[1] >= 2 && top[1] >= 2 * (second?.[1] ?? 0)
  if (clear) return { language: top[0], method: 'words' }

  if (latin >= MIN_TRIGRAM_LETTERS) {
    const [best] = francAll(text, { only: Object.keys(ISO3), minLength: 10 })
    const language = best ? ISO3[best[0]] : undefined
    const evidenced = language === 'en' || latin >= SHORT_TEXT_LETTERS || (scores.get(language!) ?? 0) > 0
    if (language && evidenced) return { language, method: 'trigrams' }
  }
  if (top && top[1] > (second?.[1] ?? 0)) return { language: top[0], method: 'words' }
  return { language: 'en', method: 'default' }
}
