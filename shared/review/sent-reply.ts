/**
 * What an agent did with a draft, judged from the reply they actually sent in WHMCS (issue 10).
 *
 * Agents rarely send a draft byte for byte: they add a greeting and a signature, WHMCS may hand the text
 * over as HTML, mail clients quote the customer's message, and line endings change. So both texts are
 * reduced to their *core* first (plain text, no quoted lines, no greeting line, no sign-off block), then
 * the draft's core is looked for inside the sent core. Only what is left after that is an edit.
 *
 * Outcomes: `sent_as_drafted` (the cores are equal up to whitespace, or the sent core is the draft plus
 * short framing lines such as a name or a company), `sent_edited`, and `replaced` (little of either text is
 * in the other: the agent wrote their own answer). The similarity is the same Levenshtein ratio as an API
 * approval's ({@link similarityRatio}), on the cores.
 */

import { normaliseWhitespace } from '../text/fold.ts'
import { htmlToPlainText } from '../text/html.ts'
import { words } from '../text/words.ts'
import { type ApprovalClassification, classifyApproval, similarityRatio } from './similarity.ts'

export type SentOutcome = 'sent_as_drafted' | 'sent_edited' | 'replaced'

export interface SentReplyComparison {
  outcome: SentOutcome
  /** Levenshtein similarity of the draft's core and the sent core (1 = unchanged). */
  similarity: number
  /** The sent reply as plain text (HTML and invisible characters removed, LF line endings). */
  plain: string
  /** The sent reply without greeting, sign-off and quoted text: what learning indexes. */
  core: string
  /** Classification for approved_replies (edited, kind, isCorrection, editSummary), on the cores. */
  review: ApprovalClassification
}

// Below both, the agent's text shares too little with the draft to call it an edit of it.
const REPLACED_MAX_SIMILARITY = 0.5
const REPLACED_MAX_OVERLAP = 0.25
// A framing line (name, title, company, "Support team") is short and not a sentence.
const FRAMING_MAX_CHARS = 60
const FRAMING_MAX_LINES = 3
const SIGNOFF_MAX_TAIL_LINES = 6

// Tags WHMCS's rich editor writes. `[^<>]*`, not `[^>]*`: a run of "<p" with no ">" is then scanned once.
const HTML_TAG = /<\/?(p|br|div|span|strong|em|b|i|u|ul|ol|li|blockquote|a|font|h[1-6])\b[^<>]*>/i
// Zero-width characters: Draftdesk's reply marker and tag, and what rich editors leave behind.
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF]/g

const GREETING =
  /^(hi|hello|hey|dear|greetings|good (morning|afternoon|evening|day)|hallo|guten (tag|morgen|abend)|sehr geehrte[rs]?|hola|buen(os|as) (d[ií]as|tardes|noches)|estimad[oa]|здравствуйте|добрый (день|вечер)|привет)\b/iu
const SIGNOFF =
  /^(best( regards| wishes)?|kind regards|warm regards|warmly|regards|many thanks|thanks( again| and regards)?|thank you|cheers|sincerely|yours( sincerely| truly)?|all the best|mit freundlichen gr(ü|ue)(ß|ss)en|viele gr(ü|ue)(ß|ss)e|beste gr(ü|ue)(ß|ss)e|saludos( cordiales)?|atentamente|с уважением|спасибо)[\s,.!]*$/iu
const SEPARATOR = /^(--|—|__+|-{3,})\s*$/
const QUOTE_HEADER =
  /^(on .{3,200} wrote:|am .{3,200} schrieb .{1,200}:|el .{3,200} escribi[oó]:|-{2,}\s*original message\s*-{2,})$/iu

/** Plain text with LF line endings, no invisible characters, trimmed lines and at most one blank line. */
export function plainReply(text: string): string {
  // Text without the editor's tags is left alone: "PHP 8.1 <for now>" is not markup.
  return (HTML_TAG.test(text) ? htmlToPlainText(text, { dropQuotes: true }) : text)
    .replace(INVISIBLE, '')
    .replace(/\r\n?/g, '\n')
    .replace(/\u00A0/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

const isFraming = (line: string) =>
  line.length <= FRAMING_MAX_CHARS && !(/[.?!]$/.test(line) && line.split(/\s+/).length >= 5)

/**
 * The core of a reply: plain text without quoted lines (`>` and what follows a "On … wrote:" header), the
 * greeting line at the top and the sign-off block at the bottom.
 */
export function replyCore(text: string): string {
  let lines = plainReply(text).split('\n')
  const header = lines.findIndex((l) => QUOTE_HEADER.test(l))
  if (header >= 0) lines = lines.slice(0, header)
  lines = lines.filter((l) => !l.startsWith('>'))
  while (lines.length > 0 && lines[0] === '') lines.shift()
  // "Hi Anna," alone on its line; a greeting that runs into the answer ("Hi, you can…") is content.
  if (lines.length > 1 && GREETING.test(lines[0]!) && lines[0]!.length <= FRAMING_MAX_CHARS) {
    const rest = lines[0]!.replace(GREETING, '').trim()
    if (rest === '' || /^[^.?!]*[,!:]$/.test(rest) || rest.split(/\s+/).length <= 3) lines.shift()
  }
  const nonEmpty = lines.filter((l) => l !== '').length
  const tailStart = Math.max(0, lines.length - SIGNOFF_MAX_TAIL_LINES - 1)
  for (let i = tailStart; i < lines.length; i++) {
    const line = lines[i]!
    if (!(SIGNOFF.test(line) || SEPARATOR.test(line))) continue
    const after = lines.slice(i + 1).filter((l) => l !== '')
    // Never strip the whole reply ("Thanks!" as the only line is the answer).
    if (after.length <= SIGNOFF_MAX_TAIL_LINES && after.every(isFraming) && nonEmpty - after.length > 1) {
      lines = lines.slice(0, i)
      break
    }
  }
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

/** Draft core found inside the sent core with only framing lines around it (a name, a company). */
function isDraftWithFraming(draftCore: string, sentCore: string): boolean {
  const at = sentCore.indexOf(draftCore)
  if (at < 0 || draftCore === '') return false
  const around = [sentCore.slice(0, at), sentCore.slice(at + draftCore.length)]
  return around.every((part) => {
    const lines = part.split('\n').filter((l) => l.trim() !== '')
    return lines.length <= FRAMING_MAX_LINES && lines.every((l) => isFraming(l.trim()))
  })
}

/** Share of word trigrams of `a` that also occur in `b` (1 when `a` has none). */
function trigramOverlap(a: string, b: string): number {
  const grams = (t: string) => {
    const w = words(t)
    const out = new Set<string>()
    for (let i = 0; i + 2 < w.length; i++) out.add(`${w[i]} ${w[i + 1]} ${w[i + 2]}`)
    return out
  }
  const ga = grams(a)
  if (ga.size === 0) return 1
  const gb = grams(b)
  let shared = 0
  for (const g of ga) if (gb.has(g)) shared++
  return shared / ga.size
}

/**
 * Compares the reply an agent sent with the draft that was pending for the customer message it answers.
 * Pure; see the module comment for the rules.
 */
export function compareSentReply(draft: string, sent: string): SentReplyComparison {
  const plain = plainReply(sent)
  const draftCore = replyCore(draft)
  const core = replyCore(sent) || plain
  const a = normaliseWhitespace(draftCore)
  const b = normaliseWhitespace(core)
  if (a === b || isDraftWithFraming(draftCore, core)) {
    // The framing lines around the draft (a name, a company) are not part of what learning should keep.
    return {
      outcome: 'sent_as_drafted',
      similarity: 1,
      plain,
      core: a === b ? core : draftCore,
      review: classifyApproval(draftCore),
    }
  }
  const similarity = similarityRatio(draftCore, core)
  const overlap = Math.max(trigramOverlap(draftCore, core), trigramOverlap(core, draftCore))
  const review = classifyApproval(draftCore, core)
  if (similarity < REPLACED_MAX_SIMILARITY && overlap < REPLACED_MAX_OVERLAP) {
    return {
      outcome: 'replaced',
      similarity,
      plain,
      core,
      // The agent's own answer teaches what the draft should have said, however similar in length.
      review: {
        ...review,
        kind: 'correction',
        isCorrection: true,
        editSummary: `Replaced: the agent sent their own answer instead of the draft.${review.editSummary ? `\n${review.editSummary}` : ''}`,
      },
    }
  }
  return { outcome: 'sent_edited', similarity, plain, core, review }
}
