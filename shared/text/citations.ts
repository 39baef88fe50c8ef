/**
 * Citations: the model is asked to cite sources as [n]. Here every citation is checked against the
 * sources that were actually in the prompt (the ones that were not are removed, so an agent never sees a
 * reference to a source that does not exist), and the cited text agents review is turned into the text a
 * customer gets: no markers, and the cited KB articles listed by title (and public URL) at the end.
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

// One bracket holding numbers separated by commas/semicolons, and ranges like 1-3 or 1–3, spaces allowed
// inside (`[ 1 ]`). Not preceded by a word character, so `items[0]` in a code sample is left alone. The
// blanks before a marker are taken only from the start of their run (`(?<![ \t])`), else a long run with no
// bracket after it is rescanned from each of its blanks: quadratic in a degenerate model output.
const MARKER = String.raw`(?<!\w)\[\s*\d+(?:\s*[-–]\s*\d+)?(?:\s*[,;]\s*\d+(?:\s*[-–]\s*\d+)?)*\s*\]`
const CITATION_RE =
  /((?:(?<![ \t])[ \t]+)?)(?<!\w)\[\s*(\d+(?:\s*[-–]\s*\d+)?(?:\s*[,;]\s*\d+(?:\s*[-–]\s*\d+)?)*)\s*\]/g
/** A run of adjacent markers (`[1] [1]`, `[2][1]`), with the blanks around it. */
const MARKER_RUN_RE = new RegExp(String.raw`(?:(?<![ \t])[ \t]+)?${MARKER}(?:[ \t]*${MARKER})*[ \t]*`, 'g')
const ONE_MARKER_RE = new RegExp(MARKER, 'g')

/**
 * Other spellings of a citation that models write despite the prompt: a footnote `[^1]`, full-width
 * brackets `【1】` / `【1†source】` / `［1］`, and a labelled `[Source 1]`, `[source: 1, 2]`, `[Ref. 3]`.
 * They are read as `[n]`, so they are checked like any citation and never reach a customer.
 */
const VARIANT_RE =
  /\[\s*\^\s*(\d+)\s*\]|[【［]\s*(\d+(?:\s*[,;]\s*\d+)*)\s*(?:†[^】］\n]*)?[】］]|(?<!\w)\[\s*(?:sources?|refs?\.?|references?)\s*:?\s*(\d+(?:\s*(?:[,;&]|and)\s*\d+)*)\s*\]/giu

/**
 * The text with every {@link VARIANT_RE} spelling of a citation rewritten as `[n]` or `[n, m]`, a space
 * before it when it was glued to a word ("cPanel【1】" → "cPanel [1]").
 */
function canonicalCitations(text: string): string {
  return text.replace(
    VARIANT_RE,
    (
      _whole,
      footnote: string | undefined,
      wide: string | undefined,
      labelled: string | undefined,
      at: number,
    ) => {
      const numbers = (footnote ?? wide ?? labelled ?? '').split(/\s*(?:[,;&]|and)\s*/i).filter(Boolean)
      const glued = at > 0 && /[\p{L}\p{N}_]/u.test(text[at - 1]!)
      return `${glued ? ' ' : ''}[${numbers.join(', ')}]`
    },
  )
}

// A range wider than this is not a citation a model writes on purpose; do not expand it.
const MAX_RANGE = 20

function expand(item: string): number[] {
  const [from, to] = item.split(/[-–]/).map((s) => Number(s.trim()))
  if (to === undefined || from === undefined) return [Number(item.trim())]
  if (to < from || to - from > MAX_RANGE) return [from, to]
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

/** The numbers of one marker or run of markers, in order, each once. */
function markerNumbers(run: string): number[] {
  const numbers = [...run.matchAll(ONE_MARKER_RE)].flatMap((m) =>
    m[0]
      .replace(/[[\]\s]/g, '')
      .split(/[,;]/)
      .flatMap(expand),
  )
  return [...new Set(numbers)]
}

/**
 * Rewrites every run of two or more adjacent markers as one bracket per distinct number (`[1] [1]` →
 * `[1]`, `[2][1] [2]` → `[2][1]`), so a duplicate marker never reaches an agent or a customer. A single
 * marker is left as written.
 */
export function collapseDuplicateMarkers(text: string): string {
  return canonicalCitations(text).replace(MARKER_RUN_RE, (run) => {
    const markers = run.match(ONE_MARKER_RE) ?? []
    if (markers.length < 2) return run
    const lead = /^[ \t]*/.exec(run)![0]
    const tail = /[ \t]*$/.exec(run)![0]
    return `${lead}${markerNumbers(run)
      .map((n) => `[${n}]`)
      .join('')}${tail}`
  })
}

/**
 * Finds citations such as `[1]`, `[1, 2]`, `[1][3]` and `[1-3]` in a reply and checks them against the
 * valid source numbers. In the cleaned reply, each bracket keeps only its valid numbers (`[1, 9]` →
 * `[1]`); a bracket with none is removed together with the whitespace before it, so "see [9]." becomes
 * "see.". Ranges are rewritten as lists of their valid members, and adjacent duplicates collapsed.
 */
export function extractCitations(reply: string, validRefs: readonly number[]): CitationResult {
  const valid = new Set(validRefs)
  const cited: number[] = []
  const unknown: number[] = []
  const cleaned = canonicalCitations(reply).replace(CITATION_RE, (_whole, space: string, inner: string) => {
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
  return { cited, unknown, cleanedReply: collapseDuplicateMarkers(cleaned) }
}

/**
 * The text without any citation marker, spaced as if there had never been one: a marker before
 * punctuation or at the end of a line goes with the blanks before it ("at once [2]." → "at once."), one
 * between words leaves one space, one at the start of a line leaves nothing.
 */
export function stripCitationMarkers(text: string): string {
  return canonicalCitations(text).replace(MARKER_RUN_RE, (run, offset: number, whole: string) => {
    const before = offset === 0 ? '\n' : whole[offset - 1]!
    const after = whole[offset + run.length] ?? '\n'
    if (before === '\n' || after === '\n' || /[.,;:!?…)\]}"'»”]/.test(after)) return ''
    return ' '
  })
}

/** Where an agent-facing text's citations point: one shown source of the draft. */
export interface CitableSource {
  ref: number
  sourceKind: 'global_kb' | 'tenant_kb' | 'approved_example' | 'correction'
  /** The KB article; null for approved replies and corrections, which are internal and never listed. */
  articleId: number | null
  title: string
  /** The article's public page, when it has one (http or https only). */
  publicUrl?: string | null
}

/** "References" in the languages the built-in drafter writes; English for the others. */
const REFERENCES_HEADING: Record<string, string> = {
  en: 'References',
  de: 'Quellen',
  es: 'Referencias',
  fr: 'Références',
  ru: 'Источники',
}
const HEADINGS = [...new Set(Object.values(REFERENCES_HEADING))]
/** A References block {@link customerFacingReply} wrote: the heading line and its numbered lines. */
const REFERENCES_BLOCK_RE = new RegExp(
  String.raw`(?:^|\n)[ \t]*(?:${HEADINGS.join('|')}):[ \t]*\n(?:[ \t]*\d+\.[ \t][^\n]*(?:\n|$))+`,
  'gu',
)

const isWebUrl = (url: string | null | undefined): url is string => {
  if (!url) return false
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol)
  } catch {
    return false
  }
}

/**
 * The text a customer gets from an agent-facing (cited) text: every marker removed ({@link
 * stripCitationMarkers}), then, when KB articles were cited, a "References:" list (in the draft's
 * `language` where known) numbered 1..n in order of first citation, one line per article: its title and,
 * when it has one, its public URL. Approved examples and corrections are internal and never listed; a
 * number that is no source is dropped. Nothing else of the text (its Markdown) changes.
 */
export function customerFacingReply(
  text: string,
  sources: readonly CitableSource[],
  options: { language?: string | null } = {},
): string {
  const byRef = new Map(sources.map((s) => [s.ref, s]))
  // Chunks of one article are one reference, with the URL any of them knows.
  const urlOf = new Map<number, string>()
  for (const s of sources)
    if (s.articleId !== null && isWebUrl(s.publicUrl)) urlOf.set(s.articleId, s.publicUrl)
  const listed = new Map<number, string>()
  for (const run of canonicalCitations(text).match(MARKER_RUN_RE) ?? []) {
    for (const n of markerNumbers(run)) {
      const source = byRef.get(n)
      if (!source || source.articleId === null || listed.has(source.articleId)) continue
      if (source.sourceKind !== 'tenant_kb' && source.sourceKind !== 'global_kb') continue
      const title = source.title.replace(/\s+/g, ' ').trim() || 'Knowledge base article'
      const url = urlOf.get(source.articleId)
      listed.set(source.articleId, url ? `${title} — ${url}` : title)
    }
  }
  const body = stripCitationMarkers(text).trim()
  if (listed.size === 0) return body
  const heading = REFERENCES_HEADING[options.language ?? 'en'] ?? REFERENCES_HEADING.en
  const lines = [...listed.values()].map((line, i) => `${i + 1}. ${line}`)
  return `${body}\n\n${heading}:\n${lines.join('\n')}`
}

/**
 * The text without the References blocks {@link customerFacingReply} appends, and without markers: what
 * a sent reply and its draft have in common whichever of the two forms the agent started from.
 */
export function withoutReferences(text: string): string {
  return stripCitationMarkers(text.replace(REFERENCES_BLOCK_RE, '\n'))
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}
