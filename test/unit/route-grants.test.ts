/**
 * Issue 26.8: the grants each function declares in shared/routes.ts (`uses`) are what its code can reach,
 * no more and no less. Every handler is bundled as it ships (esbuild, tree-shaken: code a handler cannot
 * call is dropped), and its bundle is searched for what needs a grant: `enqueue(tx, jobs, '<queue>', …)` sites
 * (sends), `queue.depths()` (inspects), `encryptSecret`/`decryptSecret` (the data key), `issueToken` (the
 * JWT key on a public route; every authenticated route verifies tokens).
 */
import { build, type OutputFile } from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  grantsOf,
  type QueueDef,
  type QueueName,
  queues,
  type RouteDef,
  routeKey,
  routes,
  type ScheduleDef,
  type SecretName,
  schedules,
} from '#shared/routes'

type Entry = RouteDef | QueueDef | ScheduleDef
const ROOT = new URL('../..', import.meta.url).pathname
const moduleOf = (e: Entry) => ('worker' in e ? e.worker : e.handler)
const labelOf = (e: Entry) => ('method' in e ? routeKey(e) : moduleOf(e))
const entries: Entry[] = [...routes, ...queues, ...schedules]
const ALL: QueueName[] = queues.map((q) => q.name)

let bundles: Map<string, string>

beforeAll(async () => {
  const out = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(entries.map((e) => [moduleOf(e), `./${moduleOf(e)}.ts`])),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    // Our own code is what decides; dependencies only slow the build.
    packages: 'external',
    outdir: 'grants-probe',
    logLevel: 'silent',
  })
  const text = (f: OutputFile) => f.text
  bundles = new Map(
    out.outputFiles.map((f) => [f.path.slice(f.path.indexOf('grants-probe/') + 13, -'.js'.length), text(f)]),
  )
}, 60_000)

/** What a bundle can reach that needs a grant. */
function reached(e: Entry): { sends: string[]; inspects: string[]; secrets: SecretName[] } {
  const code = bundles.get(moduleOf(e))
  if (!code) throw new Error(`no bundle for ${moduleOf(e)}`)
  const sends = new Set([...code.matchAll(/\benqueue\(\s*\w+,\s*\w+,\s*"(\w+)"/g)].map((m) => m[1]!))
  // The sweep publishes the outbox of every producer: a relay of all queues, whatever it enqueues itself.
  if ('handler' in e && e.handler === 'functions/schedule/outbox-sweep') for (const q of ALL) sends.add(q)
  const secrets: SecretName[] = moduleOf(e) === 'functions/http/openapi' ? [] : ['db']
  if (('auth' in e && e.auth !== 'public') || /\bfunction issueToken\(/.test(code)) secrets.push('jwt')
  if (/\bfunction (en|de)cryptSecret\(/.test(code)) secrets.push('dataKey')
  return {
    sends: [...sends].sort(),
    inspects: /\bqueue\.depths\(\)/.test(code) ? [...ALL].sort() : [],
    secrets: secrets.sort(),
  }
}

describe('Function: grants declared in the route table', () => {
  it('finds the markers it looks for (the probe can fail)', () => {
    // Assess: known producers and consumers of each marker, so a renamed helper fails here, not silently.
    const byModule = (m: string) => entries.find((e) => moduleOf(e) === m)!
    expect(reached(byModule('functions/http/tickets-create')).sends).toEqual(['draft'])
    expect(reached(byModule('functions/http/drafts-approve')).sends).toEqual(['embed', 'send'])
    expect(reached(byModule('functions/http/health')).inspects).toEqual([...ALL].sort())
    expect(reached(byModule('functions/http/auth-login')).secrets).toContain('jwt')
    expect(reached(byModule('functions/workers/send')).secrets).toContain('dataKey')
    expect(reached(byModule('functions/http/tickets-get'))).toEqual({
      sends: [],
      inspects: [],
      secrets: ['db', 'jwt'],
    })
  })

  for (const e of entries) {
    it(`${labelOf(e)}: declares exactly what its code reaches`, () => {
      // Act
      const grants = grantsOf(e)
      // Assess
      expect({
        sends: [...grants.sends].sort(),
        inspects: [...grants.inspects].sort(),
        secrets: [...grants.secrets].sort(),
      }).toEqual(reached(e))
    })
  }
})
