import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp, type TestApp } from '../helpers/app.ts'

describe('Local runtime: smoke', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(async () => app?.stop())

  it('serves health, login and tickets over HTTP', async () => {
    const health = await app.call('GET', '/health')
    expect(health.status).toBe(200)
    expect(health.body).toMatchObject({ status: 'ok', provider: 'builtin', db: 'ok' })
    const t = await createTenant(app, 'acme')
    const created = await app.call(
      'POST',
      '/tickets',
      { subject: 'Site down', content: 'My site is down' },
      { token: t.customer },
    )
    expect(created.status).toBe(201)
    const list = await app.call('GET', '/tickets?limit=10', undefined, { token: t.agent })
    expect(list.status).toBe(200)
    expect(list.body.items.map((x: { id: number }) => x.id)).toContain(created.body.id)
  })
})
