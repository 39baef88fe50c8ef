/**
 * Draft confidence, 0–100, from measurable signals only (no LLM grading itself).
 *
 * Formula. Every component has a weight (the most points it can move) and a value in 0..1.
 *
 *   signals (weights add up to 100), points = round(weight × value):
 *     retrieval     35  value = 0.6 × best score + 0.4 × mean of the top-3 scores (reranked, 0..1)
 *     agreement     10  mean over pairs of cited sources of: 1 if both come from the same article,
 *                       else min(1, overlap / 0.5) with overlap = |A ∩ B| / min(|A|, |B|) on content terms;
 *                       one cited source = 0.5 (nothing corroborates it, nothing contradicts it), none = 0
 *     coverage      25  share of the question's content terms found in the cited sources
 *                       (0.5 when the question has no content terms, 0 when nothing is cited)
 *     groundedness  30  share of reply sentences with ≥ 3 content terms of which ≥ 50 % appear in the
 *                       cited sources (0 when nothing is cited or no sentence qualifies)
 *
 *   penalties, points = −round(weight × value):
 *     no_citations        20  value 1 when the reply cites no source
 *     escalation_keyword  15  value 1 when an escalation keyword matched (refund, legal, ...): such
 *                             tickets need a human decision however good the text is
 *     reply_length        10  value (80 − length) / 80 under 80 characters, min(1, (length − 2500) / 2500)
 *                             over 2500 characters, else 0
 *
 *   clamp: points = min(100, max(0, raw)) − raw, where raw is the sum of all points above; value 1 when
 *          it had to act. It is a component of its own so that the breakdown still adds up.
 *
 *   score = the sum of every component's points (an integer in 0..100).
 *
 * "Content terms" are folded, stop-word-free, prefix-stemmed words (see text.ts), which makes coverage
 * and groundedness work across English, Russian, German and Spanish without a model.
 */

import { sentences } from '../text/fold.ts'
import { STOP_WORDS, stem, words } from '../text/words.ts'

/**
 * The terms the scores compare: the shared tokenizer, stop list and stemmer, minus one- and two-letter
 * tokens (digit runs count from two: ports and error codes carry meaning). Unlike the embedder's terms there
 * is no fallback to stop words: a question of only stop words has nothing to cover.
 */
function contentTerms(text: string): string[] {
  return words(text)
    .filter((w) => !STOP_WORDS.has(w))
    .filter((w) => (/^\p{N}+$/u.test(w) ? w.length >= 2 : [...w].length >= 3))
    .map(stem)
}

/** One line of the breakdown stored in `ai_replies.confidence_breakdown`. */
export interface ConfidenceComponent {
  component:
    | 'retrieval'
    | 'agreement'
    | 'coverage'
    | 'groundedness'
    | 'no_citations'
    | 'escalation_keyword'
    | 'reply_length'
    | 'clamp'
  kind: 'signal' | 'penalty' | 'clamp'
  /** Most points this component can move (a magnitude; penalties subtract). */
  weight: number
  /** Measured value, 0..1. */
  value: number
  /** Integer points it contributes; negative for penalties. */
  points: number
  detail: string
}

/** Result of {@link scoreConfidence}; `score` equals the sum of `breakdown[].points`. */
export interface ConfidenceResult {
  score: number
  breakdown: ConfidenceComponent[]
}

/** Input of {@link scoreConfidence}. */
export interface ConfidenceInput {
  /** Reranked scores (0..1) of the sources given to the model, any order. */
  retrievalScores: readonly number[]
  sourcesCited: number
  sourcesAvailable: number
  question: string
  reply: string
  /** Texts of the cited sources. */
  sourceTexts: readonly string[]
  /** Article (or chunk group) of each cited source, aligned with `sourceTexts`; equal ids agree. */
  sourceArticleIds?: ReadonlyArray<string | number | null | undefined>
  escalationReasons: ReadonlyArray<{ code: string }>
  /** Length of the reply in characters; defaults to `reply.length`. */
  replyLength?: number
}

/** Signal weights; they add up to 100 so a perfect draft with no penalty scores 100. */
const CONFIDENCE_WEIGHTS = { retrieval: 35, agreement: 10, coverage: 25, groundedness: 30 } as const

/** Penalty magnitudes. */
const CONFIDENCE_PENALTIES = { no_citations: 20, escalation_keyword: 15, reply_length: 10 } as const

const SHORT_REPLY = 80
const LONG_REPLY = 2500
// Two related passages on one topic typically share 20–50 % of their content terms; half is "agreeing".
const FULL_AGREEMENT_OVERLAP = 0.5
const GROUNDED_SHARE = 0.5
const MIN_SENTENCE_TERMS = 3

const clamp01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0)
// `0 - x` rather than `-x`: a zero penalty must be 0, not -0, or strict equality checks on it surprise.
const negate = (x: number): number => 0 - x
const round3 = (x: number): number => Math.round(x * 1000) / 1000

function retrievalStrength(scores: readonly number[]): number {
  const sorted = scores.map(clamp01).sort((a, b) => b - a)
  if (sorted.length === 0) return 0
  const top3 = sorted.slice(0, 3)
  const mean = top3.reduce((a, b) => a + b, 0) / top3.length
  return 0.6 * sorted[0]! + 0.4 * mean
}

function overlap(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0
  let shared = 0
  for (const t of a) if (b.has(t)) shared++
  return shared / Math.min(a.size, b.size)
}

function agreement(texts: readonly string[], articleIds: ConfidenceInput['sourceArticleIds']): number {
  if (texts.length === 0) return 0
  if (texts.length === 1) return 0.5
  const sets = texts.map((t) => new Set(contentTerms(t)))
  let total = 0
  let pairs = 0
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      const a = articleIds?.[i]
      const sameArticle = a !== undefined && a !== null && a === articleIds?.[j]
      total += sameArticle ? 1 : Math.min(1, overlap(sets[i]!, sets[j]!) / FULL_AGREEMENT_OVERLAP)
      pairs++
    }
  }
  return total / pairs
}

function coverage(question: string, sourceTerms: Set<string>, anyCited: boolean): number {
  if (!anyCited) return 0
  const terms = new Set(contentTerms(question))
  if (terms.size === 0) return 0.5
  let found = 0
  for (const t of terms) if (sourceTerms.has(t)) found++
  return found / terms.size
}

function groundedness(reply: string, sourceTerms: Set<string>, anyCited: boolean): number {
  if (!anyCited) return 0
  // Citation markers are not content; strip them so "[1]" does not count as a term.
  const considered = sentences(reply.replace(/\[[\d,;\s–-]+\]/g, ' '))
    .map((s) => contentTerms(s))
    .filter((terms) => terms.length >= MIN_SENTENCE_TERMS)
  if (considered.length === 0) return 0
  const grounded = considered.filter(
    (terms) => terms.filter((t) => sourceTerms.has(t)).length / terms.length >= GROUNDED_SHARE,
  ).length
  return grounded / considered.length
}

function lengthPenalty(length: number): number {
  if (length < SHORT_REPLY) return (SHORT_REPLY - length) / SHORT_REPLY
  if (length > LONG_REPLY) return Math.min(1, (length - LONG_REPLY) / LONG_REPLY)
  return 0
}

/**
 * Scores a draft 0–100 and explains the score; see the module comment for the formula.
 * Deterministic and cheap (no model call), so it can run on every draft and be recomputed in tests.
 */
export function scoreConfidence(input: ConfidenceInput): ConfidenceResult {
  const anyCited = input.sourcesCited > 0 && input.sourceTexts.length > 0
  const sourceTerms = new Set(input.sourceTexts.flatMap(contentTerms))
  const length = input.replyLength ?? input.reply.length

  const retrievalValue = retrievalStrength(input.retrievalScores)
  const hasKeyword = input.escalationReasons.some((r) => r.code === 'keyword')
  const breakdown: ConfidenceComponent[] = [
    signal(
      'retrieval',
      CONFIDENCE_WEIGHTS.retrieval,
      retrievalValue,
      `0.6 × best + 0.4 × mean of top 3 over ${input.retrievalScores.length} reranked score(s)`,
    ),
    signal(
      'agreement',
      CONFIDENCE_WEIGHTS.agreement,
      agreement(input.sourceTexts, input.sourceArticleIds),
      `${input.sourceTexts.length} cited source(s) compared pairwise`,
    ),
    signal(
      'coverage',
      CONFIDENCE_WEIGHTS.coverage,
      coverage(input.question, sourceTerms, anyCited),
      "share of the question's key terms found in the cited sources",
    ),
    signal(
      'groundedness',
      CONFIDENCE_WEIGHTS.groundedness,
      groundedness(input.reply, sourceTerms, anyCited),
      'share of reply sentences mostly made of terms from the cited sources',
    ),
    penalty(
      'no_citations',
      CONFIDENCE_PENALTIES.no_citations,
      anyCited ? 0 : 1,
      `${input.sourcesCited} of ${input.sourcesAvailable} source(s) cited`,
    ),
    penalty(
      'escalation_keyword',
      CONFIDENCE_PENALTIES.escalation_keyword,
      hasKeyword ? 1 : 0,
      hasKeyword ? 'an escalation keyword matched' : 'no escalation keyword',
    ),
    penalty(
      'reply_length',
      CONFIDENCE_PENALTIES.reply_length,
      lengthPenalty(length),
      `${length} characters (expected ${SHORT_REPLY}–${LONG_REPLY})`,
    ),
  ]

  const clamp = clampComponent(breakdown.reduce((sum, c) => sum + c.points, 0))
  return { score: clamp.raw + clamp.component.points, breakdown: [...breakdown, clamp.component] }
}

/**
 * One component: a value in 0..1 against a weight. Signals add their points, penalties subtract them.
 */
const part =
  (kind: 'signal' | 'penalty') =>
  (
    component: ConfidenceComponent['component'],
    weight: number,
    value: number,
    detail: string,
  ): ConfidenceComponent => {
    const v = clamp01(value)
    const points = Math.round(weight * v)
    return {
      component,
      kind,
      weight,
      value: round3(v),
      points: kind === 'penalty' ? negate(points) : points,
      detail,
    }
  }
const signal = part('signal')
const penalty = part('penalty')

/** The points that keep the sum in 0..100, as a component of their own so the breakdown still adds up. */
function clampComponent(raw: number): { raw: number; component: ConfidenceComponent } {
  const points = Math.min(100, Math.max(0, raw)) - raw
  return {
    raw,
    component: {
      component: 'clamp',
      kind: 'clamp',
      weight: 0,
      value: points === 0 ? 0 : 1,
      points,
      detail: points === 0 ? 'within 0..100' : `raw sum ${raw} clamped into 0..100`,
    },
  }
}
