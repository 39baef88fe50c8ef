/**
 * The runtime serves the console under /app/ beside the API (issue 29): `/` redirects there, files carry
 * their content type and cache headers, deep links get the app, nothing outside the build is reachable,
 * and the WHMCS panel links to the ticket's page at PUBLIC_URL. A small stand-in build is served here; the
 * real build is exercised by test/e2e/console-browser.test.ts.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp, type TestApp } from '../helpers/app.ts'

const INDEX =
  '<!doctype html><title>Draftdesk</title><script type="module" src="/app/assets/index-abc123.js"></script>'
const SCRIPT = 'console.log("console")'

describe('Function: the console served by the local runtime', () => {
  let app: TestApp
  let dist: string
  const raw = (path: string, init: RequestInit = {}) =>
    fetch(`${app.url}${path}`, { redirect: 'manual', ...init })

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'draftdesk-console-'))
    mkdirSync(join(dist, 'assets'))
    writeFileSync(join(dist, 'index.html'), INDEX)
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), SCRIPT)
    writeFileSync(join(dist, 'assets', 'index-abc123.css'), 'body{margin:0}')
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
    app = await startTestApp({ consoleDir: dist, env: { PUBLIC_URL: 'https://desk.example.com/' } })
  })
  afterAll(async () => {
    await app?.stop()
    rmSync(dist, { recursive: true, force: true })
  })

  it('redirects / and /app to /app/', async () => {
    for (const path of ['/', '/app']) {
      const res = await raw(path)
      expect(res.status, path).toBe(302)
      expect(res.headers.get('location')).toBe('/app/')
    }
  })

  it('serves index.html for /app/ and for deep links, revalidated and with a strict CSP', async () => {
    for (const path of ['/app/', '/app/tickets/42', '/app/kb/articles/7/edit']) {
      const res = await raw(path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(res.headers.get('cache-control')).toBe('no-cache')
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
      expect(await res.text()).toBe(INDEX)
    }
  })

  it('serves hashed assets with their content type, cached for a year, and answers 304 to a known ETag', async () => {
    const js = await raw('/app/assets/index-abc123.js')
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(js.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await js.text()).toBe(SCRIPT)
    const css = await raw('/app/assets/index-abc123.css')
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
    const svg = await raw('/app/favicon.svg')
    expect(svg.headers.get('content-type')).toBe('image/svg+xml')
    expect(svg.headers.get('cache-control')).toBe('no-cache')
    const again = await raw('/app/assets/index-abc123.js', {
      headers: { 'if-none-match': js.headers.get('etag')! },
    })
    expect(again.status).toBe(304)
  })

  it('answers 404 for a missing asset and for paths that try to leave the build', async () => {
    for (const path of [
      '/app/assets/index-old999.js',
      '/app/missing.js',
      '/app/%2e%2e/package.json',
      '/app/..%2fpackage.json',
      '/app/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/app/%00',
      '/app/%E0%A4%A',
    ]) {
      const res = await raw(path)
      expect(res.status, path).toBe(404)
      expect(await res.text()).not.toContain('"name": "draftdesk"')
    }
  })

  it('refuses writes to the app with 405 and leaves the API where it was', async () => {
    const post = await raw('/app/tickets/1', { method: 'POST', body: '{}' })
    expect(post.status).toBe(405)
    const health = await app.call('GET', '/health')
    expect(health.status).toBe(200)
    const missing = await app.call('GET', '/nothing-here')
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('not_found')
  })

  it('gives the WHMCS panel a Review in Draftdesk link to the ticket page at PUBLIC_URL', async () => {
    // Prepare
    const t = await createTenant(app, 'console-serve')
    const key = await app.call('POST', '/api-keys', { name: 'panel' }, { token: t.admin })
    const sql = app.rt.deps.sql
    const [ticket] = await sql<{ id: number }[]>`
      INSERT INTO tickets (tenant_id, subject, content, source, whmcs_ticket_id)
      VALUES (${t.id}, 'Mail down', 'SMTP rejects my login', 'whmcs', 77) RETURNING id`
    await sql`
      INSERT INTO ai_replies (tenant_id, ticket_id, request_id, ai_reply, confidence_score, provider, model, status)
      VALUES (${t.id}, ${ticket!.id}, ${randomUUID()}, 'Use port 587.', 70, 'builtin', 'x', 'pending')`
    // Act
    const res = await app.call('GET', '/integrations/whmcs/tickets/77/draft', undefined, {
      apiKey: key.body.key,
    })
    // Assess
    expect(res.status).toBe(200)
    expect(res.body.draft.reviewUrl).toBe(`https://desk.example.com/app/tickets/${ticket!.id}`)
  })
})

describe('Function: the panel without PUBLIC_URL', () => {
  it('offers no Review in Draftdesk link', async () => {
    const app = await startTestApp()
    try {
      const t = await createTenant(app, 'console-nourl')
      const key = await app.call('POST', '/api-keys', { name: 'panel' }, { token: t.admin })
      const sql = app.rt.deps.sql
      const [ticket] = await sql<{ id: number }[]>`
        INSERT INTO tickets (tenant_id, subject, content, source, whmcs_ticket_id)
        VALUES (${t.id}, 'Mail down', 'SMTP rejects my login', 'whmcs', 78) RETURNING id`
      await sql`
        INSERT INTO ai_replies (tenant_id, ticket_id, request_id, ai_reply, confidence_score, provider, model, status)
        VALUES (${t.id}, ${ticket!.id}, ${randomUUID()}, 'Use port 587.', 70, 'builtin', 'x', 'pending')`
      const res = await app.call('GET', '/integrations/whmcs/tickets/78/draft', undefined, {
        apiKey: key.body.key,
      })
      expect(res.status).toBe(200)
      expect(res.body.draft.reviewUrl).toBeNull()
    } finally {
      await app.stop()
    }
  })
})
