/** Small helpers shared by the benchmark scripts. */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs'
import type { Db } from '../shared/db/sql.ts'

/** Value at quantile q (0..1) of an unsorted sample, nearest-rank. */
export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

export const ms = (n: number) => `${n.toFixed(1)} ms`

/** A seeded PRNG (mulberry32) so every run generates the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Prints rows as an aligned table. */
export function table(rows: Record<string, string | number>[]): void {
  console.table(rows)
}

/** The engine this bench process runs on: the server in DATABASE_URL, or embedded PGlite. */
export const engine = (): 'pglite' | 'postgres' => (process.env.DATABASE_URL ? 'postgres' : 'pglite')

/** One number of a bench run, as bench/run.ts puts the engines side by side. */
export interface Measure {
  case: string
  metric: string
  value: number
  unit: 'ms' | '/s' | '/min' | 's' | ''
  /** Which direction is better, for the ratio bench/run.ts prints. */
  better: 'lower' | 'higher'
}

/**
 * Records measures for bench/run.ts (a JSON line each in the file it names in BENCH_RESULTS); a script run
 * on its own only prints its tables.
 */
export function record(...measures: Measure[]): void {
  const file = process.env.BENCH_RESULTS
  if (!file) return
  for (const m of measures) appendFileSync(file, `${JSON.stringify(m)}\n`)
}

/** Latency measures (`p50`, `p95`, … of `samples`) of one case, recorded and returned for the table. */
export function latencies(name: string, samples: number[], qs: Array<'p50' | 'p95' | 'p99' | 'max'>) {
  const value = (q: string) =>
    q === 'max' ? Math.max(...samples) : quantile(samples, Number(q.slice(1)) / 100)
  record(
    ...qs.map((q) => ({
      case: name,
      metric: q,
      value: value(q),
      unit: 'ms' as const,
      better: 'lower' as const,
    })),
  )
  return Object.fromEntries(qs.map((q) => [q, ms(value(q))]))
}

/** Fields of /proc/<pid>/stat after the command name (index 0 is the state), or null. */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

/**
 * The pid of the PostgreSQL server `sql` talks to when it runs on this machine (Linux /proc): the parent of
 * this connection's backend. Null on PGlite, elsewhere, or when /proc cannot be read.
 */
export async function localPostmaster(sql: Db): Promise<number | null> {
  if (engine() !== 'postgres') return null
  const [row] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`
  const fields = row ? procStat(row.pid) : null
  return fields ? Number(fields[1]) : null
}

/**
 * CPU seconds spent so far by the server `postmaster` (from {@link localPostmaster}) and its processes:
 * their own time plus what exited children left in the postmaster's account. Null without a postmaster.
 */
export function postgresCpuSeconds(postmaster: number | null): number | null {
  if (postmaster === null) return null
  const tick = 100 // USER_HZ on Linux
  const main = procStat(postmaster)
  if (!main) return null
  let total = main.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / tick
  for (const entry of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const fields = procStat(Number(entry))
    if (fields && Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) / tick
  }
  return total
}

/**
 * Drops index `name` and returns the statement that re-creates it as the migrations defined it (with its
 * build parameters), for benches that load data first and build the index once afterwards.
 */
export async function dropIndex(sql: Db, name: string): Promise<string> {
  const [row] = await sql<{ indexdef: string }[]>`SELECT indexdef FROM pg_indexes WHERE indexname = ${name}`
  if (!row) throw new Error(`no index ${name}`)
  await sql.unsafe(`DROP INDEX ${name}`)
  return row.indexdef
}
