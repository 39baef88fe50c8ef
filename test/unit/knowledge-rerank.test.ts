import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rerankingConfigSchema } from '../../shared/api/prompts.ts'
import {
  applyCrossEncoderScores,
  DEFAULT_RERANKING_CONFIG,
  type RerankCandidate,
  RerankerError,
  rerankBySource,
  teiRerank,
} from '../../shared/knowledge/rerank.ts'

const weights = DEFAULT_RERANKING_CONFIG.weights

describe('Function: rerankBySource', () => {
  it('orders by weighted score and keeps scores within 0..1', () => {
    // Prepare
    const candidates: Array<RerankCandidate & { text: string }> = [
      { id: 'g', sourceKind: 'global_kb', score: 0.8, text: 'global' },
      { id: 'a', sourceKind: 'approved_example', score: 0.78, text: 'example' },
      { id: 't', sourceKind: 'tenant_kb', score: 0.9, text: 'tenant' },
    ]

    // Act
    const result = rerankBySource(candidates, { weights, topK: 5, scoreThreshold: 0 })

    // Assess
    expect(result.map((r) => r.id)).toEqual(['t', 'a', 'g'])
    expect(result[0]).toMatchObject({ text: 'tenant', rank: 1, sourceWeight: 0.3, belowThreshold: false })
    expect(result[1]!.rerankScore).toBeCloseTo(0.78, 10) // the top-weighted kind keeps its score
    expect(result[2]!.rerankScore).toBeCloseTo((0.8 * 1.2) / 1.35, 10)
  })

  it('drops candidates below the threshold and cuts at topK', () => {
    // Prepare
    const candidates = Array.from({ length: 10 }, (_, i) => ({
      id: i,
      sourceKind: 'approved_example' as const,
      score: 1 - i * 0.1,
    }))

    // Act
    const result = rerankBySource(candidates, { weights, topK: 3, scoreThreshold: 0.75 })
    const loose = rerankBySource(candidates, { weights, topK: 8, scoreThreshold: 0.75 })

    // Assess
    expect(result.map((r) => r.id)).toEqual([0, 1, 2])
    expect(loose.map((r) => r.id)).toEqual([0, 1, 2])
  })

  it('never returns nothing when candidates exist: the best one, marked below threshold', () => {
    // Prepare
    const candidates = [
      { id: 1, sourceKind: 'global_kb' as const, score: 0.2 },
      { id: 2, sourceKind: 'tenant_kb' as const, score: 0.3 },
    ]

    // Act
    const result = rerankBySource(candidates, { weights, topK: 5, scoreThreshold: 0.5 })

    // Assess
    expect(result).toHaveLength(1)
    expect(result[0]).toMatchObject({ id: 2, belowThreshold: true, rank: 1 })
    expect(rerankBySource([], { weights, topK: 5, scoreThreshold: 0.5 })).toEqual([])
  })

  it('keeps input order for ties', () => {
    // Prepare
    const candidates = ['x', 'y', 'z'].map((id) => ({ id, sourceKind: 'tenant_kb' as const, score: 0.7 }))

    // Act
    const result = rerankBySource(candidates, { weights, topK: 3, scoreThreshold: 0 })

    // Assess
    expect(result.map((r) => r.id)).toEqual(['x', 'y', 'z'])
  })
})

describe('Function: applyCrossEncoderScores', () => {
  it('replaces fused scores by cross-encoder scores where given', () => {
    // Prepare
    const candidates = [
      { id: 1, sourceKind: 'tenant_kb' as const, score: 0.9 },
      { id: 2, sourceKind: 'tenant_kb' as const, score: 0.4 },
    ]

    // Act
    const result = applyCrossEncoderScores(candidates, [{ index: 1, score: 0.95 }])

    // Assess
    expect(result.map((c) => c.score)).toEqual([0.9, 0.95])
  })
})

describe('Function: rerankingConfigSchema', () => {
  it('accepts the defaults and weights off by float rounding', () => {
    // Prepare
    const nearlyOne = {
      ...DEFAULT_RERANKING_CONFIG,
      weights: { global_kb: 0.1, tenant_kb: 0.2, approved_example: 0.3, correction: 0.4004 },
    }

    // Act / Assess
    expect(rerankingConfigSchema.safeParse(DEFAULT_RERANKING_CONFIG).success).toBe(true)
    expect(rerankingConfigSchema.safeParse(nearlyOne).success).toBe(true)
  })

  it.each([
    [
      'weights not summing to 1',
      { weights: { global_kb: 0.5, tenant_kb: 0.5, approved_example: 0.5, correction: 0 } },
      'weights',
    ],
    [
      'a negative weight',
      { weights: { global_kb: -0.1, tenant_kb: 0.5, approved_example: 0.5, correction: 0.1 } },
      'weights',
    ],
    ['topKInitial over 100', { topKInitial: 101 }, 'topKInitial'],
    ['topKRerank over topKInitial', { topKInitial: 5, topKRerank: 6 }, 'topKRerank'],
    ['topKRerank of 0', { topKRerank: 0 }, 'topKRerank'],
    ['a threshold over 1', { scoreThreshold: 1.5 }, 'scoreThreshold'],
  ])('rejects %s', (_name, patch, path) => {
    // Prepare / Act
    const result = rerankingConfigSchema.safeParse({ ...DEFAULT_RERANKING_CONFIG, ...patch })

    // Assess
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((i) => i.path[0])).toContain(path)
  })
})

describe('Function: teiRerank', () => {
  type Handler = (body: unknown) => { status: number; body?: unknown; delayMs?: number }
  let handler: Handler = () => ({ status: 200, body: [] })
  const received: unknown[] = []
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (chunk) => {
      raw += chunk
    })
    req.on('end', () => {
      const body = JSON.parse(raw)
      received.push({ path: req.url, body })
      const answer = handler(body)
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' })
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body))
      }, answer.delayMs ?? 0)
    })
  })
  let url = ''

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('speaks the TEI /rerank protocol and sorts by score', async () => {
    // Prepare
    received.length = 0
    handler = () => ({
      status: 200,
      body: [
        { index: 0, score: 0.1 },
        { index: 1, score: 0.9 },
      ],
    })

    // Act
    const result = await teiRerank({ url: `${url}/`, query: 'reset password', texts: ['a', 'b'] })

    // Assess
    expect(received).toEqual([
      { path: '/rerank', body: { query: 'reset password', texts: ['a', 'b'], raw_scores: false } },
    ])
    expect(result).toEqual([
      { index: 1, score: 0.9 },
      { index: 0, score: 0.1 },
    ])
  })

  it('retries 5xx with backoff and then succeeds', async () => {
    // Prepare
    received.length = 0
    let calls = 0
    handler = () => (++calls < 3 ? { status: 503 } : { status: 200, body: [{ index: 0, score: 0.5 }] })

    // Act
    const result = await teiRerank({ url, query: 'q', texts: ['a'], retries: 3, minBackoffMs: 5 })

    // Assess
    expect(calls).toBe(3)
    expect(result).toEqual([{ index: 0, score: 0.5 }])
  })

  it('times out each attempt and gives up after the retries', async () => {
    // Prepare
    let calls = 0
    handler = () => {
      calls++
      return { status: 200, body: [], delayMs: 300 }
    }

    // Act
    const act = teiRerank({ url, query: 'q', texts: ['a'], timeoutMs: 50, retries: 1, minBackoffMs: 5 })

    // Assess
    await expect(act).rejects.toBeInstanceOf(RerankerError)
    expect(calls).toBe(2)
  })

  it('does not retry a 4xx or a malformed answer', async () => {
    // Prepare
    let calls = 0
    handler = () => {
      calls++
      return { status: 413, body: { error: 'too large' } }
    }

    // Act
    const tooLarge = teiRerank({ url, query: 'q', texts: ['a'], retries: 3, minBackoffMs: 5 })

    // Assess
    await expect(tooLarge).rejects.toMatchObject({ name: 'RerankerError', status: 413 })
    expect(calls).toBe(1)

    // Prepare
    calls = 0
    handler = () => {
      calls++
      return { status: 200, body: [{ index: 5, score: 1 }] }
    }

    // Act / Assess
    await expect(teiRerank({ url, query: 'q', texts: ['a'], retries: 3, minBackoffMs: 5 })).rejects.toThrow(
      /out of range/,
    )
    expect(calls).toBe(1)
  })

  it('accepts an injected fetch and skips the call for no texts', async () => {
    // Prepare
    let called = 0
    const fakeFetch = (async () => {
      called++
      return new Response(JSON.stringify([{ index: 0, score: 0.7 }]), { status: 200 })
    }) as typeof fetch

    // Act
    const empty = await teiRerank({ url: 'http://unused', query: 'q', texts: [], fetch: fakeFetch })
    const one = await teiRerank({ url: 'http://tei/rerank', query: 'q', texts: ['x'], fetch: fakeFetch })

    // Assess
    expect(empty).toEqual([])
    expect(one).toEqual([{ index: 0, score: 0.7 }])
    expect(called).toBe(1)
  })
})
