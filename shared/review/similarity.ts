/**
 * Review: how much an agent changed a draft, what changed, and what the approval teaches retrieval.
 */
import { distance } from 'fastest-levenshtein'
import { normaliseWhitespace, sentences } from '../text/fold.ts'

/**
 * An approval at least this similar to its draft is an `approved_example` (the draft was right);
 * anything edited more heavily is a `correction` (issue 6).
 * @internal
 */
export const APPROVED_EXAMPLE_MIN_SIMILARITY = 0.7

/**
 * Most characters of each text that {@link similarityRatio} compares exactly, after their common start and
 * end are set aside. Levenshtein is O(n·m): two 120 KB replies are 1.4·10¹⁰ cells, tens of seconds inside
 * a webhook request. 20,000 × 20,000 takes tens of milliseconds; no real reply comes near it.
 * @internal
 */
export const SIMILARITY_MAX_CHARS = 20_000

/**
 * Levenshtein similarity ratio: `1 − distance(a, b) / max(|a|, |b|)` on whitespace-normalised text,
 * so 1 means identical and 0 means nothing in common. Two empty texts are identical (1).
 * Re-wrapping lines or trailing spaces is not an edit; changing case or punctuation is.
 *
 * Exact while the parts that differ (what is left after the common start and end) are at most
 * {@link SIMILARITY_MAX_CHARS} long each. Beyond that only their first SIMILARITY_MAX_CHARS are compared and
 * the rest counts as changed, so the work stays bounded and the ratio is a lower bound of the exact one
 * (it never calls a long text more similar to the draft than it is).
 */
export function similarityRatio(a: string, b: string): number {
  const x = normaliseWhitespace(a)
  const y = normaliseWhitespace(b)
  const longest = Math.max(x.length, y.length)
  if (longest === 0) return 1
  // Levenshtein distance is unchanged by removing a common prefix and suffix.
  let start = 0
  while (start < x.length && start < y.length && x[start] === y[start]) start++
  let end = 0
  while (end < x.length - start && end < y.length - start && x.at(-1 - end) === y.at(-1 - end)) end++
  const dx = x.slice(start, x.length - end)
  const dy = y.slice(start, y.length - end)
  const cap = SIMILARITY_MAX_CHARS
  const rest = Math.max(dx.length - cap, dy.length - cap, 0)
  return 1 - (distance(dx.slice(0, cap), dy.slice(0, cap)) + rest) / longest
}

type DiffOp = { op: 'same' | 'added' | 'removed'; text: string }

// Above this many LCS cells (sentences × sentences) the diff is by set membership: O(n·m) time and memory
// is fine for replies, not for a 100 KB text of one-word "sentences" arriving in a webhook request.
const DIFF_MAX_CELLS = 250_000

/**
 * Sentence-level diff by longest common subsequence; for texts with more sentences than that is worth, the
 * sentences of one that the other lacks (in order, without the common ones).
 */
function diffSentences(before: readonly string[], after: readonly string[]): DiffOp[] {
  const n = before.length
  const m = after.length
  if ((n + 1) * (m + 1) > DIFF_MAX_CELLS) {
    const inAfter = new Set(after)
    const inBefore = new Set(before)
    return [
      ...before.map((text) => ({ op: inAfter.has(text) ? 'same' : 'removed', text }) as const),
      ...after.filter((text) => !inBefore.has(text)).map((text) => ({ op: 'added', text }) as const),
    ]
  }
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] =
        before[i] === after[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
    }
  }
  const ops: DiffOp[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      ops.push({ op: 'same', text: before[i]! })
      i++
      j++
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      ops.push({ op: 'removed', text: before[i++]! })
    } else {
      ops.push({ op: 'added', text: after[j++]! })
    }
  }
  while (i < n) ops.push({ op: 'removed', text: before[i++]! })
  while (j < m) ops.push({ op: 'added', text: after[j++]! })
  return ops
}

// Keeps the summary short enough for a list view and an audit row.
const MAX_QUOTED = 3
const MAX_SENTENCE_CHARS = 80
// A removed and an added sentence this similar are one sentence reworded, not two separate changes.
const REWORD_SIMILARITY = 0.5
// Pairing compares every removed sentence with every added one. Above this many pairs, or this many
// character cells (removed characters × added characters), the texts are too far apart to call anything a
// rewording, and the comparisons would take seconds.
const REWORD_MAX_PAIRS = 10_000
const REWORD_MAX_CELLS = 50_000_000

function quote(text: string): string {
  return text.length > MAX_SENTENCE_CHARS ? `"${text.slice(0, MAX_SENTENCE_CHARS - 1)}…"` : `"${text}"`
}

function quoteList(items: readonly string[]): string {
  const shown = items.slice(0, MAX_QUOTED).map(quote).join('; ')
  return items.length > MAX_QUOTED ? `${shown}; and ${items.length - MAX_QUOTED} more` : shown
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * A short, human-readable summary of what an agent changed: sentences added, removed and reworded,
 * one line each, e.g.
 *
 * ```
 * Added 1 sentence: "You can also restart PHP from the panel."
 * Removed 1 sentence: "Please wait 24 hours."
 * Reworded 1 sentence.
 * ```
 *
 * "No changes." when the texts are the same up to whitespace; "Minor edits within sentences." when
 * only punctuation or spacing inside sentences moved.
 * @internal
 */
export function summarizeEdit(draft: string, final: string): string {
  if (normaliseWhitespace(draft) === normaliseWhitespace(final)) return 'No changes.'
  const ops = diffSentences(sentences(draft), sentences(final))
  const removed = ops.filter((o) => o.op === 'removed').map((o) => o.text)
  const added = ops.filter((o) => o.op === 'added').map((o) => o.text)

  // Pair each removed sentence with its most similar added one to tell rewording from new content.
  let reworded = 0
  const unpairedAdded = [...added]
  const unpairedRemoved: string[] = []
  const chars = (list: readonly string[]) => list.reduce((sum, t) => sum + t.length, 0)
  const pairable =
    removed.length * added.length <= REWORD_MAX_PAIRS && chars(removed) * chars(added) <= REWORD_MAX_CELLS
  for (const old of removed) {
    if (!pairable) {
      unpairedRemoved.push(old)
      continue
    }
    let best = -1
    let bestScore = REWORD_SIMILARITY
    unpairedAdded.forEach((candidate, k) => {
      const score = similarityRatio(old, candidate)
      if (score >= bestScore) {
        best = k
        bestScore = score
      }
    })
    if (best >= 0) {
      unpairedAdded.splice(best, 1)
      reworded++
    } else {
      unpairedRemoved.push(old)
    }
  }

  const lines: string[] = []
  if (unpairedAdded.length > 0)
    lines.push(`Added ${plural(unpairedAdded.length, 'sentence')}: ${quoteList(unpairedAdded)}`)
  if (unpairedRemoved.length > 0) {
    lines.push(`Removed ${plural(unpairedRemoved.length, 'sentence')}: ${quoteList(unpairedRemoved)}`)
  }
  if (reworded > 0) lines.push(`Reworded ${plural(reworded, 'sentence')}.`)
  return lines.length > 0 ? lines.join('\n') : 'Minor edits within sentences.'
}

/** Result of {@link classifyApproval}. */
export interface ApprovalClassification {
  /** False when the final reply equals the draft up to whitespace. */
  edited: boolean
  /** {@link similarityRatio} of draft and final reply: 1 = unchanged, 0 = rewritten. */
  similarity: number
  /**
   * What `approved_replies.edit_distance` stores: the Levenshtein *ratio*, i.e. the same similarity
   * (1 = unchanged). The seed calls the column "Levenshtein ratio 0–1", which in python-Levenshtein,
   * the seed's ecosystem, is this similarity, not a distance. Analytics read it as similarity.
   */
  editDistance: number
  /** How the approval is indexed for retrieval. */
  kind: 'approved_example' | 'correction'
  /** Sets `approved_replies.is_correction`. */
  isCorrection: boolean
  /** {@link summarizeEdit} of the change, or null when not edited. */
  editSummary: string | null
}

/**
 * Classifies an approval: similarity ≥ {@link APPROVED_EXAMPLE_MIN_SIMILARITY} to the draft makes it an
 * `approved_example`, a heavier edit a `correction`. `final` omitted means approved as is.
 */
export function classifyApproval(draft: string, final: string = draft): ApprovalClassification {
  const edited = normaliseWhitespace(draft) !== normaliseWhitespace(final)
  const similarity = edited ? similarityRatio(draft, final) : 1
  const kind = similarity >= APPROVED_EXAMPLE_MIN_SIMILARITY ? 'approved_example' : 'correction'
  return {
    edited,
    similarity,
    editDistance: similarity,
    kind,
    isCorrection: kind === 'correction',
    editSummary: edited ? summarizeEdit(draft, final) : null,
  }
}
