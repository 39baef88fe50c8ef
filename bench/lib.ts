/** Small helpers shared by the benchmark scripts. */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs'

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

/**
 * CPU seconds spent so far by every `postgres` process on this machine (Linux /proc), or null where
 * that cannot be read: with the server on the same machine, its share of an ingestion (HNSW inserts).
 */
export function postgresCpuSeconds(): number | null {
  try {
    const tick = 100 // USER_HZ on Linux
    let total = 0
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        if (!stat.includes('(postgres)')) continue
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        total += (Number(fields[11]) + Number(fields[12])) / tick
      } catch {}
    }
    return total
  } catch {
    return null
  }
}
