import { describe, expect, it } from 'vitest'
import { kbContract } from '#shared/api/kb'
import { parseMarkdownArticle } from '#shared/knowledge/markdown'
import { RRF_K, reciprocalRankFusion } from '#shared/knowledge/search'
import { embedJobSchema } from '#shared/queue/jobs'

describe('Function: parseMarkdownArticle', () => {
  it('reads title, category, tags and state from YAML front matter', () => {
    // Act
    const article = parseMarkdownArticle(
      'dns/ttl.md',
      '---\ntitle: TTL explained\ncategory: FAQ\ntags: [dns, ttl]\nactive: false\n---\n\n# TTL explained\n\nBody.',
    )

    // Assess
    expect(article).toEqual({
      title: 'TTL explained',
      content: '# TTL explained\n\nBody.',
      category: 'faq',
      tags: ['dns', 'ttl'],
      isActive: false,
    })
  })

  it('falls back to the first heading, then to the file name; comma-separated tags work', () => {
    // Act
    const fromHeading = parseMarkdownArticle('a.md', '---\ntags: "billing, refunds"\n---\n# Refunds\n\nText')
    const fromName = parseMarkdownArticle('folder/reset-your_password.md', 'Just text, no heading.')

    // Assess
    expect(fromHeading).toMatchObject({ title: 'Refunds', tags: ['billing', 'refunds'], category: 'custom' })
    expect(fromName).toMatchObject({ title: 'reset your password', tags: [], isActive: true })
  })

  it('reads a public URL from the front matter and refuses one that is not http(s)', () => {
    // Act
    const article = parseMarkdownArticle(
      'php.md',
      '---\npublicUrl: https://docs.example.com/php\n---\n# PHP\n\nText',
    )
    const cleared = parseMarkdownArticle('php.md', '---\nurl: null\n---\n# PHP\n\nText')
    const bad = () => parseMarkdownArticle('bad.md', '---\nurl: "javascript:alert(1)"\n---\n# Bad\n\nText')

    // Assess
    expect(article.publicUrl).toBe('https://docs.example.com/php')
    expect(cleared.publicUrl).toBeNull()
    expect(bad).toThrow(/bad\.md/)
  })

  it('refuses executable front matter and invalid articles, naming the file', () => {
    // Prepare
    const evil = '---js\n{ title: (globalThis.pwned = "yes") }\n---\nbody'

    // Act / Assess
    expect(() => parseMarkdownArticle('evil.md', evil)).toThrow(/evil\.md: unreadable front matter/)
    expect((globalThis as { pwned?: string }).pwned).toBeUndefined()
    expect(() => parseMarkdownArticle('bad.md', '---\ncategory: misc\n---\nbody')).toThrow(/bad\.md/)
    expect(() => parseMarkdownArticle('empty.md', '---\ntitle: Empty\n---\n   ')).toThrow(/empty\.md/)
  })
})

describe('Function: reciprocalRankFusion', () => {
  it('gives 1 to a first place in every list and ranks agreement above a single list', () => {
    // Act
    const fused = reciprocalRankFusion([
      [1, 2, 3],
      [1, 3, 4],
    ])

    // Assess
    expect(fused.get(1)).toBe(1)
    expect(fused.get(3)!).toBeGreaterThan(fused.get(2)!)
    expect(fused.get(4)).toBeCloseTo(1 / (RRF_K + 3) / (2 / (RRF_K + 1)), 10)
    expect([...fused.values()].every((s) => s > 0 && s <= 1)).toBe(true)
  })

  it('handles empty lists', () => {
    expect(reciprocalRankFusion([[], []]).size).toBe(0)
    expect(reciprocalRankFusion([]).size).toBe(0)
  })
})

describe('Function: embed job and search contract schemas', () => {
  it('accepts the two job shapes and rejects others', () => {
    // Act / Assess
    expect(embedJobSchema.parse({ kind: 'article', tenantId: null, articleId: 3, jobId: 'x' })).toMatchObject(
      {
        kind: 'article',
      },
    )
    expect(embedJobSchema.parse({ kind: 'approved_reply', tenantId: 1, approvedReplyId: 2 })).toMatchObject({
      approvedReplyId: 2,
    })
    expect(
      embedJobSchema.safeParse({ kind: 'approved_reply', tenantId: null, approvedReplyId: 2 }).success,
    ).toBe(false)
    expect(embedJobSchema.safeParse({ kind: 'page', tenantId: 1 }).success).toBe(false)
  })

  it('defaults k to 5 and bounds it to 1..50; import needs exactly one of articles or markdown', () => {
    // Prepare
    const search = kbContract['POST /kb/search'].body
    const importBody = kbContract['POST /kb/import'].body

    // Act / Assess
    expect(search.parse({ query: ' dns ' })).toEqual({ query: 'dns', k: 5 })
    expect(search.safeParse({ query: 'dns', k: 0 }).success).toBe(false)
    expect(search.safeParse({ query: 'dns', k: 51 }).success).toBe(false)
    expect(importBody.safeParse({}).success).toBe(false)
    expect(
      importBody.safeParse({
        articles: [{ title: 'a', content: 'b' }],
        markdown: [{ filename: 'a', text: 'b' }],
      }).success,
    ).toBe(false)
    expect(importBody.parse({ articles: [{ title: 'a', content: 'b' }] }).articles![0]).toEqual({
      title: 'a',
      content: 'b',
      category: 'custom',
      tags: [],
      isActive: true,
    })
  })
})
