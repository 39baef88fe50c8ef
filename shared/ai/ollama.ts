/**
 * The Ollama adapter, on the official `ollama` client. The client has no timeouts and no retries of its
 * own, so both live here: every request gets an `AbortSignal.timeout` through a wrapping `fetch`, and every
 * call is retried with exponential backoff and jitter (p-retry) when the failure is transient.
 */
import { Ollama } from 'ollama'
import pRetry from 'p-retry'
import { cleanText } from '../http/safe-input.ts'
import { observeModelCall } from '../observability.ts'
import { estimateTokens } from '../text/words.ts'
import {
  type AiProvider,
  AiProviderError,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type EmbedKind,
} from './provider.ts'

export interface OllamaProviderOptions {
  /** `OLLAMA_HOST`, e.g. `http://10.0.1.20:11434` (scheme and port optional, as with the Ollama CLI). */
  host: string
  /** Must produce 768-d vectors (the schema's `vector(768)`). Default `nomic-embed-text`. */
  embedModel?: string
  /** Used when `chat` gets no `options.model`. Default `qwen2.5:3b`. */
  chatModel?: string
  /** Per-request timeout for both kinds of call, unless the specific one below is set. */
  timeoutMs?: number
  /** Default 30 000: a batch of short passages embeds in well under a second once the model is loaded. */
  embedTimeoutMs?: number
  /** Default 60 000: a cold 3B model load plus a few hundred generated tokens on a small GPU. */
  chatTimeoutMs?: number
  /** Retries after the first attempt, for transient failures only. Default 3. */
  retries?: number
  /** First backoff delay; doubles per retry, randomised ×1–2 for jitter. Default 500. */
  minBackoffMs?: number
  /** Backoff ceiling. Default 10 000. */
  maxBackoffMs?: number
  /** Texts per `/api/embed` request; larger inputs are split. Default 64. */
  embedBatchSize?: number
}

/** nomic-embed-text is trained with task prefixes; without them retrieval quality drops noticeably. */
const TASK_PREFIX: Record<EmbedKind, string> = {
  document: 'search_document: ',
  query: 'search_query: ',
}

/**
 * A `fetch` that aborts each request (including reading its body) after `timeoutMs`, or as soon as the
 * caller's `abandon` signal fires.
 */
function fetchWithTimeout(timeoutMs: number, abandon?: AbortSignal): typeof fetch {
  return (input, init) => {
    const signals = [AbortSignal.timeout(timeoutMs)]
    if (init?.signal) signals.push(init.signal)
    if (abandon) signals.push(abandon)
    return fetch(input, { ...init, signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0] })
  }
}

/** Ollama names an untagged model `name:latest`; both spellings mean the same model. */
export function hasModel(available: readonly string[], model: string): boolean {
  const full = model.includes(':') ? model : `${model}:latest`
  return available.some((name) => name === model || name === full)
}

interface CallContext {
  op: 'embed' | 'chat' | 'list'
  model: string
  host: string
  timeoutMs: number
}

/**
 * Maps whatever the client or fetch threw onto an `AiProviderError` whose `retryable` says whether trying
 * again can help: timeouts, refused connections and 5xx can; a missing model or another 4xx cannot.
 */
function classify(error: unknown, { op, model, host, timeoutMs }: CallContext): AiProviderError {
  if (error instanceof AiProviderError) return error
  const e = error as { name?: string; message?: string; status_code?: number; cause?: { code?: string } }
  if (e?.name === 'TimeoutError') {
    return new AiProviderError(`Ollama ${op} on ${host} timed out after ${timeoutMs} ms`, {
      retryable: true,
      code: 'timeout',
      cause: error,
    })
  }
  if (e?.name === 'ResponseError' && typeof e.status_code === 'number') {
    const status = e.status_code
    if (status === 404 && /not found/i.test(e.message ?? '')) {
      return new AiProviderError(
        `model "${model}" is not pulled on OLLAMA_HOST ${host}; run \`ollama pull ${model}\` there`,
        { retryable: false, code: 'model_not_found', status, cause: error },
      )
    }
    // 429/408 come from proxies in front of Ollama and mean "later", like Ollama's own 503 when its queue is full.
    const retryable = status >= 500 || status === 429 || status === 408
    return new AiProviderError(`Ollama ${op} on ${host} failed with HTTP ${status}: ${e.message}`, {
      retryable,
      code: 'http',
      status,
      cause: error,
    })
  }
  // Node's fetch reports refused or reset connections as TypeError("fetch failed") with a coded cause.
  if (error instanceof TypeError) {
    const detail = e.cause?.code ?? e.message
    return new AiProviderError(`cannot reach Ollama at ${host} (${detail})`, {
      retryable: true,
      code: 'unavailable',
      cause: error,
    })
  }
  return new AiProviderError(`Ollama ${op} on ${host} failed: ${e?.message ?? String(error)}`, {
    retryable: false,
    code: 'bad_response',
    cause: error,
  })
}

/**
 * `AiProvider` backed by an Ollama host: `nomic-embed-text` embeddings through the batch `/api/embed` API and
 * chat through `/api/chat` (non-streaming). Failures surface as `AiProviderError`.
 */
export class OllamaProvider implements AiProvider {
  readonly name = 'ollama' as const
  readonly dimensions = 768 as const
  readonly embedModel: string
  readonly translates = true
  readonly chatModel: string
  readonly host: string
  private readonly embedClient: Ollama
  private readonly chatClient: Ollama
  private readonly embedTimeoutMs: number
  private readonly chatTimeoutMs: number
  private readonly retries: number
  private readonly minBackoffMs: number
  private readonly maxBackoffMs: number
  private readonly embedBatchSize: number

  constructor(options: OllamaProviderOptions) {
    this.host = options.host
    this.embedModel = options.embedModel ?? 'nomic-embed-text'
    this.chatModel = options.chatModel ?? 'qwen2.5:3b'
    this.embedTimeoutMs = options.embedTimeoutMs ?? options.timeoutMs ?? 30_000
    this.chatTimeoutMs = options.chatTimeoutMs ?? options.timeoutMs ?? 60_000
    this.retries = options.retries ?? 3
    this.minBackoffMs = options.minBackoffMs ?? 500
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000
    this.embedBatchSize = options.embedBatchSize ?? 64
    // One client per timeout: the client builds its own requests, so the timeout rides on its fetch.
    this.embedClient = new Ollama({ host: this.host, fetch: fetchWithTimeout(this.embedTimeoutMs) })
    this.chatClient = new Ollama({ host: this.host, fetch: fetchWithTimeout(this.chatTimeoutMs) })
  }

  /**
   * Names of the models pulled on `host` (`GET /api/tags`), with a single attempt bounded by `timeoutMs`.
   * Used as a start-up probe, so it does not retry.
   */
  static async listModels(host: string, timeoutMs = 2_000): Promise<string[]> {
    const client = new Ollama({ host, fetch: fetchWithTimeout(timeoutMs) })
    try {
      const { models } = await client.list()
      return models.map((m) => m.name)
    } catch (error) {
      throw classify(error, { op: 'list', model: '', host, timeoutMs })
    }
  }

  /**
   * Embeds `texts` with the nomic task prefix for `kind`, in batches of `embedBatchSize`. Throws a
   * non-retryable `AiProviderError` when the model answers with anything but one 768-d vector per text.
   */
  async embed(texts: string[], kind: EmbedKind): Promise<number[][]> {
    const vectors: number[][] = []
    for (let start = 0; start < texts.length; start += this.embedBatchSize) {
      const input = texts.slice(start, start + this.embedBatchSize).map((t) => TASK_PREFIX[kind] + t)
      const { embeddings } = await this.withRetry('embed', this.embedModel, this.embedTimeoutMs, () =>
        // truncate: an over-long passage is cut to the model's context instead of failing the whole batch.
        this.embedClient.embed({ model: this.embedModel, input, truncate: true }),
      )
      this.assertShape(embeddings, input.length)
      vectors.push(...embeddings)
    }
    return vectors
  }

  /**
   * One non-streaming chat completion. `options.grounding` is not sent: for an LLM the sources are part of
   * the prompt the caller rendered into `messages`.
   */
  async chat(messages: ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    const model = options.model ?? this.chatModel
    const modelOptions: { temperature?: number; num_predict?: number } = {}
    if (options.temperature !== undefined) modelOptions.temperature = options.temperature
    if (options.maxTokens !== undefined) modelOptions.num_predict = options.maxTokens
    // The client takes its fetch per instance, so a call the caller may abandon gets a client of its own
    // (a plain object, cheap) whose fetch also listens to the caller's signal.
    const client = options.signal
      ? new Ollama({ host: this.host, fetch: fetchWithTimeout(this.chatTimeoutMs, options.signal) })
      : this.chatClient
    const response = await this.withRetry(
      'chat',
      model,
      this.chatTimeoutMs,
      () => client.chat({ model, messages, stream: false, options: modelOptions }),
      options.signal,
    )
    // A model can emit a NUL or a broken surrogate pair; Postgres would then refuse the whole draft.
    const content = cleanText(response.message?.content ?? '')
    return {
      content,
      model: response.model ?? model,
      // Ollama omits the counts when it served the prompt from its cache; an estimate beats a zero.
      promptTokens: response.prompt_eval_count ?? estimateTokens(messages.map((m) => m.content).join('\n')),
      completionTokens: response.eval_count ?? estimateTokens(content),
    }
  }

  private assertShape(
    embeddings: number[][] | undefined,
    expected: number,
  ): asserts embeddings is number[][] {
    if (!Array.isArray(embeddings) || embeddings.length !== expected) {
      throw new AiProviderError(
        `Ollama embed on ${this.host} returned ${embeddings?.length ?? 'no'} vectors for ${expected} inputs`,
        { retryable: false, code: 'bad_response' },
      )
    }
    const wrong = embeddings.find((v) => v.length !== this.dimensions)
    if (wrong) {
      throw new AiProviderError(
        `embedding model "${this.embedModel}" on ${this.host} returned ${wrong.length}-d vectors; ` +
          `Draftdesk stores vector(${this.dimensions}) — use nomic-embed-text or another ${this.dimensions}-d model`,
        { retryable: false, code: 'bad_response' },
      )
    }
  }

  /**
   * Runs `request` with backoff on transient failures; the final error says how many attempts were made.
   * The whole call, retries included, is one trace subsegment and one latency or error data point.
   */
  private withRetry<T>(
    op: 'embed' | 'chat',
    model: string,
    timeoutMs: number,
    request: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return observeModelCall(op, async () => {
      let attempts = 0
      try {
        return await pRetry(
          async () => {
            attempts++
            try {
              return await request()
            } catch (error) {
              throw classify(error, { op, model, host: this.host, timeoutMs })
            }
          },
          {
            retries: this.retries,
            minTimeout: this.minBackoffMs,
            maxTimeout: this.maxBackoffMs,
            factor: 2,
            randomize: true,
            shouldRetry: ({ error }) => error instanceof AiProviderError && error.retryable,
            // Abandoned by the caller: no further attempt, and no waiting out a backoff first.
            signal,
          },
        )
      } catch (error) {
        if (signal?.aborted) {
          throw new AiProviderError(`Ollama ${op} on ${this.host} abandoned by the caller`, {
            retryable: false,
            code: 'aborted',
            cause: signal.reason,
          })
        }
        if (error instanceof AiProviderError && error.retryable && attempts > 1) {
          throw new AiProviderError(`${error.message} (gave up after ${attempts} attempts)`, {
            retryable: true,
            code: error.code,
            status: error.status,
            cause: error,
          })
        }
        throw error
      }
    })
  }
}
