/**
 * The one HTML module (shared/text/html.ts) and its two users, the chunker and the sent-reply core: what
 * they make of ordinary WHMCS markup, and of 200 KB of pathological markup, which the regex converters it
 * replaced took tens of seconds on (or threw on). These tests check the output only; bench/html.ts
 * measures the time.
 */
import { describe, expect, it } from 'vitest'
import { chunkDocument } from '#shared/knowledge/chunk'
import { plainReply, replyCore } from '#shared/review/sent-reply'
import { htmlToMarkdown, htmlToPlainText } from '#shared/text/html'

const KB200 = 200_000
/** `unit` repeated to `size` characters. */
const fill = (unit: string, size = KB200) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)

describe('Function: htmlToMarkdown', () => {
  it('turns headings, paragraphs, list items and line breaks into the Markdown the chunker splits', () => {
    // Act
    const markdown = htmlToMarkdown(
      '<h1 class="t">Email <em>setup</em></h1><p>Use port <b>993</b>.<br/>Or 143.</p>' +
        '<ul><li>Outlook</li><li>Thunderbird</li></ul><h3>Multi\nline</h3><pre>a\n  b</pre>',
    )
    // Assess
    expect(markdown).toBe(
      '\n\n# Email setup\n\nUse port 993.\nOr 143.\n\n\n- Outlook\n- Thunderbird\n\n\n\n### Multi line\n\n' +
        'a\n  b\n\n',
    )
  })

  it('drops scripts, styles, comments and the document title, and keeps their neighbours', () => {
    // Act
    const markdown = htmlToMarkdown(
      '<html><head><title>KB</title><style>p { color: red }</style></head><body><p>Before</p>' +
        '<script>document.write("<p>not text</p>")</script><!-- note --><p>After</p></body></html>',
    )
    // Assess
    expect(markdown).toBe('Before\n\nAfter\n\n')
  })

  it('ends a heading whose end tag is missing at the next block, not at the end of the article', () => {
    expect(htmlToMarkdown('<h2>Billing<p>Pay by card.</p>')).toBe('\n\n## Billing\n\nPay by card.\n\n')
  })

  it('decodes every entity the entities package knows; out-of-range, surrogate and NUL references become U+FFFD', () => {
    // Act
    const markdown = htmlToMarkdown(
      '<p>&lt;port&gt; &amp; &quot;x&quot; &apos;y&apos; &copy; &hellip; &#x2014; &#33;&nbsp;|' +
        ' &#99999999999; &#xD800; &#0; &unknown;</p>',
    )
    // Assess
    expect(markdown).toBe('<port> & "x" \'y\' © … — ! | \uFFFD \uFFFD \uFFFD &unknown;\n\n')
  })
})

describe('Function: htmlToPlainText', () => {
  it('keeps line breaks and list items, and drops quoted messages when asked, nested ones included', () => {
    // Prepare
    const html =
      '<div>Hello,<br>done:</div><ul><li>one</li></ul><blockquote>On Mon <blockquote>older</blockquote>' +
      ' Anna wrote</blockquote><p>Jane</p>'
    // Act / Assess
    expect(htmlToPlainText(html, { dropQuotes: true })).toBe('Hello,\ndone:\n- one\n\nJane\n')
    expect(htmlToPlainText(html)).toBe('Hello,\ndone:\n- one\nOn Mon older Anna wroteJane\n')
  })
})

describe('Pathological markup, 200 KB', () => {
  it.each([
    ['"<a" repeated', `<p>Intro</p>${fill('<a')}`, 'Intro'],
    ['"<p" repeated', `<p>Intro</p>${fill('<p')}`, 'Intro'],
    ['an unclosed <script>', `<p>Intro</p><script>${fill('var a = "<p>x</p>"; ')}`, 'Intro'],
    ['an unclosed <style>', `<p>Intro</p><style>${fill('p { color: red } ')}`, 'Intro'],
    ['a run of "&#"', `<p>Intro ${fill('&#')}</p>`, `Intro ${fill('&#')}`],
    ['an unclosed comment', `<p>Intro</p><!--${fill('-')}`, 'Intro'],
    ['one tag with 50,000 attributes', `<p>Intro</p><p ${fill('a=b ')}`, 'Intro'],
    [
      'deep nesting closed by other tags',
      `${fill('<div>', KB200 / 2)}Intro${fill('</span>', KB200 / 2)}`,
      'Intro',
    ],
  ])('the chunker and the sent-reply core read %s as its text', (_label, html, text) => {
    // Act
    const chunks = chunkDocument({ title: 'Odd', content: html })
    const plain = plainReply(html)
    // Assess
    expect(chunks.map((c) => c.text)).toEqual(
      // A text with no break is cut into word windows; all that matters here is that nothing else comes in.
      chunkDocument({ title: 'Odd', content: text }).map((c) => c.text),
    )
    expect(plain).toBe(text)
  })

  it('keeps the text before an unclosed <blockquote> in the sent-reply core, and drops the quote', () => {
    // Prepare
    const sent = `<p>Hi Anna,</p><p>Your site is back online.</p><blockquote>${fill('quoted text ')}`
    // Act / Assess
    expect(replyCore(sent)).toBe('Your site is back online.')
  })

  it('chunks an article of out-of-range numeric references instead of throwing', () => {
    // Act
    const chunks = chunkDocument({ title: 'Odd', content: `<p>${'&#99999999999;'.repeat(1_500)}</p>` })
    // Assess
    expect(chunks.length).toBeGreaterThan(0)
    expect(chunks.every((c) => /^Odd\n\n[\uFFFD ]+$/.test(c.text))).toBe(true)
  })
})
