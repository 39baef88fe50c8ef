/**
 * The built-in offline provider (see shared/ai/select.ts): a real, documented fallback that lets the whole
 * flow run with no model host. Embeddings are lexical (hashed n-grams), drafts are extractive (sentences
 * lifted from the retrieved sources, cited). Quality is that of a good keyword search, not of an LLM —
 * which is why `selectProvider` announces it loudly.
 */

import { stripCitationMarkers } from '../text/citations.ts'
import { contentTerms, estimateTokens, splitSentences, words } from '../text/words.ts'
import { accountPhrases, accountStatements } from './account-sentences.ts'
import { answersKinds, askedKinds } from './answer-type.ts'
import { dot, hashedEmbedding } from './hashed-embedding.ts'
import {
  type AiProvider,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type EmbedKind,
  type Grounding,
  NO_ANSWER_MARKER,
} from './provider.ts'

/** A candidate sentence for an extractive draft. */
interface Candidate {
  ref: number
  position: number
  text: string
  vector: number[]
  score: number
}

/** Below this a sentence is not considered an answer to the question (tuned on the KB test set). */
const MIN_SCORE = 0.12
const MAX_SENTENCES = 4

const trigrams = (tokens: readonly string[]) =>
  tokens.slice(2).map((w, i) => `${tokens[i]} ${tokens[i + 1]} ${w}`)

/**
 * Drops the Markdown markers that read badly in a reply, and citation markers a source carries (a learnt
 * reply cites the sources of its own draft: quoted here, its `[1]` would point at the wrong source).
 */
function cleanSentence(sentence: string): string {
  return stripCitationMarkers(sentence)
    .replace(/^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)/, '')
    .replace(/\*\*|__|`/g, '')
    .trim()
}

/**
 * Whether a source sentence only restates the customer's question: a question itself, or made mostly of
 * the question's word trigrams. Quoting it answers nothing, and a learnt reply that echoed its own
 * customer's question must never put that customer's words into another customer's draft.
 */
function restatesQuestion(sentence: string, questionGrams: ReadonlySet<string>): boolean {
  if (/\?\s*["'”»)]*$/.test(sentence)) return true
  const grams = trigrams(words(sentence))
  // Three trigrams at least: a short instruction ("Change the PHP version.") may share every one of its few.
  return grams.length >= 3 && grams.filter((g) => questionGrams.has(g)).length / grams.length >= 0.5
}

function sourceSentences(source: Grounding['sources'][number]): string[] {
  const lines = source.text.split('\n')
  // The chunker prefixes each chunk with its title path; that is context, not an answer.
  const body = lines[0]?.trim().startsWith(source.title.trim()) ? lines.slice(1).join('\n') : source.text
  return splitSentences(body)
    .map(cleanSentence)
    .filter((s) => words(s).length >= 3 && !/^#/.test(s))
}

/** Boost of a sentence holding the asked kind of answer (a duration for "how long", a port for "which port"). */
const ANSWER_KIND_WEIGHT = 2
/**
 * Sources arrive best first; each later one discounts its sentences a little, so a sentence that merely
 * shares a word ("database") with the question cannot outrank the best source's answer from a source
 * about something else (measured with `npm run eval`: the expected article is cited more often).
 */
const SOURCE_RANK_DISCOUNT = 0.05

/**
 * Picks the source sentences that best answer the question, wherever they stand in the source: cosine
 * similarity of hashed embeddings, plus the share of the question's content words the sentence contains,
 * plus whether it holds the kind of answer asked for (answer-type.ts). A sentence needs a shared word,
 * or the asked kind of answer in a source that shares words with the question. Near-duplicates
 * (overlapping chunks repeat sentences) are kept once.
 */
function pickSentences(grounding: Grounding): Candidate[] {
  const question = hashedEmbedding(grounding.question)
  const questionTerms = new Set(contentTerms(grounding.question))
  const questionGrams = new Set(trigrams(words(grounding.question)))
  const kinds = askedKinds(grounding.question)
  const sharedWith = (text: string) => {
    const terms = new Set(contentTerms(text))
    return [...questionTerms].filter((t) => terms.has(t)).length
  }
  const candidates: Candidate[] = []
  for (const [rank, source] of grounding.sources.entries()) {
    const sourceRelevant = sharedWith(source.text) > 0
    const prior = 1 / (1 + SOURCE_RANK_DISCOUNT * rank)
    sourceSentences(source).forEach((text, position) => {
      if (restatesQuestion(text, questionGrams)) return
      const shared = sharedWith(text)
      const kind = answersKinds(text, kinds)
      if (shared === 0 && !(kind > 0 && sourceRelevant)) return
      const vector = hashedEmbedding(text)
      // The answer kind multiplies topical relevance rather than adding to it: a port number in an
      // article about something else must not outrank the relevant article's port.
      const score =
        prior *
        (0.6 * dot(question, vector) + 0.4 * (shared / Math.max(questionTerms.size, 1))) *
        (1 + ANSWER_KIND_WEIGHT * kind)
      if (score >= MIN_SCORE) candidates.push({ ref: source.ref, position, text, vector, score })
    })
  }
  candidates.sort((a, b) => b.score - a.score || a.ref - b.ref || a.position - b.position)
  const picked: Candidate[] = []
  for (const c of candidates) {
    if (picked.length === MAX_SENTENCES) break
    if (picked.some((p) => p.text === c.text || dot(p.vector, c.vector) > 0.9)) continue
    picked.push(c)
  }
  // Read naturally: best source first, and within a source in document order (steps stay in sequence).
  const sourceRank = new Map<number, number>()
  for (const p of picked) if (!sourceRank.has(p.ref)) sourceRank.set(p.ref, sourceRank.size)
  return picked.sort(
    (a, b) => (sourceRank.get(a.ref) ?? 0) - (sourceRank.get(b.ref) ?? 0) || a.position - b.position,
  )
}

/** Appends the citation before the sentence's final punctuation: "Click Reset [2]." */
function cite(sentence: string, ref: number): string {
  const match = /[.!?…:;]+$/.exec(sentence)
  return match ? `${sentence.slice(0, match.index)} [${ref}]${match[0]}` : `${sentence} [${ref}].`
}

interface Template {
  greeting: string
  intro: string
  outro: string
  unknown: string
  signoff: string
  /** Said when the quoted sources are in another language than the reply; `{lang}` is that language. */
  foreignSources: string
  languageNames: Record<string, string>
}

const TEMPLATES: Record<'en' | 'ru' | 'de' | 'es' | 'fr', Template> = {
  en: {
    greeting: 'Hello,',
    intro: 'Thank you for reaching out. Here is what our documentation says about this:',
    outro: 'If this does not solve the issue, just reply to this ticket and we will be glad to help further.',
    unknown:
      'Thank you for your message. We need to check this with our team before we can give you an accurate ' +
      'answer; an agent will follow up shortly.',
    signoff: 'Best regards',
    foreignSources: 'Please note: the passages quoted below are from our documentation in {lang}.',
    languageNames: { en: 'English', ru: 'Russian', de: 'German', es: 'Spanish', fr: 'French' },
  },
  ru: {
    greeting: 'Здравствуйте!',
    intro: 'Спасибо за обращение. Вот что говорится об этом в нашей документации:',
    outro: 'Если это не решит проблему, просто ответьте на этот тикет, и мы с радостью поможем.',
    unknown:
      'Спасибо за ваше сообщение. Нам нужно уточнить этот вопрос, прежде чем дать точный ответ; ' +
      'специалист свяжется с вами в ближайшее время.',
    signoff: 'С уважением',
    foreignSources: 'Обратите внимание: приведённые ниже фрагменты взяты из нашей документации на {lang}.',
    languageNames: {
      en: 'английском языке',
      de: 'немецком языке',
      es: 'испанском языке',
      fr: 'французском языке',
    },
  },
  de: {
    greeting: 'Hallo,',
    intro: 'vielen Dank für Ihre Nachricht. Das steht in unserer Dokumentation dazu:',
    outro:
      'Falls das Problem damit nicht gelöst ist, antworten Sie einfach auf dieses Ticket; wir helfen gern weiter.',
    unknown:
      'vielen Dank für Ihre Nachricht. Wir müssen das im Team prüfen, bevor wir Ihnen eine genaue Antwort ' +
      'geben können; ein Mitarbeiter meldet sich in Kürze.',
    signoff: 'Viele Grüße',
    foreignSources: 'Hinweis: Die folgenden Auszüge stammen aus unserer Dokumentation auf {lang}.',
    languageNames: { en: 'Englisch', ru: 'Russisch', es: 'Spanisch', fr: 'Französisch' },
  },
  es: {
    greeting: 'Hola:',
    intro: 'Gracias por escribirnos. Esto es lo que dice nuestra documentación al respecto:',
    outro: 'Si esto no resuelve el problema, responda a este ticket y con gusto le ayudaremos.',
    unknown:
      'Gracias por su mensaje. Necesitamos consultarlo con nuestro equipo antes de darle una respuesta ' +
      'precisa; un agente le responderá en breve.',
    signoff: 'Saludos cordiales',
    foreignSources:
      'Tenga en cuenta que los fragmentos citados provienen de nuestra documentación en {lang}.',
    languageNames: { en: 'inglés', ru: 'ruso', de: 'alemán', fr: 'francés' },
  },
  fr: {
    greeting: 'Bonjour,',
    intro: 'Merci de nous avoir contactés. Voici ce que dit notre documentation à ce sujet :',
    outro:
      'Si cela ne résout pas le problème, répondez simplement à ce ticket et nous vous aiderons volontiers.',
    unknown:
      'Merci pour votre message. Nous devons vérifier ce point avec notre équipe avant de vous donner une ' +
      'réponse précise ; un agent vous répondra rapidement.',
    signoff: 'Cordialement',
    foreignSources: 'Remarque : les passages cités ci-dessous proviennent de notre documentation en {lang}.',
    languageNames: { en: 'anglais', ru: 'russe', de: 'allemand', es: 'espagnol' },
  },
}

/**
 * The template for the customer's language: the given code (the ticket's detected language), else
 * Cyrillic in the question means Russian; languages without a template get English.
 */
function templateFor(language: string | undefined, question: string): { code: string; t: Template } {
  const code = language ?? (/[\u0400-\u04FF]/.test(question) ? 'ru' : 'en')
  return code in TEMPLATES
    ? { code, t: TEMPLATES[code as keyof typeof TEMPLATES] }
    : { code: 'en', t: TEMPLATES.en }
}

/**
 * The paragraphs between greeting and sign-off. Account facts that explain the problem (a suspended
 * service and the overdue invoice behind it, an expired domain, a pending transfer) are the answer, said in
 * plain sentences that cite their facts; other account facts (an unpaid invoice a billing question is
 * about) come before the documentation's sentences. Without either, the honest hand-off.
 */
function replyBody(
  t: Template,
  code: string,
  note: string[],
  picked: readonly Candidate[],
  grounding: Grounding | undefined,
): string[] {
  const statements = accountStatements(grounding?.account ?? [], code)
  const docs = picked.map((p) => cite(p.text, p.ref)).join(' ')
  if (statements.length === 0) return picked.length > 0 ? [t.intro, ...note, docs, t.outro] : [t.unknown]
  const phrases = accountPhrases(code)
  const account = [phrases.intro, statements.map((s) => cite(s.text, s.ref)).join(' ')]
  if (statements.some((s) => s.explains) || picked.length === 0) return [...account, t.outro]
  return [...account, phrases.alsoDocs, ...note, docs, t.outro]
}

/**
 * Offline provider: hashed n-gram embeddings and an extractive drafter. Deterministic, no network, no model
 * files. Embeddings are symmetric, so `kind` is ignored.
 */
export class BuiltinProvider implements AiProvider {
  readonly name = 'builtin' as const
  /** Versioned: changing the hashing scheme changes the vector space, and stored vectors must be redone. */
  readonly embedModel = 'builtin-hash-v1'
  /** It quotes its sources; it cannot translate them. */
  readonly translates = false
  readonly dimensions = 768 as const

  async embed(texts: string[], _kind: EmbedKind): Promise<number[][]> {
    return texts.map(hashedEmbedding)
  }

  /**
   * Composes a polite reply from the grounding sources' sentences that best match the question, citing
   * each as [n]. With no grounding, or nothing relevant in it, it says honestly that an agent will follow up
   * rather than guessing. Writes its own sentences in the grounding's `language` (en, ru, de, es, fr; else
   * English) and says when the quoted sources are in another language.
   */
  async chat(messages: ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    const grounding = options.grounding
    const question = grounding?.question ?? messages.findLast((m) => m.role === 'user')?.content ?? ''
    const { code, t } = templateFor(grounding?.language, question)
    const picked = grounding ? pickSentences(grounding) : []
    // Quoted sentences stay as written (an extractive drafter cannot translate): say so when they are in
    // another language than the reply, so the customer is not puzzled and the agent sees it at a glance.
    // The pipeline detected the sources' language already (shared/drafts/stages.ts); detecting it
    // here again would also put franc-min's trigram tables into every Lambda that selects a provider.
    const sourceLanguage = picked.length > 0 ? (grounding?.sourcesLanguage ?? code) : code
    const note =
      sourceLanguage !== code
        ? [t.foreignSources.replace('{lang}', t.languageNames[sourceLanguage] ?? sourceLanguage)]
        : []
    const body = replyBody(t, code, note, picked, grounding)
    // Nothing to say: the same marker an LLM is told to write (guardrail 1), so drafting escalates it.
    const marker = body[0] === t.unknown ? [NO_ANSWER_MARKER] : []
    const content = [...marker, t.greeting, ...body, t.signoff].join('\n\n')
    // The grounding normally also sits in the messages; count it only when the messages are empty.
    const prompt = messages.map((m) => m.content).join('\n') || JSON.stringify(grounding ?? '')
    return {
      content,
      model: 'builtin-extractive',
      promptTokens: estimateTokens(prompt),
      completionTokens: estimateTokens(content),
    }
  }
}
