/**
 * The languages Draftdesk detects and their English names, apart from the detector (shared/drafting/
 * language.ts): prompts and escalation reasons need the names, and importing the detector would put
 * franc-min's 170 KB of trigram tables into every Lambda bundle that validates a prompt.
 */

/** Languages Draftdesk detects, as ISO 639-1 codes. */
const LANGUAGES = ['en', 'de', 'es', 'fr', 'ru', 'uk', 'it', 'nl', 'pt', 'pl'] as const
export type Language = (typeof LANGUAGES)[number]

/** English names, for the prompt ("Reply in German"). */
export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  de: 'German',
  es: 'Spanish',
  fr: 'French',
  ru: 'Russian',
  uk: 'Ukrainian',
  it: 'Italian',
  nl: 'Dutch',
  pt: 'Portuguese',
  pl: 'Polish',
}
