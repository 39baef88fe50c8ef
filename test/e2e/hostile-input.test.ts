/**
 * Hostile and careless API input over real HTTP (issue 13): text Postgres cannot store, out-of-range and
 * loosely written numbers, deep JSON, no-op PATCHes, unknown fields, credentials in URLs and the response
 * headers. Each answer must be a clear 4xx that names the field, and nothing may be stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

let app: TestApp
let acme: TenantFixture
const cursorOf = (text: string) => Buffer.from(text).toString('base64url')
const deepJson = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`

beforeAll(async () => {
  app = await startTestApp({ workers: false })
  acme = await createTenant(app, 'acme')
})
afterAll(async () => app?.stop())

const counts = async () =>
  (
    await app.rt.deps.sql<{ tickets: number; users: number; keys: number; kb: number; prompts: number }[]>`
      SELECT (SELECT count(*)::int FROM tickets) AS tickets, (SELECT count(*)::int FROM users) AS users,
             (SELECT count(*)::int FROM api_keys) AS keys, (SELECT count(*)::int FROM kb_articles) AS kb,
             (SELECT count(*)::int FROM prompt_versions) AS prompts`
  )[0]

describe('Function: NUL bytes and lone surrogates in API input', () => {
  it('answers 400 naming the field, wherever the text is, and stores nothing', async () => {
    // Prepare
    const before = await counts()
    const admin = { token: acme.admin }
    const cases: Array<[string, string, unknown, { in: string; path: string }]> = [
      ['POST', '/tickets', { subject: 'a\u0000b', content: 'x' }, { in: 'body', path: 'subject' }],
      ['POST', '/tickets', { subject: 'ok', content: 'lone \ud800' }, { in: 'body', path: 'content' }],
      ['POST', '/tickets/1/messages', { content: '\u0000' }, { in: 'body', path: 'content' }],
      [
        'POST',
        '/users',
        { email: 'n@acme.test', password: 'password-123', role: 'user', fullName: 'N\u0000' },
        { in: 'body', path: 'fullName' },
      ],
      ['POST', '/api-keys', { name: 'k\udc00' }, { in: 'body', path: 'name' }],
      ['POST', '/kb/articles', { title: 't', content: 'c\u0000' }, { in: 'body', path: 'content' }],
      [
        'POST',
        '/kb/import',
        { articles: [{ title: 'x\u0000', content: 'c' }] },
        { in: 'body', path: 'articles.0.title' },
      ],
      ['POST', '/kb/search', { query: 'refund\u0000' }, { in: 'body', path: 'query' }],
      [
        'POST',
        '/prompts',
        {
          version: 'v9',
          name: 'n',
          systemPrompt: 's\ud800',
          contextTemplate: '{{context}}',
          taskTemplate: '{{question}}',
        },
        { in: 'body', path: 'systemPrompt' },
      ],
      ['PUT', '/settings/reranking', { modelName: 'm\u0000' }, { in: 'body', path: 'modelName' }],
      ['GET', '/tickets?q=%00', undefined, { in: 'query', path: 'q' }],
      ['GET', '/kb/articles?q=a%00b', undefined, { in: 'query', path: 'q' }],
      ['GET', '/audit?entityType=%00', undefined, { in: 'query', path: 'entityType' }],
      ['POST', '/webhooks/whmcs/acme%00', {}, { in: 'path', path: 'tenantSlug' }],
    ]
    for (const [method, path, body, where] of cases) {
      // Act
      const res = await app.call(method, path, body, admin)
      // Assess
      expect(res.status, `${method} ${path}`).toBe(400)
      expect(res.body.error.code).toBe('validation_failed')
      expect(res.body.error.details, `${method} ${path}`).toContainEqual(expect.objectContaining(where))
    }
    expect(await counts()).toEqual(before)
  })

  it('covers free-form JSON too: tenant settings values and keys', async () => {
    // Act
    const value = await app.call(
      'PATCH',
      `/tenants/${acme.id}`,
      { settings: { note: 'x\ud800' } },
      { token: app.superToken },
    )
    const key = await app.call(
      'PATCH',
      `/tenants/${acme.id}`,
      { settings: { 'k\u0000': 1 } },
      { token: app.superToken },
    )
    // Assess
    expect(value.status).toBe(400)
    expect(value.body.error.details).toEqual([
      expect.objectContaining({ in: 'body', path: 'settings.note', code: 'lone_surrogate' }),
    ])
    expect(key.status).toBe(400)
    expect(key.body.error.details).toEqual([
      expect.objectContaining({ in: 'body', path: 'settings.k\\u0000', code: 'nul_byte' }),
    ])
  })

  it('refuses NUL in front matter of an imported Markdown file (YAML escapes bypass the request check)', async () => {
    // Act
    const res = await app.call(
      'POST',
      '/kb/import',
      { markdown: [{ filename: 'a.md', text: '---\ntitle: "Bad\\0title"\n---\nBody text' }] },
      { token: acme.admin },
    )
    // Assess
    expect(res.status).toBe(400)
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ file: 'a.md', path: 'title' }))
  })
})

describe('Function: ids, cursors and numeric query parameters', () => {
  it('answers 400 for a cursor beyond the id range on every paged list', async () => {
    // Prepare
    const huge = cursorOf('99999999999')
    const lists = [
      '/tickets',
      '/tickets?needsReview=true',
      '/kb/articles',
      '/users',
      '/api-keys',
      '/integrations/sync-logs',
      '/tenants',
    ]
    for (const list of lists) {
      // Act
      const sep = list.includes('?') ? '&' : '?'
      const res = await app.call('GET', `${list}${sep}cursor=${huge}`, undefined, { token: app.superToken })
      // Assess
      expect(res.status, list).toBe(400)
      expect(res.body.error.details, list).toContainEqual(
        expect.objectContaining({ in: 'query', path: 'cursor' }),
      )
    }
  })

  it('reads cursors strictly: only decimal digits decode to an id', async () => {
    // Act
    const results = await Promise.all(
      ['0x10', '1e1', ' 1', '-1', '1.5', '0'].map((c) =>
        app.call('GET', `/tickets?cursor=${cursorOf(c)}`, undefined, { token: acme.admin }),
      ),
    )
    const audit = await app.call('GET', `/audit?cursor=${cursorOf('99999999999')}`, undefined, {
      token: acme.admin,
    })
    // Assess
    expect(results.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 400])
    // audit_logs ids are bigint: a cursor above int4 is legitimate there.
    expect(audit.status).toBe(200)
  })

  it('answers 400 for ids that are not plain decimal digits in range, instead of reading 0x10 as 16', async () => {
    // Prepare
    const ticket = await app.call('POST', '/tickets', { subject: 's', content: 'c' }, { token: acme.admin })
    const id = ticket.body.id as number
    const spellings = [
      `0x${id.toString(16)}`,
      `${id}e0`,
      `%20${id}`,
      `${id}.0`,
      `+${id}`,
      '-1',
      '0',
      '99999999999',
    ]
    for (const spelling of spellings) {
      // Act
      const res = await app.call('GET', `/tickets/${spelling}`, undefined, { token: acme.admin })
      // Assess
      expect(res.status, spelling).toBe(400)
      expect(res.body.error.details, spelling).toContainEqual(
        expect.objectContaining({ in: 'path', path: 'id' }),
      )
    }
    expect((await app.call('GET', `/tickets/${id}`, undefined, { token: acme.admin })).status).toBe(200)
  })

  it('parses limit, tenantId and body numbers as strictly', async () => {
    // Act
    const limitHex = await app.call('GET', '/tickets?limit=0x10', undefined, { token: acme.admin })
    const limitExp = await app.call('GET', '/users?limit=1e1', undefined, { token: acme.admin })
    const tenantHuge = await app.call('GET', '/users?tenantId=99999999999', undefined, {
      token: app.superToken,
    })
    const kFloat = await app.call('POST', '/kb/search', { query: 'x', k: '2.5' }, { token: acme.agent })
    const assignee = await app.call('PATCH', '/tickets/1', { assignedTo: 1e12 }, { token: acme.agent })
    const plain = await app.call('GET', '/tickets?limit=10', undefined, { token: acme.admin })
    // Assess
    expect([limitHex, limitExp, tenantHuge, kFloat, assignee].map((r) => r.status)).toEqual([
      400, 400, 400, 400, 400,
    ])
    expect(plain.status).toBe(200)
  })

  it('answers 400, not 500, for a path that is not valid percent-encoded UTF-8', async () => {
    // Act
    const truncated = await app.call('GET', '/tickets/%E0%A4%A', undefined, { token: acme.admin })
    const surrogate = await app.call('GET', '/tickets/%ED%A0%80', undefined, { token: acme.admin })
    // Assess
    expect(truncated.status).toBe(400)
    expect(surrogate.status).toBe(400)
    expect(truncated.body.error.code).toBe('bad_request')
  })

  it('answers 400, not 500, for well-formed dates the database cannot store or the calendar lacks', async () => {
    // Prepare: each is ISO-shaped; Postgres refuses year 0, and an offset can push year 1 into year 0.
    const bad = [
      'from=0000-01-01',
      'to=0000-01-01',
      'from=0001-01-01T00:30:00%2B01:00',
      'from=1969-12-31',
      'from=2026-02-30',
      'from=2026-13-01',
      'to=10000-01-01',
      'to=9999-12-31T23:00:00-05:00',
    ]
    // Act
    const answers = await Promise.all(
      bad.map((q) => app.call('GET', `/analytics/summary?${q}`, undefined, { token: acme.admin })),
    )
    const fine = await app.call(
      'GET',
      '/analytics/summary?from=1970-01-01&to=9999-12-31T23:59:59Z',
      undefined,
      { token: acme.admin },
    )
    // Assess
    expect(answers.map((r, i) => `${bad[i]} ${r.status}`)).toEqual(bad.map((q) => `${q} 400`))
    for (const res of answers) {
      expect(res.body.error.code).toBe('validation_failed')
      expect(res.body.error.details[0]).toMatchObject({ in: 'query' })
    }
    expect(fine.status).toBe(200)
  })
})

describe('Function: deep and large free-form JSON', () => {
  it('answers 400 for 5,000 levels of nesting in tenant settings, or anywhere in a body', async () => {
    // Act
    const settings = await app.call('PATCH', `/tenants/${acme.id}`, undefined, {
      token: app.superToken,
      raw: `{"settings":${deepJson(5000)}}`,
    })
    const arrays = await app.call('PATCH', `/tenants/${acme.id}`, undefined, {
      token: app.superToken,
      raw: `{"settings":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
    })
    const ticket = await app.call('POST', '/tickets', undefined, { token: acme.admin, raw: deepJson(5000) })
    // Assess
    for (const res of [settings, arrays, ticket]) {
      expect(res.status).toBe(400)
      expect(res.body.error.details[0]).toMatchObject({ in: 'body', code: 'too_deep' })
    }
  })

  it('limits tenant settings to 16 levels and 64 KiB, and keeps a reasonable object', async () => {
    // Act
    const deep = await app.call('PATCH', `/tenants/${acme.id}`, undefined, {
      token: app.superToken,
      raw: `{"settings":${deepJson(20)}}`,
    })
    const large = await app.call(
      'PATCH',
      `/tenants/${acme.id}`,
      { settings: { blob: 'x'.repeat(70_000) } },
      { token: app.superToken },
    )
    const fine = await app.call(
      'PATCH',
      `/tenants/${acme.id}`,
      { settings: { whmcsEscalationNotes: true, escalation: { refund: { enabled: false } } } },
      { token: app.superToken },
    )
    // Assess
    expect(deep.status).toBe(400)
    expect(deep.body.error.details[0]).toMatchObject({
      in: 'body',
      path: 'settings',
      message: 'nested deeper than 16 levels',
    })
    expect(large.status).toBe(400)
    expect(large.body.error.details[0]).toMatchObject({
      path: 'settings',
      message: 'larger than 65536 bytes as JSON',
    })
    expect(fine.status).toBe(200)
    expect(fine.body.settings).toEqual({
      whmcsEscalationNotes: true,
      escalation: { refund: { enabled: false } },
    })
  })
})

describe('Function: PATCH and PUT bodies, URLs and response headers', () => {
  it('answers 400 "nothing to update" for an empty or null PATCH of users and tenants', async () => {
    // Act
    const results = [
      await app.call('PATCH', `/users/${acme.agentId}`, {}, { token: acme.admin }),
      await app.call('PATCH', `/users/${acme.agentId}`, null, { token: acme.admin }),
      await app.call('PATCH', `/tenants/${acme.id}`, {}, { token: app.superToken }),
      await app.call('PATCH', `/tenants/${acme.id}`, null, { token: app.superToken }),
      await app.call('PATCH', '/kb/articles/1', null, { token: acme.admin }),
      await app.call('POST', '/drafts/1/approve', null, { token: acme.admin }),
    ]
    // Assess
    expect(results.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 400])
    expect(results[0]!.body.error.details[0].message).toBe('nothing to update')
    expect(results[3]!.body.error.details[0]).toMatchObject({ in: 'body', code: 'invalid_type' })
  })

  it('refuses unknown fields in the reranking config', async () => {
    // Prepare
    const current = await app.call('GET', '/settings/reranking', undefined, { token: acme.admin })
    const { scope: _scope, ...config } = current.body
    // Act
    const extra = await app.call('PUT', '/settings/reranking', { ...config, topk: 3 }, { token: acme.admin })
    const extraWeight = await app.call(
      'PUT',
      '/settings/reranking',
      { ...config, weights: { ...config.weights, faq: 0 } },
      { token: acme.admin },
    )
    const exact = await app.call('PUT', '/settings/reranking', config, { token: acme.admin })
    // Assess
    expect(extra.status).toBe(400)
    expect(extra.body.error.details[0]).toMatchObject({ code: 'unrecognized_keys' })
    expect(extraWeight.status).toBe(400)
    expect(exact.status).toBe(200)
  })

  it('refuses a whmcsUrl with user:pass@ or a scheme other than http(s), and stores neither', async () => {
    // Act
    const results = await Promise.all(
      [
        'https://admin:hunter2@billing.example.com',
        'https://admin@billing.example.com',
        'ftp://billing.example.com',
        'javascript:alert(1)',
      ].map((whmcsUrl) => app.call('PATCH', `/tenants/${acme.id}`, { whmcsUrl }, { token: app.superToken })),
    )
    const fine = await app.call(
      'PATCH',
      `/tenants/${acme.id}`,
      { whmcsUrl: 'https://billing.example.com/' },
      { token: app.superToken },
    )
    // Assess
    expect(results.map((r) => r.status)).toEqual([400, 400, 400, 400])
    for (const r of results) expect(r.body.error.details[0]).toMatchObject({ in: 'body', path: 'whmcsUrl' })
    expect(JSON.stringify(results.map((r) => r.body))).not.toContain('hunter2')
    expect(fine.body.whmcsUrl).toBe('https://billing.example.com')
  })

  it('sends no header whose value is "undefined" (no Server, no X-Powered-By)', async () => {
    // Act
    const responses = [
      await app.call('GET', '/health'),
      await app.call('GET', '/tickets', undefined, { token: acme.admin }),
      await app.call('GET', '/tickets/abc', undefined, { token: acme.admin }),
    ]
    // Assess
    for (const res of responses) {
      const values = [...res.headers.entries()]
      expect(values.filter(([, v]) => v === 'undefined')).toEqual([])
      expect(res.headers.get('server')).toBeNull()
      expect(res.headers.get('x-powered-by')).toBeNull()
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    }
  })
})
