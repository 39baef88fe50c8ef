/**
 * HTML from WHMCS (knowledge-base articles, staff replies from its rich editor) to text, in linear time:
 * the one converter of the chunker (shared/knowledge/chunk.ts) and the sent-reply comparison
 * (shared/review/sent-reply.ts).
 *
 * Both run htmlparser2's `Tokenizer`, a streaming state machine that looks at each character a bounded
 * number of times, and keep only counters and flags of their own. Not htmlparser2's `Parser`, nor a DOM:
 * the Parser keeps a stack of open elements that it searches on every end tag and shifts on every start
 * tag, which is quadratic on deeply nested or unbalanced markup (`<b>` × 50,000 then `</i>` × 50,000 took
 * seconds at 200 KB), and text extraction needs no tree. The tokenizer also gives what hand-written
 * regexes got wrong: `<script>`, `<style>` and the other raw-text elements run to their own end tag and
 * nothing else, an unfinished tag at the end is dropped as browsers drop it, and every character reference
 * is decoded by the `entities` package (all named ones; a numeric one out of Unicode's range, a surrogate
 * or NUL becomes U+FFFD instead of throwing).
 */
import { Tokenizer } from 'htmlparser2'

// Elements whose content is not text a reader sees. The tokenizer reads the raw-text ones (script, style,
// title, iframe, noembed, noframes, xmp) to their end tag; template can nest, hence a depth.
const HIDDEN = new Set(['script', 'style', 'title', 'template', 'iframe', 'noembed', 'noframes', 'xmp'])
const HEADING = /^h([1-6])$/
// Ends of blocks that become a paragraph break in Markdown.
const MARKDOWN_BLOCK_END = new Set([
  'p',
  'div',
  'ul',
  'ol',
  'table',
  'tr',
  'blockquote',
  'pre',
  'section',
  'article',
])
// Block starts and ends that also end a heading whose end tag is missing, so one stray `<h2>` does not
// make the rest of the article its title.
const BLOCKS = new Set([...MARKDOWN_BLOCK_END, 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'])
// Ends of blocks that end a line in plain text.
const TEXT_LINE_END = new Set(['p', 'div', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'])

/** What a converter does with the tokens; text arrives decoded, tag names lower-cased. */
interface Sink {
  text(text: string): void
  open(name: string): void
  close(name: string): void
}

/** Feeds `html` through the tokenizer into `sink`, skipping hidden elements and comments. */
function tokenize(html: string, sink: Sink): void {
  let pending = ''
  let hidden = 0
  const open = () => {
    if (HIDDEN.has(pending)) hidden++
    else if (hidden === 0) sink.open(pending)
  }
  const text = (value: string) => {
    if (hidden === 0 && value !== '') sink.text(value)
  }
  const ignore = () => {}
  const tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      onopentagname: (start, end) => {
        pending = html.slice(start, end).toLowerCase()
      },
      onopentagend: open,
      onselfclosingtag: open,
      onclosetag: (start, end) => {
        const name = html.slice(start, end).toLowerCase()
        if (HIDDEN.has(name)) hidden = Math.max(0, hidden - 1)
        else if (hidden === 0) sink.close(name)
      },
      ontext: (start, end) => text(html.slice(start, end)),
      // A no-break space is a space to everything downstream (sentence splits, the chunk hash).
      ontextentity: (codePoint) => text(codePoint === 0xa0 ? ' ' : String.fromCodePoint(codePoint)),
      onattribdata: ignore,
      onattribentity: ignore,
      onattribend: ignore,
      onattribname: ignore,
      oncdata: ignore,
      oncomment: ignore,
      ondeclaration: ignore,
      onprocessinginstruction: ignore,
      onend: ignore,
    },
  )
  tokenizer.write(html)
  tokenizer.end()
}

/**
 * HTML → the Markdown the chunker splits: `<h1>`–`<h6>` become `#` headings on a line of their own,
 * paragraphs and other blocks end with a blank line, list items start with `- `, `<br>` is a line break;
 * every other tag is dropped and its text kept, scripts and styles go entirely. Linear in the input.
 */
export function htmlToMarkdown(html: string): string {
  const out: string[] = []
  let heading: { level: number; text: string[] } | null = null
  const endHeading = () => {
    if (!heading) return
    const text = heading.text.join('').replace(/\s+/g, ' ').trim()
    out.push(text ? `\n\n${'#'.repeat(heading.level)} ${text}\n\n` : '\n\n')
    heading = null
  }
  tokenize(html, {
    text: (text) => {
      if (heading) heading.text.push(text)
      else out.push(text)
    },
    open: (name) => {
      if (name === 'br') {
        if (heading) heading.text.push(' ')
        else out.push('\n')
        return
      }
      if (BLOCKS.has(name)) endHeading()
      const level = HEADING.exec(name)?.[1]
      if (level) heading = { level: Number(level), text: [] }
      else if (name === 'li') out.push('\n- ')
    },
    close: (name) => {
      if (!BLOCKS.has(name)) return
      endHeading()
      if (MARKDOWN_BLOCK_END.has(name)) out.push('\n\n')
    },
  })
  endHeading()
  return out.join('')
}

/**
 * HTML → plain text as a reader sees it in a mail: `<br>` and the ends of paragraphs, divs, list items and
 * headings are line breaks, list items start with `- `, every other tag is dropped and its text kept.
 * With `dropQuotes`, `<blockquote>` elements (the quoted message of a reply) are left out with everything
 * in them, nested or not; one left open hides the rest, as it would in a mail client. Linear in the input.
 */
export function htmlToPlainText(html: string, options: { dropQuotes?: boolean } = {}): string {
  const out: string[] = []
  let quoted = 0
  tokenize(html, {
    text: (text) => {
      if (quoted === 0) out.push(text)
    },
    open: (name) => {
      if (options.dropQuotes && name === 'blockquote') {
        if (quoted++ === 0) out.push('\n')
      } else if (quoted > 0) return
      else if (name === 'br') out.push('\n')
      else if (name === 'li') out.push('- ')
    },
    close: (name) => {
      if (options.dropQuotes && name === 'blockquote') quoted = Math.max(0, quoted - 1)
      else if (quoted === 0 && TEXT_LINE_END.has(name)) out.push('\n')
    },
  })
  return out.join('')
}
