/**
 * Reranking of retrieved candidates: by source kind (the tenant's `reranking_configs` weights) and,
 * when configured, by a cross-encoder served with the Hugging Face TEI `/rerank` protocol.
 */
import pRetry, { AbortError } from 'p-retry'
import * as z from 'zod'
import type { SourceKind } from '../api/kb.ts'
import type { RerankingConfig } from '../api/prompts.ts'

/** What a source without a title is called, on the stored draft and in the WHMCS panel. */
export const SOURCE_KIND_LABEL: Record<SourceKind, string> = {
  global_kb: 'Knowledge base',
  tenant_kb: 'Knowledge base',
  approved_example: 'Approved earlier reply',
  correction: 'Corrected earlier reply',
}

/** Per-kind weights; they add up to 1 in a valid config. */
export type SourceWeights = Record<SourceKind, number>

/** The minimum a candidate needs; anything else it carries is passed through. */
export interface RerankCandidate {
  id: string | number
  sourceKind: SourceKind
  /**
   * Relevance in 0..1: the cosine similarity to the query (text rank for a text-only hit), or a
   * cross-encoder score. Never the rank-based fused score, which is ~1 for the top hit whatever it says.
   */
  score: number
}

/** A candidate after {@link rerankBySource}. */
export type Reranked<T extends RerankCandidate> = T & {
  /** Score after source weighting, 0..1. */
  rerankScore: number
  /** The weight of the candidate's source kind. */
  sourceWeight: number
  /** 1-based position in the result. */
  rank: number
  /** True only for the single fallback item returned when nothing reached the threshold. */
  belowThreshold: boolean
}

/** What {@link rerankBySource} needs from a reranking config. */
export interface SourceRerankConfig {
  weights: SourceWeights
  topK: number
  scoreThreshold: number
}

/**
 * Reorders candidates by source-weighted score, keeps those at or above the threshold, returns the top K.
 *
 * Formula: `rerankScore = score × (1 + w_kind) / (1 + w_max)`, with `w_max` the largest weight.
 * - Multiplicative, not a convex blend with a per-kind prior: a blend would lift an irrelevant approved
 *   example above a relevant KB article just because of its kind. Here relevance stays the main factor
 *   and the weight only breaks near-ties: with the default weights (0.2 / 0.3 / 0.35 / 0.15) the factors
 *   run from 0.85 to 1.0.
 * - Dividing by `1 + w_max` keeps results in 0..1 (the favoured kind keeps its score), so the threshold
 *   means the same thing as the seed's "min rerank score" whatever the weights are.
 * - A weight of 0 demotes a kind (factor ≥ 0.5) but does not hide it; weights cannot exclude a kind.
 *
 * If no candidate reaches the threshold but some exist, the single best one is returned with
 * `belowThreshold: true`: the model still gets the closest context, and the low best score makes the
 * draft escalate for low retrieval. Ties keep the input order (stable sort).
 */
export function rerankBySource<T extends RerankCandidate>(
  candidates: readonly T[],
  config: SourceRerankConfig,
): Array<Reranked<T>> {
  if (candidates.length === 0) return []
  const maxWeight = Math.max(...Object.values(config.weights), 0)
  const scored = candidates
    .map((candidate, index) => {
      const sourceWeight = config.weights[candidate.sourceKind] ?? 0
      const base = Number.isFinite(candidate.score) ? Math.min(1, Math.max(0, candidate.score)) : 0
      return { candidate, index, sourceWeight, rerankScore: (base * (1 + sourceWeight)) / (1 + maxWeight) }
    })
    .sort((a, b) => b.rerankScore - a.rerankScore || a.index - b.index)

  const topK = Math.max(1, Math.floor(config.topK))
  const passing = scored.filter((s) => s.rerankScore >= config.scoreThreshold).slice(0, topK)
  const kept = passing.length > 0 ? passing : scored.slice(0, 1)
  const below = passing.length === 0
  return kept.map((s, i) => ({
    ...s.candidate,
    rerankScore: s.rerankScore,
    sourceWeight: s.sourceWeight,
    rank: i + 1,
    belowThreshold: below,
  }))
}

/** One result of a TEI `/rerank` call: the index into `texts` and its relevance. */
export interface TeiRerankResult {
  index: number
  score: number
}

const teiResponseSchema = z.array(z.object({ index: z.number().int().min(0), score: z.number() }))

/**
 * Thrown when the cross-encoder endpoint fails for good.
 * @internal
 */
export class RerankerError extends Error {
  readonly statusCode = 502
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'RerankerError'
  }
}

/** Options of {@link teiRerank}. */
export interface TeiRerankOptions {
  /** Base URL of the TEI server (`/rerank` is appended unless already there). */
  url: string
  query: string
  texts: readonly string[]
  /** Per-attempt timeout. Default 5 s: reranking 20 short passages takes well under a second on a GPU. */
  timeoutMs?: number
  /** Retries after the first attempt. Default 2. */
  retries?: number
  /** First backoff delay; doubles per retry. Default 200 ms. */
  minBackoffMs?: number
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof globalThis.fetch
  signal?: AbortSignal
}

/**
 * Calls a Hugging Face Text Embeddings Inference reranker: `POST /rerank` with
 * `{ query, texts, raw_scores: false }`, which answers `[{ index, score }]` (scores already through a
 * sigmoid, so 0..1). Results are returned sorted by score, best first.
 *
 * Timeouts, network errors, 429 and 5xx are retried with exponential backoff; other 4xx and malformed
 * answers fail at once because repeating the same request cannot fix them.
 */
export async function teiRerank(options: TeiRerankOptions): Promise<TeiRerankResult[]> {
  if (options.texts.length === 0) return []
  const doFetch = options.fetch ?? globalThis.fetch
  const endpoint = options.url.replace(/\/+$/, '').endsWith('/rerank')
    ? options.url.replace(/\/+$/, '')
    : `${options.url.replace(/\/+$/, '')}/rerank`
  const timeoutMs = options.timeoutMs ?? 5000
  const body = JSON.stringify({ query: options.query, texts: options.texts, raw_scores: false })

  const attempt = async (): Promise<TeiRerankResult[]> => {
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    let response: Response
    try {
      response = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal,
      })
    } catch (error) {
      if (options.signal?.aborted)
        throw new AbortError(new RerankerError('Reranking aborted', undefined, { cause: error }))
      // Timeouts surface as a DOMException, network failures as TypeError("fetch failed"); both retry.
      throw new RerankerError(`Reranker request failed: ${(error as Error).message}`, undefined, {
        cause: error,
      })
    }
    if (!response.ok) {
      const error = new RerankerError(`Reranker answered HTTP ${response.status}`, response.status)
      if (response.status === 429 || response.status >= 500) throw error
      throw new AbortError(error)
    }
    const parsed = teiResponseSchema.safeParse(await response.json().catch(() => undefined))
    if (!parsed.success) throw new AbortError(new RerankerError('Reranker answered with an unexpected body'))
    const outOfRange = parsed.data.find((r) => r.index >= options.texts.length)
    if (outOfRange) {
      throw new AbortError(new RerankerError(`Reranker returned index ${outOfRange.index} out of range`))
    }
    return [...parsed.data].sort((a, b) => b.score - a.score)
  }

  try {
    return await pRetry(attempt, {
      retries: options.retries ?? 2,
      minTimeout: options.minBackoffMs ?? 200,
      factor: 2,
      signal: options.signal,
    })
  } catch (error) {
    if (error instanceof RerankerError) throw error
    throw new RerankerError(`Reranking failed: ${(error as Error).message}`, undefined, { cause: error })
  }
}

/**
 * Puts cross-encoder scores onto candidates (by index into the texts sent), so {@link rerankBySource}
 * then weights relevance judged by the cross-encoder rather than by vector similarity. Candidates the
 * reranker did not score keep the score they came with.
 */
export function applyCrossEncoderScores<T extends RerankCandidate>(
  candidates: readonly T[],
  results: readonly TeiRerankResult[],
): T[] {
  const byIndex = new Map(results.map((r) => [r.index, r.score]))
  return candidates.map((candidate, i) => {
    const score = byIndex.get(i)
    return score === undefined ? candidate : { ...candidate, score }
  })
}

/** Default model of the seed's `reranking_configs.model_name`. */
const DEFAULT_RERANKER_MODEL = 'cross-encoder/ms-marco-MiniLM-L-6-v2'

/** The seed's global defaults (`reranking_configs` with tenant NULL). */
export const DEFAULT_RERANKING_CONFIG: RerankingConfig = {
  isEnabled: true,
  modelName: DEFAULT_RERANKER_MODEL,
  weights: { global_kb: 0.2, tenant_kb: 0.3, approved_example: 0.35, correction: 0.15 },
  topKInitial: 20,
  topKRerank: 5,
  scoreThreshold: 0.5,
}
