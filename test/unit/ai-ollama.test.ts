import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BuiltinProvider } from '#shared/ai/builtin'
import { dot } from '#shared/ai/hashed-embedding'
import { OllamaProvider, type OllamaProviderOptions } from '#shared/ai/ollama'
import { AiProviderError } from '#shared/ai/provider'
import { type ProviderLogger, selectProvider } from '#shared/ai/select'
import { type FakeOllama, startFakeOllama } from '../fakes/ollama-server.ts'

let fake: FakeOllama

// Small backoff keeps the failure paths fast. The timeout stays generous so that an answered request never
// times out on a loaded machine; tests of timeouts make the fake hang, which only the timeout can end.
const provider = (options: Partial<OllamaProviderOptions> = {}) =>
  new OllamaProvider({
    host: fake.url,
    timeoutMs: 10_000,
    retries: 2,
    minBackoffMs: 5,
    maxBackoffMs: 20,
    ...options,
  })

const bodiesOf = (path: string) =>
  fake.calls.filter((c) => c.path === path).map((c) => c.body as Record<string, unknown>)

function recordingLogger() {
  const lines: Array<{ level: 'info' | 'warn'; message: string; extra?: object }> = []
  const logger: ProviderLogger = {
    info: (message, extra) => lines.push({ level: 'info', message, extra }),
    warn: (message, extra) => lines.push({ level: 'warn', message, extra }),
  }
  return { logger, lines }
}

beforeAll(async () => {
  fake = await startFakeOllama()
})

afterAll(async () => {
  await fake.close()
})

beforeEach(() => {
  fake.calls.length = 0
  fake.setLatency(0)
  fake.setReplyWith(undefined)
})

describe('Function: OllamaProvider.embed', () => {
  it('sends nomic task prefixes in one batch request and returns 768-d vectors', async () => {
    // Prepare
    const ollama = provider()

    // Act
    const documents = await ollama.embed(
      ['Reset your password in the client area.', 'Invoices are due monthly.'],
      'document',
    )
    const [query] = await ollama.embed(['how to reset password'], 'query')

    // Assess
    expect(bodiesOf('/api/embed')).toEqual([
      {
        model: 'nomic-embed-text',
        input: [
          'search_document: Reset your password in the client area.',
          'search_document: Invoices are due monthly.',
        ],
        truncate: true,
      },
      { model: 'nomic-embed-text', input: ['search_query: how to reset password'], truncate: true },
    ])
    expect(documents.map((v) => v.length)).toEqual([768, 768])
    expect(dot(query!, documents[0]!)).toBeGreaterThan(dot(query!, documents[1]!))
  })

  it('splits large inputs into batches and keeps the order', async () => {
    // Prepare
    const ollama = provider({ embedBatchSize: 2 })
    const texts = ['one', 'two', 'three', 'four', 'five']

    // Act
    const vectors = await ollama.embed(texts, 'document')

    // Assess
    expect(bodiesOf('/api/embed').map((b) => (b.input as string[]).length)).toEqual([2, 2, 1])
    expect(vectors).toEqual(await new BuiltinProvider().embed(texts, 'document'))
  })

  it('makes no request for an empty input', async () => {
    // Act
    const vectors = await provider().embed([], 'query')

    // Assess
    expect(vectors).toEqual([])
    expect(fake.calls).toHaveLength(0)
  })

  it('retries after a 500 and then succeeds', async () => {
    // Prepare
    fake.failNext(1, '/api/embed')

    // Act
    const vectors = await provider().embed(['hello'], 'document')

    // Assess
    expect(vectors).toHaveLength(1)
    expect(bodiesOf('/api/embed')).toHaveLength(2)
  })

  it('gives up after the configured retries with a retryable error', async () => {
    // Prepare
    fake.failNext(3, '/api/embed')

    // Act
    const error = await provider({ retries: 2 })
      .embed(['hello'], 'document')
      .catch((e: unknown) => e)

    // Assess
    expect(bodiesOf('/api/embed')).toHaveLength(3)
    expect(error).toBeInstanceOf(AiProviderError)
    expect(error).toMatchObject({ retryable: true, code: 'http', status: 500 })
    expect((error as Error).message).toMatch(/HTTP 500.*gave up after 3 attempts/)
  })

  it('times out a hung request, retries, and succeeds', async () => {
    // Prepare
    fake.hangNext(1, '/api/embed')

    // Act: the timeout must end the hung attempt yet never an answered one, so it is not tiny.
    const vectors = await provider({ embedTimeoutMs: 1_000 }).embed(['hello'], 'document')

    // Assess: the first attempt was abandoned by the client (the fake saw it hang up), the second answered.
    expect(vectors).toHaveLength(1)
    expect(bodiesOf('/api/embed')).toHaveLength(2)
    await expect.poll(() => fake.calls.map((c) => c.aborted)).toEqual([true, false])
  })

  it('reports a timeout when every attempt hangs', async () => {
    // Prepare
    fake.hangNext(3, '/api/embed')

    // Act
    const error = await provider({ embedTimeoutMs: 80, retries: 2 })
      .embed(['hello'], 'document')
      .catch((e: unknown) => e)

    // Assess
    expect(error).toMatchObject({ retryable: true, code: 'timeout' })
    expect((error as Error).message).toMatch(/timed out after 80 ms.*gave up after 3 attempts/)
    await expect.poll(() => fake.calls.map((c) => c.aborted)).toEqual([true, true, true])
  })

  it('says which model to pull when the embedding model is missing, without retrying', async () => {
    // Prepare
    const ollama = provider({ embedModel: 'mxbai-embed-large' })

    // Act
    const error = await ollama.embed(['hello'], 'document').catch((e: unknown) => e)

    // Assess
    expect(error).toMatchObject({ retryable: false, code: 'model_not_found', status: 404 })
    expect((error as Error).message).toBe(
      `model "mxbai-embed-large" is not pulled on OLLAMA_HOST ${fake.url}; run \`ollama pull mxbai-embed-large\` there`,
    )
    expect(bodiesOf('/api/embed')).toHaveLength(1)
  })

  it('rejects vectors that are not 768-d', async () => {
    // Prepare
    const small = await startFakeOllama({ embedDimensions: 384 })

    try {
      // Act
      const error = await new OllamaProvider({ host: small.url, retries: 2, minBackoffMs: 5 })
        .embed(['hello'], 'document')
        .catch((e: unknown) => e)

      // Assess
      expect(error).toMatchObject({ retryable: false, code: 'bad_response' })
      expect((error as Error).message).toMatch(/returned 384-d vectors; Draftdesk stores vector\(768\)/)
      expect(small.calls).toHaveLength(1)
    } finally {
      await small.close()
    }
  })

  it('reports a refused connection as retryable and unavailable', async () => {
    // Prepare
    const gone = await startFakeOllama()
    await gone.close()

    // Act
    const error = await new OllamaProvider({ host: gone.url, retries: 1, minBackoffMs: 5 })
      .embed(['hello'], 'document')
      .catch((e: unknown) => e)

    // Assess
    expect(error).toMatchObject({ retryable: true, code: 'unavailable' })
    expect((error as Error).message).toMatch(
      /cannot reach Ollama at .*ECONNREFUSED.*gave up after 2 attempts/,
    )
  })
})

describe('Function: OllamaProvider.chat', () => {
  it('maps model, temperature and maxTokens onto a non-streaming request', async () => {
    // Prepare
    const ollama = provider()
    const messages = [
      { role: 'system' as const, content: 'Answer from the sources and cite them.' },
      {
        role: 'user' as const,
        content: 'Sources:\n[1] Restart the mail service from cPanel. It takes a minute.\n\nQ: mail down?',
      },
    ]

    // Act
    const result = await ollama.chat(messages, { model: 'qwen2.5:3b', temperature: 0.2, maxTokens: 256 })

    // Assess
    expect(bodiesOf('/api/chat')).toEqual([
      { model: 'qwen2.5:3b', messages, stream: false, options: { temperature: 0.2, num_predict: 256 } },
    ])
    expect(result.content).toBe('Thank you for reaching out. Restart the mail service from cPanel [1].')
    expect(result.model).toBe('qwen2.5:3b')
    expect(result.promptTokens).toBeGreaterThan(0)
    expect(result.completionTokens).toBe(Math.ceil(result.content.length / 4))
  })

  it('uses the default chat model and sends no options when none are given', async () => {
    // Prepare
    fake.setReplyWith(() => 'custom reply')

    // Act
    const result = await provider().chat([{ role: 'user', content: 'hi' }])

    // Assess
    expect(bodiesOf('/api/chat')[0]).toMatchObject({ model: 'qwen2.5:3b', stream: false, options: {} })
    expect(result.content).toBe('custom reply')
  })

  it('cleans NUL bytes and lone surrogates out of a reply, which Postgres could not store', async () => {
    // Prepare
    fake.setReplyWith(() => 'Dear\u0000 customer \ud800[1]')
    // Act
    const result = await provider().chat([{ role: 'user', content: 'hi' }])
    // Assess
    expect(result.content).toBe('Dear customer \ufffd[1]')
  })

  it('retries after a 500 on chat', async () => {
    // Prepare
    fake.failNext(2, '/api/chat')

    // Act
    const result = await provider().chat([{ role: 'user', content: 'hi' }])

    // Assess
    expect(result.content).toContain('agent will follow up')
    expect(bodiesOf('/api/chat')).toHaveLength(3)
  })

  it('aborts a chat in flight when the caller abandons it, and does not retry it', async () => {
    // Prepare: the fake never answers; only the caller's signal can end the call.
    fake.hangNext(1, '/api/chat')
    const caller = new AbortController()
    const pending = provider({ timeoutMs: 600_000 })
      .chat([{ role: 'user', content: 'hi' }], { signal: caller.signal })
      .catch((e: unknown) => e)
    await expect.poll(() => bodiesOf('/api/chat').length).toBe(1)
    // Act
    caller.abort()
    const error = await pending
    // Assess
    expect(error).toMatchObject({ retryable: false, code: 'aborted' })
    await expect.poll(() => fake.calls.find((c) => c.path === '/api/chat')?.aborted).toBe(true)
    expect(bodiesOf('/api/chat')).toHaveLength(1)
  })

  it('stops waiting for a retry once the caller abandons the call', async () => {
    // Prepare: a transient failure, then a backoff far longer than the test may take.
    fake.failNext(1, '/api/chat')
    const caller = new AbortController()
    const pending = provider({ minBackoffMs: 600_000, maxBackoffMs: 600_000 })
      .chat([{ role: 'user', content: 'hi' }], { signal: caller.signal })
      .catch((e: unknown) => e)
    await expect.poll(() => bodiesOf('/api/chat').length).toBe(1)
    // Act
    caller.abort()
    const error = await pending
    // Assess
    expect(error).toMatchObject({ retryable: false, code: 'aborted' })
    expect(bodiesOf('/api/chat')).toHaveLength(1)
  })

  it('names the chat model to pull when it is missing', async () => {
    // Act
    const error = await provider()
      .chat([{ role: 'user', content: 'hi' }], { model: 'llama3.1:8b' })
      .catch((e: unknown) => e)

    // Assess
    expect(error).toMatchObject({ retryable: false, code: 'model_not_found' })
    expect((error as Error).message).toContain('run `ollama pull llama3.1:8b`')
  })
})

describe('Function: selectProvider', () => {
  it('falls back to the built-in provider, loudly, when OLLAMA_HOST is unset', async () => {
    // Prepare
    const { logger, lines } = recordingLogger()

    // Act
    const selected = await selectProvider({}, logger)

    // Assess
    expect(selected).toBeInstanceOf(BuiltinProvider)
    expect(lines).toHaveLength(1)
    expect(lines[0]?.level).toBe('warn')
    expect(lines[0]?.message).toContain('OFFLINE AI PROVIDER IN USE')
    expect(lines[0]?.message).toContain('OLLAMA_HOST is not set')
  })

  it('falls back when the host is unreachable', async () => {
    // Prepare
    const gone = await startFakeOllama()
    await gone.close()
    const { logger, lines } = recordingLogger()

    // Act
    const selected = await selectProvider({ ollamaHost: gone.url }, logger)

    // Assess
    expect(selected.name).toBe('builtin')
    expect(lines[0]?.message).toMatch(/did not answer GET \/api\/tags: cannot reach Ollama/)
  })

  it('falls back when the host does not answer within the probe timeout', async () => {
    // Prepare
    fake.hangNext(1, '/api/tags')
    const { logger, lines } = recordingLogger()

    // Act
    const selected = await selectProvider({ ollamaHost: fake.url, probeTimeoutMs: 100 }, logger)

    // Assess
    expect(selected.name).toBe('builtin')
    expect(lines[0]?.message).toContain('timed out after 100 ms')
  })

  it('picks Ollama when it answers, logging the models it has', async () => {
    // Prepare
    const { logger, lines } = recordingLogger()

    // Act
    const selected = await selectProvider({ ollamaHost: fake.url, retries: 0 }, logger)

    // Assess
    expect(selected).toBeInstanceOf(OllamaProvider)
    expect(selected.embedModel).toBe('nomic-embed-text')
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'AI provider: ollama',
        extra: expect.objectContaining({ availableModels: ['nomic-embed-text:latest', 'qwen2.5:3b'] }),
      },
    ])
  })

  it('warns when the embedding model is not pulled', async () => {
    // Prepare
    const bare = await startFakeOllama({ models: ['qwen2.5:3b'] })
    const { logger, lines } = recordingLogger()

    try {
      // Act
      const selected = await selectProvider({ ollamaHost: bare.url }, logger)

      // Assess
      expect(selected.name).toBe('ollama')
      expect(lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
        `embedding model "nomic-embed-text" is not pulled on ${bare.url}; run \`ollama pull nomic-embed-text\` there`,
      ])
    } finally {
      await bare.close()
    }
  })
})
