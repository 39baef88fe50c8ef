/**
 * Citation checking: the model is asked to cite sources as [n]; here every citation is checked against
 * the sources that were actually in the prompt, and the ones that were not are removed from the text so
 * an agent never sees a reference to a source that does not exist.
 */

/** Result of {@link extractCitations}. */
export interface CitationResult {
  /** Valid source numbers, each once, in order of first citation. */
  cited: number[]
  /** Cited numbers that are not in `validRefs`, each once, in order of first citation. */
  unknown: number[]
  /** The reply with unknown numbers removed from their brackets (and empty brackets dropped). */
  cleanedReply: string
}

// A bracket holding numbers separated by commas/semicolons, and ranges like 1-3 or 1–3.
// Not preceded by a word character, so `items[0]` in a code sample is left alone. The blanks before it are
// taken only from the start of their run (`(?<![ \t])`), else a long run with no bracket after it is
// rescanned from each of its blanks: quadratic in a degenerate model output.
const CITATION_RE =
  /((?:(?<![ \t])[ \t]+)?)(?<!\w)\[\s*(\d+(?:\s*[-–]\s*\d+)?(?:\s*[,;]\s*\d+(?:\s*[-–]\s*\d+)?)*)\s*\]/g

// A range wider than this is not a citation a model writes on purpose; do not expand it.
const MAX_RANGE = 20

function expand(item: string): number[] {
  const [from, to] = item.split(/[-–]/).map((s) => Number(s.trim()))
  if (to === undefined || from === undefined) return [Number(item.trim())]
  if (to < from || to - from > MAX_RANGE) return [from, to]
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

/**
 * Finds citations such as `[1]`, `[1, 2]`, `[1][3]` and `[1-3]` in a reply and checks them against the
 * valid source numbers. In the cleaned reply, each bracket keeps only its valid numbers (`[1, 9]` →
 * `[1]`); a bracket with none is removed together with the whitespace before it, so "see [9]." becomes
 * "see.". Ranges are rewritten as lists of their valid members.
 */
export function extractCitations(reply: string, validRefs: readonly number[]): CitationResult {
  const valid = new Set(validRefs)
  const cited: number[] = []
  const unknown: number[] = []
  const cleanedReply = reply.replace(CITATION_RE, (_whole, space: string, inner: string) => {
    const numbers = inner.split(/[,;]/).flatMap(expand)
    const kept: number[] = []
    for (const n of numbers) {
      if (valid.has(n)) {
        if (!kept.includes(n)) kept.push(n)
        if (!cited.includes(n)) cited.push(n)
      } else if (!unknown.includes(n)) {
        unknown.push(n)
      }
    }
    return kept.length > 0 ? `${space}[${kept.join(', ')}]` : ''
  })
  return { cited, unknown, cleanedReply }
}
