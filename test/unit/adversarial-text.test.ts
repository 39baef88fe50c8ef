/**
 * Every function that runs regular expressions over untrusted text (ticket messages, staff replies, KB
 * articles and uploads, model output), run on 200 KB of input shaped to make a backtracking pattern
 * rescan it: long runs of blanks, digits or markers with no match at the end. The patterns that did
 * (the chunker's and kb-markdown's heading patterns, cubic; the no-answer marker, the citation pattern,
 * the price pattern, PII span merging, quadratic) never finished or took seconds here; the others are
 * kept as a guard. Output is checked, not time: a superlinear regression shows up as a hang.
 */
import { describe, expect, it } from 'vitest'
import { answersKinds } from '#shared/ai/answer-type'
import { detectIntent } from '#shared/drafts/intent'
import { takeNoAnswerMarker } from '#shared/drafts/prompt'
import { chunkDocument } from '#shared/knowledge/chunk'
import { parseMarkdownArticle } from '#shared/knowledge/markdown'
import { compareSentReply, replyCore } from '#shared/review/sent-reply'
import { extractCitations } from '#shared/text/citations'
import { sentences } from '#shared/text/fold'
import { detectLanguage } from '#shared/text/language'
import { maskPii } from '#shared/text/pii'
import { contentTerms, estimateTokens, splitSentences, words } from '#shared/text/words'
import { evaluateEscalation } from '#shared/trust/escalation'
import { questionSentences } from '#shared/trust/unmentioned'

const KB200 = 200_000
/** `unit` repeated to `size` characters. */
const fill = (unit: string, size = KB200) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
const BLANKS = fill(' ')

describe('Markdown headings', () => {
  it('the chunker reads a heading line of 200 KB of blanks as one heading', () => {
    // Act
    const chunks = chunkDocument({ title: 'Odd', content: `# a${BLANKS}b\n\nBody.\n\n## c${fill(' #')}` })
    // Assess
    expect(chunks).toHaveLength(1)
    expect(chunks[0]!.heading?.replace(/\s+/g, ' ')).toBe('a b')
    expect(chunks[0]!.text.endsWith('\n\nBody.')).toBe(true)
  })

  it('kb-markdown reads an upload whose first heading holds 180 KB of blanks', () => {
    // Prepare: the heading is looked for even when the front matter names the title.
    const blanks = fill(' ', 90_000)
    const upload = (frontMatter: string) => `${frontMatter}# a${blanks}b${blanks}c\n\nBody.`
    // Act / Assess
    expect(parseMarkdownArticle('odd.md', upload('---\ntitle: Odd\n---\n')).title).toBe('Odd')
    expect(() => parseMarkdownArticle('odd.md', upload(''))).toThrow(/odd\.md: not a valid article/)
    expect(parseMarkdownArticle('odd.md', `#${blanks}Padded${blanks}#\n\nBody.`).title).toBe('Padded')
  })

  it('keeps a "#" that belongs to the heading text and drops a closing sequence', () => {
    const [chunk] = chunkDocument({ title: 'Languages', content: '## C# and F# ##\n\nBoth run on .NET.' })
    expect(chunk!.heading).toBe('C# and F#')
  })
})

describe('Model output', () => {
  it('takeNoAnswerMarker leaves 200 KB of blanks without a marker alone and finds one after them', () => {
    // Prepare
    const plain = `Answer.${BLANKS}x`
    // Act / Assess
    expect(takeNoAnswerMarker(plain)).toEqual({ reply: plain, noAnswer: false })
    expect(takeNoAnswerMarker(`Answer.${BLANKS}[NO_ANSWER] [no answer]:`)).toEqual({
      reply: 'Answer.',
      noAnswer: true,
    })
  })

  it('extractCitations leaves 200 KB of blanks alone and removes an unknown citation with its blanks', () => {
    // Act
    const kept = extractCitations(`See${BLANKS}x [1]`, [1])
    const removed = extractCitations(`See${fill(' \t')}[9].`, [1])
    // Assess
    expect(kept).toEqual({ cited: [1], unknown: [], cleanedReply: `See${BLANKS}x [1]` })
    expect(removed).toEqual({ cited: [], unknown: [9], cleanedReply: 'See.' })
  })
})

describe('Customer and agent text', () => {
  it('answersKinds finds no price in 200 KB of digits without a currency, and one with it', () => {
    expect(answersKinds(`${fill('1')}x`, ['price'])).toBe(0)
    expect(answersKinds(`${fill('1')} usd`, ['price'])).toBe(1)
  })

  it('maskPii masks 200 KB of digit groups as one repeated phone number', () => {
    // Act
    const { masked, vault } = maskPii(fill('+49 30 1234567 '))
    // Assess
    expect(vault.size).toBe(1)
    expect(masked.replace(/\[PHONE_1\]/g, '').trim()).toMatch(/^[\s\d+]*$/)
    expect(masked).not.toMatch(/1234567/)
  })

  it('maskPii keeps the first detector that claims a span (a secret over the e-mail inside it)', () => {
    const { masked } = maskPii(`${'a@b.example '.repeat(4_000)}password: a@b.example`)
    expect(masked.endsWith('password: [SECRET_1]')).toBe(true)
    expect(masked.startsWith('[EMAIL_1] [EMAIL_1]')).toBe(true)
  })

  it.each([
    ['blanks', `a${BLANKS}x`],
    ['line breaks', fill('-\n')],
    ['digits', `${fill('1')}x`],
    ['full stops', `${fill('.')}x`],
    ['at signs', fill('a@')],
    ['quotes', fill("a'")],
    ['sentences', fill('A. ')],
    ['quote markers', fill('> a\n')],
    ['password labels', fill('password a ')],
  ])('the text primitives, escalation, intent and language read 200 KB of %s', (_label, text) => {
    // Act / Assess: each returns what it returns on any text, in linear time.
    expect(words(text).length).toBeLessThanOrEqual(text.length)
    expect(contentTerms(text).length).toBeLessThanOrEqual(text.length)
    expect(splitSentences(text).join('').length).toBeLessThanOrEqual(text.length)
    expect(sentences(text).join('').length).toBeLessThanOrEqual(text.length)
    expect(questionSentences(text).length).toBeLessThanOrEqual(text.length)
    expect(estimateTokens(text)).toBeGreaterThan(0)
    expect(evaluateEscalation({ subject: 'x', text, bestRetrievalScore: 1 }).escalate).toBe(false)
    expect(typeof detectIntent(text)).toBe('string')
    expect(detectLanguage(text).language).toMatch(/^[a-z]{2}$/)
    expect(replyCore(text).length).toBeLessThanOrEqual(text.length)
  })
})

describe('Function: compareSentReply on a 200 KB staff reply', () => {
  const DRAFT = 'Restart Apache from the panel. Wait a minute. Then reload the page.'

  it('calls a reply of 200 KB of other text replaced, and summarises it without pairing every sentence', () => {
    // Act
    const result = compareSentReply(DRAFT, fill('A. '))
    // Assess
    expect(result.outcome).toBe('replaced')
    expect(result.similarity).toBeLessThan(0.01)
    expect(result.review.editSummary).toBe(
      [
        'Replaced: the agent sent their own answer instead of the draft.',
        'Added 66667 sentences: "A."; "A."; "A."; and 66664 more',
        'Removed 3 sentences: "Restart Apache from the panel."; "Wait a minute."; "Then reload the page."',
      ].join('\n'),
    )
  })
})
