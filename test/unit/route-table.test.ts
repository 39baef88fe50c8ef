import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { contract } from '#shared/api/contract'
import { queues, routeKey, routes, schedules } from '#shared/routes'

const ROOT = join(import.meta.dirname, '..', '..')

describe('The route, queue and schedule table', () => {
  it('has a handler file and request schemas for every route, and no schema without a route', () => {
    const keys = routes.map(routeKey)
    expect(new Set(keys).size).toBe(keys.length)
    for (const route of routes) {
      expect(existsSync(join(ROOT, `${route.handler}.ts`)), `${route.handler}.ts`).toBe(true)
      expect(contract, routeKey(route)).toHaveProperty([routeKey(route)])
    }
    expect(Object.keys(contract).sort()).toEqual([...keys].sort())
  })

  it('marks exactly the public routes as public in the contract', () => {
    for (const route of routes) {
      const spec = (contract as Record<string, { public?: true }>)[routeKey(route)]
      expect(spec?.public === true, routeKey(route)).toBe(route.auth === 'public')
    }
  })

  it('has a worker for every queue and a handler for every schedule', () => {
    for (const q of queues) expect(existsSync(join(ROOT, `${q.worker}.ts`)), q.worker).toBe(true)
    for (const s of schedules) expect(existsSync(join(ROOT, `${s.handler}.ts`)), s.handler).toBe(true)
  })
})
