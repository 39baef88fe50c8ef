/**
 * Drafting-only text rules on top of the shared primitives in shared/text/words.ts (the one tokenizer,
 * stop list and stemmer): keyword folding for escalation, intent and language detection, whitespace
 * normalisation and the sentence split the review diff and the groundedness score compare.
 *
 * Everything here is Unicode-aware: JavaScript's `\b` and `\w` only know ASCII, so Cyrillic, umlauts and
 * accented Spanish would silently fail with them. We use `\p{L}` / `\p{N}` with the `u` flag instead.
 */
import { fold } from './words.ts'

/**
 * {@link fold} plus Latin diacritics stripped (`Rückerstattung` → `ruckerstattung`, `devolución` →
 * `devolucion`), because customers type keywords both ways. Diacritics are stripped only after Latin
 * letters, because decomposing Cyrillic `й` would turn it into `и` and change the word.
 */
export function foldText(text: string): string {
  return fold(text)
    .normalize('NFD')
    .replace(/(\p{Script=Latin})\p{M}+/gu, '$1')
    .normalize('NFC')
}

/** `text` cut to at most `max` characters, an ellipsis marking the cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** Collapses runs of whitespace into one space and trims, so formatting changes do not count as edits. */
export function normaliseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim()
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
