import * as z from 'zod'
import {
  id,
  idParams,
  intParam,
  noContent,
  pageOf,
  pageQuery,
  patchBody,
  rowId,
  tenantScope,
} from './common.ts'

const KB_CATEGORIES = ['product', 'pricing', 'policy', 'sla', 'faq', 'custom'] as const
export type KbCategory = (typeof KB_CATEGORIES)[number]

/** Where a retrievable passage comes from: the global KB, the tenant's KB, or what its agents sent. */
export const SOURCE_KINDS = ['global_kb', 'tenant_kb', 'approved_example', 'correction'] as const
export type SourceKind = (typeof SOURCE_KINDS)[number]

/** Most articles a single `POST /kb/import` accepts; the CLI sends batches well below it. */
export const MAX_IMPORT_ARTICLES = 500

/** Longest article content the API stores (characters); the indexer refuses anything longer. */
export const MAX_ARTICLE_CHARS = 200_000

const category = z.enum(KB_CATEGORIES)
const title = z.string().trim().min(1).max(500)
const content = z.string().trim().min(1).max(MAX_ARTICLE_CHARS)
/** Stored comma-separated (seed 001's `tags varchar(500)`), so a tag cannot itself contain a comma. */
const tag = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^,]+$/, 'a tag cannot contain a comma')
/**
 * Tags as an array or as the seed stores them, one comma-separated string (`"dns,nameservers"`); either
 * way the parsed value is an array of trimmed, non-empty tags, and responses always return an array.
 */
const tags = z
  .union([
    z.array(tag),
    z
      .string()
      .max(500)
      .transform((s) =>
        s
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      ),
  ])
  .pipe(z.array(tag).max(50))
  .refine((t) => t.join(',').length <= 500, 'tags take at most 500 characters in total')

/**
 * The article's public page, listed with its title under "References:" in replies customers get. http(s)
 * with a domain name only: it is shown to customers and linked in the WHMCS panel.
 */
const publicUrl = z
  .url({ protocol: /^https?$/, hostname: z.regexes.domain, error: 'an http(s) URL with a domain name' })
  .max(2048)

/** One article as `POST /kb/articles` and `POST /kb/import` take it (also applied to parsed Markdown). */
export const kbArticleInput = z
  .object({
    title,
    content,
    category: category.default('custom'),
    tags: tags.default([]),
    isActive: z.boolean().default(true),
    publicUrl: publicUrl.nullable().optional(),
  })
  .strict()

/** An article as the API answers it, with where indexing stands. */
const article = z.object({
  id: rowId,
  tenantId: rowId.nullable().describe('null for a global article'),
  global: z.boolean().describe('shared by every tenant; only a superadmin may change it'),
  title: z.string(),
  content: z.string(),
  category,
  tags: z.array(z.string()),
  isActive: z.boolean(),
  isIndexed: z.boolean().describe('its current text is searchable'),
  indexError: z.string().nullable().describe('why indexing failed, when it did'),
  publicUrl: z.string().nullable(),
  version: z.number().int(),
  createdBy: rowId.nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
})

const importResult = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  queued: z
    .number()
    .int()
    .describe('embed jobs queued: new and changed articles, and unindexed unchanged ones'),
  items: z.array(
    z.object({ id: rowId, title: z.string(), status: z.enum(['created', 'updated', 'unchanged']) }),
  ),
})

const score = z.number().min(0).max(1)
const searchResult = z.object({
  items: z.array(
    z.object({
      chunkId: rowId,
      articleId: rowId.nullable(),
      approvedReplyId: rowId.nullable().describe('a learnt staff reply rather than an article'),
      title: z.string().nullable(),
      sourceKind: z.enum(SOURCE_KINDS),
      text: z.string(),
      vectorScore: score.nullable().describe('cosine similarity to the question; null without a vector'),
      textScore: score.nullable().describe('full-text rank; compare, do not threshold'),
      fusedScore: score.describe('reciprocal rank fusion of both, 1 = first in both'),
    }),
  ),
})

export const kbContract = {
  'POST /kb/articles': {
    summary: 'Create a KB article; `global: true` (superadmin) shares it with every tenant. Queues indexing',
    body: kbArticleInput.extend({ global: z.boolean().default(false) }).extend(tenantScope.shape),
    response: article,
  },
  'GET /kb/articles': {
    summary: "List the tenant's articles and the global ones, newest first",
    query: pageQuery.extend({
      q: z.string().trim().min(1).max(200).optional(),
      category: category.optional(),
    }),
    response: pageOf(article),
  },
  'GET /kb/articles/{id}': {
    summary: 'One article with its indexing state',
    params: idParams,
    response: article,
  },
  'PATCH /kb/articles/{id}': {
    summary: 'Update an article (global ones: superadmin only); a content change queues re-indexing',
    params: idParams,
    body: patchBody({
      title,
      content,
      category,
      tags,
      isActive: z.boolean(),
      publicUrl: publicUrl.nullable(),
    }),
    response: article,
  },
  'DELETE /kb/articles/{id}': {
    status: 204,
    summary: 'Delete an article (global ones: superadmin only); its chunks are archived at once',
    params: idParams,
    response: noContent,
  },
  'POST /kb/import': {
    summary:
      'Upsert up to 500 articles by title (JSON, or Markdown files with front matter); unchanged ones are left alone',
    status: 200,
    body: z
      .object({
        articles: z.array(kbArticleInput).min(1).max(MAX_IMPORT_ARTICLES).optional(),
        markdown: z
          .array(
            z
              .object({ filename: z.string().trim().min(1).max(500), text: z.string().min(1).max(200_000) })
              .strict(),
          )
          .min(1)
          .max(MAX_IMPORT_ARTICLES)
          .optional(),
        global: z.boolean().default(false),
        tenantId: id.optional(),
      })
      .strict()
      .refine(
        (b) => (b.articles ? 1 : 0) + (b.markdown ? 1 : 0) === 1,
        'send either `articles` or `markdown`',
      ),
    response: importResult,
  },
  'POST /kb/search': {
    status: 200,
    summary: 'Hybrid search (vector + full text, fused) over current KB chunks of the tenant and global ones',
    body: z
      .object({
        query: z.string().trim().min(1).max(2_000),
        k: intParam(1, 50).default(5),
        sourceKinds: z.array(z.enum(SOURCE_KINDS)).min(1).max(4).optional(),
      })
      .strict(),
    response: searchResult,
  },
} as const
