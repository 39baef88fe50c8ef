/** Small helpers shared by the benchmark scripts. */

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
