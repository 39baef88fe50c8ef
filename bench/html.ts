/**
 * The HTML module (shared/text/html.ts) and its two users on pathological and on normal markup, at 50, 100
 * and 200 KB (issue 26). Run: `npm run bench -- html` (or `npx tsx bench/html.ts`). No database.
 *
 * Each input is converted by `htmlToMarkdown` (what the chunker runs) and `htmlToPlainText` (the
 * sent-reply core), then run through the whole `chunkDocument` and `compareSentReply` against a short
 * draft. The time must grow linearly: the last column, 200 KB over 50 KB, stays near 4 (the regex
 * converters this replaced were near 16 and took tens of seconds at 200 KB).
 */

import { chunkDocument } from '#shared/knowledge/chunk'
import { compareSentReply } from '#shared/review/sent-reply'
import { htmlToMarkdown, htmlToPlainText } from '#shared/text/html'
import { type Measure, quantile, record, table } from './lib.ts'

const KB = 1024
const SIZES = [50, 100, 200] as const
const RUNS = 5
const DRAFT =
  'Your site returns HTTP 500 because the new PHP version disabled the ionCube loader. Open cPanel, go to ' +
  'Select PHP Version and enable the ioncube_loader extension. [1]\n\nThe site works again within a minute.'

/** `unit` repeated to `size` characters. */
const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)

/** A WHMCS knowledge-base article as its editor writes it, repeated to the size. */
const WHMCS_ARTICLE =
  '<h2>Setting up e-mail in Outlook</h2><p>Open <strong>File</strong> &rsaquo; <em>Add Account</em> and ' +
  'enter your address.&nbsp;Choose <a href="https://example.com/imap">IMAP</a>.</p><ul><li>Incoming: ' +
  'mail.example.com, port 993, SSL</li><li>Outgoing: mail.example.com, port 465, SSL</li></ul><table>' +
  '<tr><td>IMAP</td><td>993</td></tr><tr><td>SMTP</td><td>465</td></tr></table><p>Still stuck? Open a ' +
  'ticket &amp; attach a screenshot.<br/>We answer within one business day.</p>'

const cases: Record<string, (size: number) => string> = {
  '"<a" repeated': (size) => `<p>Intro</p>${fill('<a', size)}`,
  'unclosed <blockquote>': (size) => `<p>Hi Anna,</p><p>Done.</p><blockquote>${fill('quoted text ', size)}`,
  'unclosed <script>': (size) => `<p>Intro</p><script>${fill('var a = "<p>x</p>"; ', size)}`,
  '"&#" runs': (size) => `<p>${fill('&#', size)}</p>`,
  'out-of-range &#N;': (size) => `<p>${fill('&#99999999999;', size)}</p>`,
  'deep nesting': (size) => `${fill('<div><b>', size / 2)}Intro${fill('</span></i>', size / 2)}`,
  'WHMCS article': (size) => fill(WHMCS_ARTICLE, size),
}

const steps: Record<string, (html: string) => unknown> = {
  markdown: htmlToMarkdown,
  plain: (html) => htmlToPlainText(html, { dropQuotes: true }),
  chunkDocument: (html) => chunkDocument({ title: 'Bench', content: html }),
  compareSentReply: (html) => compareSentReply(DRAFT, html),
}

/** Median milliseconds of RUNS calls of `fn(input)`, after one warm-up call. */
function time(fn: (input: string) => unknown, input: string): number {
  fn(input)
  const samples: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    fn(input)
    samples.push(performance.now() - started)
  }
  return quantile(samples, 0.5)
}

// Warm the JIT on every step first, so the first case's 50 KB is not timed as compilation.
for (const fn of Object.values(steps)) for (let i = 0; i < 3; i++) fn(fill(WHMCS_ARTICLE, 100 * KB))

const rows: Record<string, string | number>[] = []
for (const [name, make] of Object.entries(cases)) {
  for (const [step, fn] of Object.entries(steps)) {
    const times = SIZES.map((size) => time(fn, make(size * KB)))
    record(
      ...SIZES.map(
        (size, i): Measure => ({
          case: `${name}, ${size} KB`,
          metric: step,
          value: times[i]!,
          unit: 'ms',
          better: 'lower',
        }),
      ),
    )
    rows.push({
      case: name,
      step,
      ...Object.fromEntries(SIZES.map((size, i) => [`${size} KB (ms)`, times[i]!.toFixed(1)])),
      '200/50': (times[2]! / Math.max(times[0]!, 0.01)).toFixed(1),
    })
  }
}
table(rows)
