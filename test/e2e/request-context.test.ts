/**
 * What a request takes from the runtime it runs in: CORS from the runtime's own configuration (the
 * environment `startRuntime({ env })` was given, not the process's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const ORIGIN = 'https://desk.example.test'

let app: TestApp
beforeAll(async () => {
  app = await startTestApp({ workers: false, env: { CORS_ORIGINS: `${ORIGIN},https://other.example.test` } })
})
afterAll(async () => app?.stop())

describe('Function: httpRoute CORS', () => {
  it('answers with the origins of the runtime configuration, not the process environment', async () => {
    // Act
    const allowed = await app.call('GET', '/health', undefined, { headers: { origin: ORIGIN } })
    const foreign = await app.call('GET', '/health', undefined, { headers: { origin: 'https://evil.test' } })
    // Assess: with `*` (the process default) both would be allowed.
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(foreign.headers.get('access-control-allow-origin')).not.toBe('https://evil.test')
    expect(foreign.headers.get('access-control-allow-origin')).not.toBe('*')
  })
})
