/**
 * Structure-aware chunking of knowledge-base articles for embedding (docs/ARCHITECTURE.md).
 *
 * Articles are split on Markdown headings (HTML from WHMCS is first turned into the same shape), then on
 * paragraphs, and only oversized paragraphs are cut further — by lines, sentences, and as a last resort
 * words — so a chunk rarely starts mid-thought. Pieces are packed to about `targetTokens`; consecutive
 * chunks of one section share up to `overlapTokens` of trailing sentences so an answer that straddles the
 * cut is still retrievable. Every chunk starts with "Title › Heading › Subheading": a passage like
 * "Click Save." means nothing to a retriever without the article it came from.
 */
import { createHash } from 'node:crypto'
import { htmlToMarkdown } from '#shared/text/html'
import { estimateTokens, splitSentences } from '#shared/text/words'

export interface ChunkSource {
  title: string
  /** Markdown (preferred) or HTML. */
  content: string
}

export interface ChunkOptions {
  /** Size the packer aims for. Default 400. */
  targetTokens?: number
  /** Hard ceiling per chunk, title line included. Default 500. */
  maxTokens?: number
  /** Trailing text of a chunk repeated at the start of the next one in the same section. Default 60. */
  overlapTokens?: number
}

export interface Chunk {
  index: number
  /** Heading path inside the article ("Setup › DNS"), or null for text before the first heading. */
  heading: string | null
  text: string
  /** SHA-256 (hex) of the whitespace-normalised text: the dedup key per tenant. */
  hash: string
  tokens: number
}

/** Whitespace-normalised form that the hash is taken over, so re-indenting an article changes nothing. */
export function normaliseForHash(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim()
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

// Opening tags of the blocks a WHMCS article is made of. `[^<>]*` rather than `[^>]*`: a run of "<p" with no
// ">" would otherwise be rescanned to its end from every "<p", quadratic in the article's length.
const looksLikeHtml = (text: string) => /<(?:p|h[1-6]|br|div|ul|ol|li|table)\b[^<>]*>/i.test(text)

/**
 * An ATX heading line ("## Setup ##", up to three spaces in front) as its level and text, or null.
 * A closing run of `#` is dropped when a space precedes it ("## C#" keeps its "#"). Written out instead of
 * `/^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/`, whose `\s*#*\s*` can split a run of spaces in cubically many ways:
 * a 4 KB heading line of spaces took minutes.
 */
export function markdownHeading(line: string): { level: number; text: string } | null {
  let at = 0
  while (at < 3 && line[at] === ' ') at++
  let level = 0
  while (level < 7 && line[at + level] === '#') level++
  if (level === 0 || level > 6 || !/\s/.test(line[at + level] ?? '')) return null
  let text = line.slice(at + level).trim()
  let hashes = text.length
  while (hashes > 0 && text[hashes - 1] === '#') hashes--
  if (hashes < text.length && (hashes === 0 || /\s/.test(text[hashes - 1]!)))
    text = text.slice(0, hashes).trim()
  return text ? { level, text } : null
}

interface Section {
  path: string[]
  blocks: string[]
}

/**
 * Splits Markdown into sections by ATX headings ("## Title"), each with its heading path and its blocks
 * (paragraphs, lists, fenced code). Headings inside code fences are code, not structure. A first heading
 * that repeats the article title is dropped from the path, since the title is prefixed anyway.
 */
function parseSections(markdown: string, title: string): Section[] {
  const sections: Section[] = [{ path: [], blocks: [] }]
  const stack: Array<{ level: number; text: string }> = []
  let paragraph: string[] = []
  let fence: string | null = null
  const endParagraph = () => {
    const block = paragraph.join('\n').trim()
    if (block) sections.at(-1)?.blocks.push(block)
    paragraph = []
  }
  for (const line of markdown.split('\n')) {
    if (fence) {
      paragraph.push(line)
      if (line.trim().startsWith(fence)) {
        fence = null
        endParagraph()
      }
      continue
    }
    const opening = /^\s*(`{3,}|~{3,})/.exec(line)
    if (opening?.[1]) {
      endParagraph()
      fence = opening[1]
      paragraph.push(line)
      continue
    }
    const heading = markdownHeading(line)
    if (heading) {
      endParagraph()
      const { level } = heading
      const text = heading.text.replace(/[*_`]/g, '').trim()
      while ((stack.at(-1)?.level ?? 0) >= level) stack.pop()
      stack.push({ level, text })
      const path = stack.map((h) => h.text)
      if (path[0]?.toLowerCase() === title.toLowerCase()) path.shift()
      sections.push({ path, blocks: [] })
      continue
    }
    if (line.trim() === '') endParagraph()
    else paragraph.push(line)
  }
  endParagraph()
  return sections.filter((s) => s.blocks.length > 0)
}

/** A packable piece of a section; `joiner` goes before it when it is not the first in its chunk. */
interface Unit {
  text: string
  joiner: string
  tokens: number
  /** Repeated from the previous chunk as overlap, not new content. */
  carried?: boolean
}

const unit = (text: string, joiner: string): Unit => ({ text, joiner, tokens: estimateTokens(joiner + text) })

/** Greedy word windows for a "sentence" with no usable boundary (a long URL list, a log line). */
function wordWindows(text: string, max: number): string[] {
  const windows: string[] = []
  let current = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    // A single word longer than the budget (a base64 blob) is sliced, since nothing else can split it.
    const pieces = word.length / 4 > max ? (word.match(new RegExp(`.{1,${max * 4}}`, 'gsu')) ?? []) : [word]
    for (const piece of pieces) {
      const next = current ? `${current} ${piece}` : piece
      if (current && estimateTokens(next) > max) {
        windows.push(current)
        current = piece
      } else current = next
    }
  }
  if (current) windows.push(current)
  return windows
}

/** Cuts a block into units of at most `max` tokens: whole if it fits, else by lines, sentences, words. */
function toUnits(text: string, max: number, joiner: string): Unit[] {
  if (estimateTokens(joiner + text) <= max) return [unit(text, joiner)]
  let parts: string[]
  let inner: string
  if (text.includes('\n')) {
    parts = text.split('\n').filter((l) => l.trim())
    inner = '\n'
  } else {
    const sentences = splitSentences(text)
    parts = sentences.length > 1 ? sentences : wordWindows(text, max - 1)
    inner = ' '
  }
  return parts.flatMap((part, i) => toUnits(part, max, i === 0 ? joiner : inner))
}

/** The last sentences of `units` that fit in `budget` tokens (or, failing that, the last words). */
function overlapTail(units: Unit[], budget: number): Unit[] {
  if (budget <= 0) return []
  const tail: string[] = []
  let used = 0
  for (const u of [...units].reverse()) {
    const sentences = splitSentences(u.text)
    let complete = true
    for (const sentence of sentences.reverse()) {
      const cost = estimateTokens(` ${sentence}`)
      if (used + cost > budget) {
        complete = false
        break
      }
      tail.unshift(sentence)
      used += cost
    }
    if (!complete) break
  }
  if (tail.length === 0) {
    const lastWords = (units.at(-1)?.text ?? '').split(/\s+/).filter(Boolean)
    const take: string[] = []
    while (lastWords.length > 0 && estimateTokens([lastWords.at(-1), ...take].join(' ')) <= budget) {
      take.unshift(lastWords.pop() ?? '')
    }
    if (take.length > 0) tail.push(take.join(' '))
  }
  return tail.length > 0 ? [{ ...unit(tail.join(' '), ''), carried: true }] : []
}

/**
 * Packs units into chunk bodies: up to `target` tokens, or up to `max` while the chunk is still under three
 * quarters of the target (to avoid runt chunks). Each new chunk starts with the previous one's overlap tail.
 */
function pack(units: Unit[], target: number, max: number, overlap: number): string[] {
  const bodies: string[] = []
  let current: Unit[] = []
  let size = 0
  const render = () => current.map((u, i) => (i === 0 ? u.text : u.joiner + u.text)).join('')
  for (const next of units) {
    const hasNew = current.some((u) => !u.carried)
    const overflows = size + next.tokens > max || (size + next.tokens > target && size >= target * 0.75)
    if (hasNew && overflows) {
      bodies.push(render())
      current = overlapTail(current, Math.min(overlap, max - next.tokens))
      size = current.reduce((sum, u) => sum + u.tokens, 0)
    } else if (!hasNew && overflows) {
      // Only overlap so far and the next unit does not fit beside it: drop the overlap, keep the content.
      current = []
      size = 0
    }
    current.push(next)
    size += next.tokens
  }
  if (current.some((u) => !u.carried)) bodies.push(render())
  return bodies
}

/**
 * Splits an article into retrieval chunks, deterministically. See the module comment for the strategy.
 * Each chunk's `text` is "Title › Heading path", a blank line, then the body; `tokens` is estimated with
 * `estimateTokens` and stays within `maxTokens` unless the title path alone takes more than half of it.
 */
export function chunkDocument(source: ChunkSource, options: ChunkOptions = {}): Chunk[] {
  const { targetTokens = 400, maxTokens = 500, overlapTokens = 60 } = options
  if (!(maxTokens >= targetTokens && targetTokens > overlapTokens && overlapTokens >= 0)) {
    throw new RangeError('chunkDocument needs maxTokens >= targetTokens > overlapTokens >= 0')
  }
  const title = source.title.replace(/\s+/g, ' ').trim()
  const raw = source.content.replace(/\r\n?/g, '\n')
  const markdown = looksLikeHtml(raw) ? htmlToMarkdown(raw) : raw

  const chunks: Chunk[] = []
  for (const section of parseSections(markdown, title)) {
    const heading = section.path.length > 0 ? section.path.join(' › ') : null
    const prefix = [title, ...section.path].filter(Boolean).join(' › ')
    // The prefix is paid in every chunk of the section; the body gets what is left (at least half).
    const prefixTokens = estimateTokens(`${prefix}\n\n`)
    const bodyMax = Math.max(maxTokens - prefixTokens, Math.ceil(maxTokens / 2))
    const bodyTarget = Math.min(Math.max(targetTokens - prefixTokens, Math.ceil(targetTokens / 2)), bodyMax)
    const units = section.blocks.flatMap((block) => toUnits(block, bodyMax, '\n\n'))
    for (const body of pack(units, bodyTarget, bodyMax, overlapTokens)) {
      const text = prefix ? `${prefix}\n\n${body}` : body
      chunks.push({
        index: chunks.length,
        heading,
        text,
        hash: sha256(normaliseForHash(text)),
        tokens: estimateTokens(text),
      })
    }
  }
  return chunks
}
