/**
 * Markdown knowledge-base files → articles, for `POST /kb/import` and the `kb:import` CLI. A module of its
 * own so the YAML front matter parser is bundled only into the Lambdas that read Markdown.
 */
import matter from 'gray-matter'
import { kbArticleInput } from '../api/kb.ts'
import { BadRequestError } from '../errors.ts'
import { findUnsafeInput } from '../http/safe-input.ts'
import type { ArticleInput } from './articles.ts'
import { markdownHeading } from './chunk.ts'

/** Front matter engines that run code (`---js`) must never see uploaded text. */
const refuseEngine = {
  parse: () => {
    throw new Error('only YAML or JSON front matter is accepted')
  },
}

/**
 * Turns a Markdown file with optional front matter into an article. Title: front matter `title`, else the
 * first `# heading`, else the file name. Also reads `category`, `tags` (list or comma-separated),
 * `isActive`/`active`/`draft` and `publicUrl`/`public_url`/`url`. Throws BadRequestError naming the file
 * when the result is not a valid article.
 */
export function parseMarkdownArticle(filename: string, text: string): ArticleInput {
  let parsed: matter.GrayMatterFile<string>
  try {
    // Options also switch off gray-matter's process-wide cache, which would keep every upload in memory.
    parsed = matter(text, { engines: { javascript: refuseEngine, js: refuseEngine, coffee: refuseEngine } })
  } catch (error) {
    throw new BadRequestError(`${filename}: unreadable front matter (${(error as Error).message})`)
  }
  const data = parsed.data as Record<string, unknown>
  // Line by line: one regex over the whole upload backtracked cubically on a long line of spaces.
  const heading = parsed.content
    .split('\n')
    .map(markdownHeading)
    .find((h) => h?.level === 1)?.text
  const baseName = filename
    .replace(/^.*[\\/]/, '')
    .replace(/\.(md|markdown|mdx|txt)$/i, '')
    .replace(/[-_]+/g, ' ')
  const rawTags = data.tags
  const tags = Array.isArray(rawTags)
    ? rawTags.map(String)
    : typeof rawTags === 'string'
      ? rawTags.split(',')
      : []
  const active = data.isActive ?? data.active ?? (data.draft === true ? false : undefined)
  const publicUrl = data.publicUrl ?? data.public_url ?? data.url
  const candidate = {
    title: String(data.title ?? heading ?? baseName),
    content: parsed.content,
    ...(data.category !== undefined ? { category: String(data.category).toLowerCase() } : {}),
    tags: tags.map((t) => t.trim()).filter(Boolean),
    ...(typeof active === 'boolean' ? { isActive: active } : {}),
    ...(publicUrl !== undefined ? { publicUrl: publicUrl === null ? null : String(publicUrl) } : {}),
  }
  // YAML escapes ("\0", "\uD800") can produce text the request check never saw.
  const unsafe = findUnsafeInput(candidate)
  const result = kbArticleInput.safeParse(candidate)
  if (unsafe.length > 0 || !result.success) {
    const issues = unsafe.length > 0 ? unsafe : (result.error?.issues ?? [])
    throw new BadRequestError(
      `${filename}: not a valid article`,
      issues.map((i) => ({ file: filename, path: i.path.join('.'), message: i.message })),
    )
  }
  return result.data
}
