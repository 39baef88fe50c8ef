/**
 * `npm run bench [-- name ...]`: runs each benchmark script in its own process, one after another so they
 * do not compete for the cores: on embedded PGlite and, when DATABASE_URL names a reachable PostgreSQL
 * server, on that server too (each bench process in databases of its own, created and dropped again by
 * test/helpers/db.ts). Then prints one table per bench with both engines' numbers side by side.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSql } from '#shared/db/sql'
import type { Measure } from './lib.ts'

const here = import.meta.dirname
const wanted = process.argv.slice(2)
/** Scripts that never touch a database run once. */
const ENGINE_FREE = new Set(['bundles', 'html'])
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))

type Engine = 'pglite' | 'postgres'
const serverUrl = process.env.DATABASE_URL || undefined

/** The server leg runs only when the server answers; otherwise the run says why and stays on PGlite. */
async function reachable(url: string): Promise<boolean> {
  const sql = createSql(url, { max: 1 })
  try {
    await sql`SELECT 1`
    return true
  } catch (error) {
    console.log(
      `DATABASE_URL is set but the server does not answer (${(error as Error).message}): PGlite only`,
    )
    return false
  } finally {
    await sql.end({ timeout: 1 })
  }
}
const engines: Engine[] = serverUrl && (await reachable(serverUrl)) ? ['pglite', 'postgres'] : ['pglite']
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

const dir = mkdtempSync(join(tmpdir(), 'draftdesk-bench-'))
let failed = 0
const results = new Map<string, Map<Engine, Measure[]>>()
for (const name of scripts) {
  for (const engine of ENGINE_FREE.has(name) ? (['pglite'] as const) : engines) {
    console.log(`\n=== bench/${name}.ts on ${engine} (load average ${load()}) ===`)
    const file = join(dir, `${name}.${engine}.jsonl`)
    const { DATABASE_URL: _, ...env } = process.env
    const res = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`)], {
      stdio: 'inherit',
      env: {
        ...env,
        ...(engine === 'postgres' ? { DATABASE_URL: serverUrl } : {}),
        BENCH_RESULTS: file,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'ERROR',
      },
    })
    if (res.status !== 0) failed++
    let lines: string[] = []
    try {
      lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
    } catch {}
    const byEngine = results.get(name) ?? new Map<Engine, Measure[]>()
    byEngine.set(
      engine,
      lines.map((l) => JSON.parse(l) as Measure),
    )
    results.set(name, byEngine)
  }
}
rmSync(dir, { recursive: true, force: true })

const format = (m: Measure | undefined) => {
  if (!m) return ''
  const digits = m.value >= 100 ? 0 : 1
  return `${m.value.toLocaleString('en', { maximumFractionDigits: digits })}${m.unit === '/s' || m.unit === '/min' ? m.unit : m.unit ? ` ${m.unit}` : ''}`
}
/** How many times better the server does: > 1 is the server ahead, whichever direction is better. */
const ratio = (a: Measure | undefined, b: Measure | undefined) => {
  if (!a || !b || a.value === 0 || b.value === 0) return ''
  const r = a.better === 'lower' ? a.value / b.value : b.value / a.value
  return `${r.toFixed(1)}×`
}

console.log(`\n=== side by side (load average at the end ${load()}) ===`)
for (const [name, byEngine] of results) {
  const pglite = byEngine.get('pglite') ?? []
  const server = byEngine.get('postgres') ?? []
  if (pglite.length === 0 && server.length === 0) continue
  const key = (m: Measure) => `${m.case}\u0000${m.metric}`
  const serverByKey = new Map(server.map((m) => [key(m), m]))
  const keys = [...new Set([...pglite, ...server].map(key))]
  const pgliteByKey = new Map(pglite.map((m) => [key(m), m]))
  const rows = keys.map((k) => {
    const [c, metric] = k.split('\u0000') as [string, string]
    const a = pgliteByKey.get(k)
    const b = serverByKey.get(k)
    return engines.length > 1 ? [c, metric, format(a), format(b), ratio(a, b)] : [c, metric, format(a)]
  })
  const header =
    engines.length > 1 ? ['case', '', 'PGlite', 'PostgreSQL', 'server gain'] : ['case', '', 'PGlite']
  console.log(`\n**bench/${name}.ts**\n`)
  console.log(`| ${header.join(' | ')} |`)
  console.log(`|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`)
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)
}
process.exit(failed ? 1 : 0)
