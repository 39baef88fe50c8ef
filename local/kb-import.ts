/**
 * `npm run kb:import -- <folder> [options]`: imports a folder of Markdown articles (front matter: title,
 * category, tags, active) into a tenant's knowledge base through a running Draftdesk (`POST /kb/import`),
 * with a progress bar. Articles are upserted by title, so running it again after editing a few files
 * updates only those. With `--wait` it also follows indexing until every article is searchable.
 *
 *   --url <base URL>                Draftdesk base URL (env DRAFTDESK_URL; else, like the runtime,
 *                                   PUBLIC_URL or http://127.0.0.1:<PORT>, PORT default 3000)
 *   --tenant <slug>                 tenant to log in to (env DRAFTDESK_TENANT)
 *   --email <e> --password <p>      user login (env DRAFTDESK_EMAIL, DRAFTDESK_PASSWORD)
 *   --api-key <key>                 or an admin API key (env DRAFTDESK_API_KEY)
 *   --global                        import as global articles (superadmin)
 *   --batch <n>                     articles per request, default 100 (the server takes up to 500)
 *   --wait                          wait until the imported articles are indexed
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { MAX_IMPORT_ARTICLES } from '#shared/api/kb'
import { type Config, parseConfig, parseKbImportEnv } from '#shared/config'
import type { ArticleInput } from '#shared/knowledge/articles'
import { parseMarkdownArticle } from '#shared/knowledge/markdown'

/** Stay under the API's 1 MiB body limit with room for JSON escaping. */
const MAX_BATCH_BYTES = 900 * 1024

const USAGE =
  'usage: npm run kb:import -- <folder> [--tenant slug] [--url http://127.0.0.1:$PORT] ' +
  '[--email e --password p | --api-key k] [--global] [--batch n] [--wait]'

class CliError extends Error {}

interface Options {
  folder: string
  url: string
  tenant?: string
  email?: string
  password?: string
  apiKey?: string
  global: boolean
  batch: number
  wait: boolean
}

/**
 * The Draftdesk to import into: `--url`, else `DRAFTDESK_URL`, else where a runtime started with the same
 * environment answers: `PUBLIC_URL` when set, else `npm start`'s own address, 127.0.0.1 on `PORT`.
 * @internal
 */
export function targetUrl(
  flag: string | undefined,
  env: { DRAFTDESK_URL?: string } & Pick<Config, 'PUBLIC_URL' | 'PORT'>,
): string {
  const url = flag ?? env.DRAFTDESK_URL ?? env.PUBLIC_URL
  if (url) return url.replace(/\/+$/, '')
  // PORT=0 lets the runtime pick any free port; only the runtime knows which one it got.
  if (env.PORT === 0) {
    throw new CliError('PORT is 0 (any free port): give --url with the port Draftdesk printed')
  }
  return `http://127.0.0.1:${env.PORT}`
}

/** The CLI's variables and the runtime's PORT and PUBLIC_URL; a bad value is a usage error, not a crash. */
function environment() {
  try {
    const { PORT, PUBLIC_URL } = parseConfig()
    return { env: parseKbImportEnv(), PORT, PUBLIC_URL }
  } catch (error) {
    throw new CliError((error as Error).message)
  }
}

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      tenant: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      'api-key': { type: 'string' },
      global: { type: 'boolean', default: false },
      batch: { type: 'string' },
      wait: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help || positionals.length !== 1) throw new CliError(USAGE)
  const batch = Number(values.batch ?? 100)
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_IMPORT_ARTICLES) {
    throw new CliError(`--batch must be an integer from 1 to ${MAX_IMPORT_ARTICLES}`)
  }
  const { env, PORT, PUBLIC_URL } = environment()
  const options: Options = {
    folder: positionals[0]!,
    url: targetUrl(values.url, { DRAFTDESK_URL: env.DRAFTDESK_URL, PUBLIC_URL, PORT }),
    tenant: values.tenant ?? env.DRAFTDESK_TENANT,
    email: values.email ?? env.DRAFTDESK_EMAIL,
    password: values.password ?? env.DRAFTDESK_PASSWORD,
    apiKey: values['api-key'] ?? env.DRAFTDESK_API_KEY,
    global: values.global,
    batch,
    wait: values.wait,
  }
  if (!options.apiKey && !(options.tenant && options.email && options.password)) {
    throw new CliError(`give --api-key, or --tenant with --email and --password\n${USAGE}`)
  }
  return options
}

/** Markdown files under `dir`, recursively, in a stable order. */
async function markdownFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((e) => e.isFile() && /\.(md|markdown)$/i.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

/** Splits articles into requests of at most `size` articles and MAX_BATCH_BYTES of JSON. */
export function batches(articles: ArticleInput[], size: number): ArticleInput[][] {
  const out: ArticleInput[][] = []
  let current: ArticleInput[] = []
  let bytes = 0
  for (const article of articles) {
    const cost = Buffer.byteLength(JSON.stringify(article)) + 1
    if (current.length > 0 && (current.length >= size || bytes + cost > MAX_BATCH_BYTES)) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(article)
    bytes += cost
  }
  if (current.length > 0) out.push(current)
  return out
}

async function api<T>(
  options: Options,
  auth: Record<string, string>,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${options.url}${path}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch((error: Error) => {
    throw new CliError(`cannot reach Draftdesk at ${options.url}: ${error.message}`)
  })
  const text = await res.text()
  const parsed = text
    ? (JSON.parse(text) as T & { error?: { message: string; details?: unknown } })
    : ({} as T)
  if (!res.ok) {
    const error = (parsed as { error?: { message: string; details?: unknown } }).error
    throw new CliError(
      `${method} ${path} failed with HTTP ${res.status}: ${error?.message ?? text}` +
        (error?.details ? `\n${JSON.stringify(error.details, null, 2)}` : ''),
    )
  }
  return parsed
}

async function authenticate(options: Options): Promise<Record<string, string>> {
  if (options.apiKey) return { 'x-api-key': options.apiKey }
  const { token } = await api<{ token: string }>(options, {}, 'POST', '/auth/login', {
    tenant: options.tenant,
    email: options.email,
    password: options.password,
  })
  return { authorization: `Bearer ${token}` }
}

interface ImportResponse {
  created: number
  updated: number
  unchanged: number
  items: Array<{ id: number; title: string; status: string }>
}

/** Polls the article list until every id is indexed (or failed), moving a second bar. */
async function waitForIndexing(options: Options, auth: Record<string, string>, ids: Set<number>) {
  const bar = new cliProgress.SingleBar(
    { format: 'indexing  [{bar}] {value}/{total} articles | {failed} failed', hideCursor: true },
    cliProgress.Presets.shades_classic,
  )
  bar.start(ids.size, 0, { failed: 0 })
  const deadline = Date.now() + 30 * 60_000
  const failed = new Map<number, string>()
  try {
    while (Date.now() < deadline) {
      let indexed = 0
      let cursor: string | null = null
      do {
        const page: {
          items: Array<{ id: number; isIndexed: boolean; indexError: string | null; title: string }>
          nextCursor: string | null
        } = await api(options, auth, 'GET', `/kb/articles?limit=200${cursor ? `&cursor=${cursor}` : ''}`)
        for (const a of page.items.filter((x) => ids.has(x.id))) {
          if (a.isIndexed) indexed++
          else if (a.indexError) failed.set(a.id, `${a.title}: ${a.indexError}`)
        }
        cursor = page.nextCursor
      } while (cursor)
      bar.update(indexed, { failed: failed.size })
      if (indexed + failed.size >= ids.size) break
      await new Promise((r) => setTimeout(r, 1_000))
    }
  } finally {
    bar.stop()
  }
  return failed
}

export async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv)
  const files = await markdownFiles(options.folder).catch((error: Error) => {
    throw new CliError(`cannot read ${options.folder}: ${error.message}`)
  })
  if (files.length === 0) throw new CliError(`no .md files under ${options.folder}`)

  const articles: ArticleInput[] = []
  const skipped: string[] = []
  for (const file of files) {
    const name = relative(options.folder, file)
    try {
      articles.push(parseMarkdownArticle(name, await readFile(file, 'utf8')))
    } catch (error) {
      skipped.push((error as Error).message)
    }
  }
  const auth = await authenticate(options)

  const totals = { created: 0, updated: 0, unchanged: 0 }
  const ids = new Set<number>()
  const bar = new cliProgress.SingleBar(
    {
      format:
        'importing [{bar}] {value}/{total} articles | {created} new, {updated} updated, {unchanged} unchanged',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  )
  bar.start(articles.length, 0, totals)
  try {
    for (const batch of batches(articles, options.batch)) {
      const result = await api<ImportResponse>(options, auth, 'POST', '/kb/import', {
        articles: batch,
        ...(options.global ? { global: true } : {}),
      })
      totals.created += result.created
      totals.updated += result.updated
      totals.unchanged += result.unchanged
      for (const item of result.items) if (item.status !== 'unchanged') ids.add(item.id)
      bar.increment(batch.length, totals)
    }
  } finally {
    bar.stop()
  }

  const lines = [
    `imported ${articles.length} of ${files.length} files: ${totals.created} created, ` +
      `${totals.updated} updated, ${totals.unchanged} unchanged`,
    ...skipped.map((s) => `  skipped ${s}`),
  ]
  let failures = skipped.length
  if (options.wait && ids.size > 0) {
    const failed = await waitForIndexing(options, auth, ids)
    lines.push(`indexed ${ids.size - failed.size} of ${ids.size} new or changed articles`)
    for (const message of failed.values()) lines.push(`  not indexed: ${message}`)
    failures += failed.size
  }
  process.stdout.write(`${lines.join('\n')}\n`)
  return failures > 0 ? 1 : 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`${error instanceof CliError ? error.message : (error.stack ?? String(error))}\n`)
      process.exit(2)
    },
  )
}
