import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_PROMPT } from '#shared/drafts/prompt'
import { loadActivePrompt } from '#shared/drafts/prompt-versions'
import { DEFAULT_RERANKING_CONFIG } from '#shared/knowledge/rerank'
import { loadRerankingConfig } from '#shared/knowledge/reranking-config'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const prompt = (version: string, extra: Record<string, unknown> = {}) => ({
  version,
  name: `Prompt ${version}`,
  systemPrompt: 'You are the Acme hosting support assistant.',
  contextTemplate: 'Sources ({{source_count}}):\n{{sources}}',
  taskTemplate: 'Subject: {{subject}}\nQuestion: {{question}}\nEarlier: {{thread_summary}}',
  temperature: 0.7,
  ...extra,
})

describe('Function: prompts and reranking settings', () => {
  let app: TestApp
  let a: TenantFixture
  let b: TenantFixture
  beforeAll(async () => {
    app = await startTestApp()
    a = await createTenant(app, 'prompts-a')
    b = await createTenant(app, 'prompts-b')
  })
  afterAll(async () => app?.stop())

  it('lists the seeded global default as the prompt in use', async () => {
    // Act
    const res = await app.call('GET', '/prompts', undefined, { token: a.admin })
    // Assess
    expect(res.status).toBe(200)
    const global = res.body.items.find((p: any) => p.scope === 'global' && p.isDefault)
    expect(global).toMatchObject({ version: DEFAULT_PROMPT.version, isActive: true, inUse: true })
    expect(global.temperature).toBe(DEFAULT_PROMPT.temperature)
  })

  it('creates a prompt inactive, with temperature stored as a real number', async () => {
    // Act
    const res = await app.call('POST', '/prompts', prompt('a-1'), { token: a.admin })
    // Assess
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ scope: 'tenant', tenantId: a.id, isActive: false, temperature: 0.7 })
    expect(res.body.model).toBe(DEFAULT_PROMPT.model)
    const [row] = await app.rt.deps.sql`SELECT temperature FROM prompt_versions WHERE id = ${res.body.id}`
    expect(row!.temperature).toBeCloseTo(0.7, 5)
  })

  it('rejects templates with unknown placeholders, placeholders in the system prompt and bad numbers', async () => {
    // Act
    const unknown = await app.call(
      'POST',
      '/prompts',
      prompt('bad-1', { taskTemplate: 'Answer {{question}} for {{customer_name}}' }),
      { token: a.admin },
    )
    const inSystem = await app.call(
      'POST',
      '/prompts',
      prompt('bad-2', { systemPrompt: 'Sources: {{sources}}' }),
      { token: a.admin },
    )
    const hot = await app.call('POST', '/prompts', prompt('bad-3', { temperature: 2.5 }), { token: a.admin })
    // Assess
    expect(unknown.status).toBe(400)
    expect(JSON.stringify(unknown.body.error.details)).toContain('customer_name')
    expect(inSystem.status).toBe(400)
    expect(inSystem.body.error.details[0].path).toBe('systemPrompt')
    expect(hot.status).toBe(400)
    const [n] = await app.rt.deps
      .sql`SELECT count(*)::int AS n FROM prompt_versions WHERE version LIKE 'bad-%'`
    expect(n!.n).toBe(0)
  })

  it('refuses a duplicate version with 409 and a global prompt from a tenant admin with 403', async () => {
    // Act
    const dup = await app.call('POST', '/prompts', prompt('a-1'), { token: a.admin })
    const global = await app.call('POST', '/prompts', prompt('g-1', { global: true }), { token: a.admin })
    // Assess
    expect(dup.status).toBe(409)
    expect(global.status).toBe(403)
  })

  it('activates atomically: one active prompt per tenant, audited, and used for drafting', async () => {
    // Prepare
    const first = await app.call('POST', '/prompts', prompt('a-2'), { token: a.admin })
    const second = await app.call('POST', '/prompts', prompt('a-3'), { token: a.admin })
    // Act
    const act1 = await app.call('POST', `/prompts/${first.body.id}/activate`, undefined, { token: a.admin })
    const act2 = await app.call('POST', `/prompts/${second.body.id}/activate`, undefined, { token: a.admin })
    // Assess
    expect(act1.status).toBe(200)
    expect(act2.body).toMatchObject({ id: second.body.id, isActive: true, inUse: true })
    const list = await app.call('GET', '/prompts', undefined, { token: a.admin })
    const active = list.body.items.filter((p: any) => p.isActive && p.scope === 'tenant')
    expect(active.map((p: any) => p.id)).toEqual([second.body.id])
    expect(list.body.items.filter((p: any) => p.inUse).map((p: any) => p.id)).toEqual([second.body.id])
    // The global default stays active for everyone else.
    expect((await loadActivePrompt(app.rt.deps.sql, b.id)).version).toBe(DEFAULT_PROMPT.version)
    expect((await loadActivePrompt(app.rt.deps.sql, a.id)).id).toBe(second.body.id)
    const audits = await app.rt.deps.sql`
      SELECT details FROM audit_logs WHERE tenant_id = ${a.id} AND action = 'prompt_changed'
        AND details->>'change' = 'activated' ORDER BY id`
    expect(audits.map((r) => r.details.previousActiveId)).toEqual([null, first.body.id])
  })

  it("answers 404 for another tenant's prompt and 403 when a tenant admin activates a global one", async () => {
    // Prepare
    const own = await app.call('POST', '/prompts', prompt('b-1'), { token: b.admin })
    const list = await app.call('GET', '/prompts', undefined, { token: a.admin })
    const global = list.body.items.find((p: any) => p.scope === 'global')
    // Act
    const foreign = await app.call('POST', `/prompts/${own.body.id}/activate`, undefined, { token: a.admin })
    const globalByAdmin = await app.call('POST', `/prompts/${global.id}/activate`, undefined, {
      token: a.admin,
    })
    // Assess
    expect(foreign.status).toBe(404)
    expect(globalByAdmin.status).toBe(403)
    expect(list.body.items.some((p: any) => p.id === own.body.id)).toBe(false)
    const [row] = await app.rt.deps.sql`SELECT is_active FROM prompt_versions WHERE id = ${own.body.id}`
    expect(row!.isActive).toBe(false)
  })

  it('lets a superadmin switch the global prompt', async () => {
    // Prepare
    const before = await loadActivePrompt(app.rt.deps.sql, b.id)
    const created = await app.call('POST', '/prompts', prompt('g-2', { global: true }), {
      token: app.superToken,
    })
    // Act
    const act = await app.call('POST', `/prompts/${created.body.id}/activate`, undefined, {
      token: app.superToken,
    })
    const usedByB = await loadActivePrompt(app.rt.deps.sql, b.id)
    const usedByA = await loadActivePrompt(app.rt.deps.sql, a.id)
    await app.call('POST', `/prompts/${before.id}/activate`, undefined, { token: app.superToken })
    // Assess
    expect(created.body.scope).toBe('global')
    expect(act.status).toBe(200)
    expect(usedByB.id).toBe(created.body.id)
    // A tenant with its own active prompt keeps it.
    expect(usedByA.id).not.toBe(created.body.id)
    expect((await loadActivePrompt(app.rt.deps.sql, b.id)).id).toBe(before.id)
  })

  it('keeps prompts and reranking settings away from agents and customers', async () => {
    // Act
    const results = await Promise.all([
      app.call('GET', '/prompts', undefined, { token: a.agent }),
      app.call('POST', '/prompts', prompt('x-1'), { token: a.customer }),
      app.call('GET', '/settings/reranking', undefined, { token: a.agent }),
      app.call('PUT', '/settings/reranking', DEFAULT_RERANKING_CONFIG, { token: a.customer }),
    ])
    // Assess
    expect(results.map((r) => r.status)).toEqual([403, 403, 403, 403])
  })

  it('serves the global reranking defaults until the tenant saves its own', async () => {
    // Act
    const res = await app.call('GET', '/settings/reranking', undefined, { token: b.admin })
    // Assess
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ scope: 'global', ...DEFAULT_RERANKING_CONFIG })
  })

  it('upserts the tenant reranking config, audits it and leaves other tenants on the default', async () => {
    // Prepare
    const config = {
      isEnabled: true,
      modelName: 'BAAI/bge-reranker-base',
      weights: { global_kb: 0.1, tenant_kb: 0.5, approved_example: 0.3, correction: 0.1 },
      topKInitial: 30,
      topKRerank: 6,
      scoreThreshold: 0.42,
    }
    // Act
    const first = await app.call('PUT', '/settings/reranking', config, { token: a.admin })
    const second = await app.call(
      'PUT',
      '/settings/reranking',
      { ...config, topKRerank: 4 },
      { token: a.admin },
    )
    const read = await app.call('GET', '/settings/reranking', undefined, { token: a.admin })
    // Assess
    expect(first.status).toBe(200)
    expect(first.body).toEqual({ scope: 'tenant', ...config })
    expect(second.body.topKRerank).toBe(4)
    expect(read.body).toEqual({ scope: 'tenant', ...config, topKRerank: 4 })
    const [rows] = await app.rt.deps.sql`
      SELECT count(*)::int AS n FROM reranking_configs WHERE tenant_id = ${a.id}`
    expect(rows!.n).toBe(1)
    expect((await loadRerankingConfig(app.rt.deps.sql, b.id)).scope).toBe('global')
    const audits = await app.rt.deps.sql`
      SELECT details FROM audit_logs WHERE tenant_id = ${a.id} AND action = 'settings_changed' ORDER BY id`
    expect(audits).toHaveLength(2)
    expect(audits[0]!.details).toMatchObject({ setting: 'reranking', previousScope: 'global' })
    expect(audits[1]!.details.current.topKRerank).toBe(4)
  })

  it('rejects weights that do not sum to 1, negative weights and topKRerank above topKInitial', async () => {
    // Prepare
    const base = DEFAULT_RERANKING_CONFIG
    // Act
    const results = await Promise.all([
      app.call(
        'PUT',
        '/settings/reranking',
        { ...base, weights: { ...base.weights, global_kb: 0.5 } },
        { token: b.admin },
      ),
      app.call(
        'PUT',
        '/settings/reranking',
        { ...base, weights: { global_kb: -0.1, tenant_kb: 0.6, approved_example: 0.35, correction: 0.15 } },
        { token: b.admin },
      ),
      app.call('PUT', '/settings/reranking', { ...base, topKInitial: 5, topKRerank: 8 }, { token: b.admin }),
      app.call('PUT', '/settings/reranking', { ...base, topKInitial: 500 }, { token: b.admin }),
      app.call('PUT', '/settings/reranking', { ...base, scoreThreshold: 1.5 }, { token: b.admin }),
    ])
    // Assess
    expect(results.map((r) => r.status)).toEqual([400, 400, 400, 400, 400])
    expect(JSON.stringify(results[0]!.body.error.details)).toContain('add up to 1')
    expect((await loadRerankingConfig(app.rt.deps.sql, b.id)).scope).toBe('global')
  })
})
