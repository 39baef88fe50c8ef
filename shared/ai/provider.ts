/**
 * The AI provider port: everything Draftdesk needs from a model host, and nothing more. Two adapters
 * implement it — `OllamaProvider` (the real thing) and `BuiltinProvider` (the offline fallback) — and
 * `selectProvider` picks one at start-up.
 */

/**
 * Which side of a retrieval an embedding is for. Asymmetric models (nomic-embed-text) embed documents and
 * queries with different task prefixes; symmetric ones ignore it.
 */
export type EmbedKind = 'document' | 'query'

/** One chat message, in the shape Ollama's `chat` takes. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

/**
 * What the model writes first when the sources do not answer the question (guardrail 1). Code removes it
 * from the reply and escalates the ticket for `no_answer`: the model can only add an escalation this way,
 * never take one away, so customer text that makes it write the marker gains nothing.
 */
export const NO_ANSWER_MARKER = '[NO_ANSWER]'

/**
 * The question and the numbered sources a draft must be grounded in. An LLM reads them from the prompt;
 * the extractive built-in drafter needs them structured, so callers pass both.
 */
export interface Grounding {
  question: string
  sources: Array<{ ref: number; title: string; text: string }>
  /** ISO 639-1 code of the customer's language; the reply is written in it where the drafter can. */
  language?: string
  /**
   * ISO 639-1 code of the sources' language, as the pipeline detected it; a drafter that quotes rather than
   * translates says so when it differs from `language`. Unset: taken to be `language`.
   */
  sourcesLanguage?: string
  /**
   * Facts about the customer's account from the desk's WHMCS (issue 30), each citable as `[ref]` like a
   * source. A drafter states one only when it answers the question; an LLM reads them from the prompt, the
   * built-in drafter has sentences for the common cases (shared/ai/account-sentences.ts).
   */
  account?: readonly GroundingAccountFact[]
}

/** One account fact as a drafter needs it: the WHMCS status and the values a sentence about it names. */
export interface GroundingAccountFact {
  ref: number
  kind: 'client' | 'service' | 'domain' | 'invoice'
  /** WHMCS status: Suspended, Pending Transfer, Unpaid, … */
  status: string
  /** Service: the product name. */
  name?: string
  /** Service or domain: the domain name. */
  domain?: string
  /** Service: why WHMCS suspended it. */
  reason?: string
  /** Invoice: the number the customer sees. */
  number?: string
  /** Invoice: total with its currency (`12.95 USD`). */
  amount?: string
  /** Invoice: due date; service or domain: next due date (`YYYY-MM-DD`). */
  dueDate?: string | null
  /** Domain: expiry date. */
  expiryDate?: string | null
  /** Domain: days until it expires (negative: since it expired). */
  expiresInDays?: number | null
  /** Domain: automatic renewal, when WHMCS says. */
  autoRenew?: boolean | null
  /** Invoice: unpaid past its due date. */
  overdue?: boolean
  /** Invoice: the ref of the service or domain fact it renews. */
  renews?: number | null
}

export interface ChatOptions {
  /** Overrides the provider's default chat model (e.g. from the tenant's prompt version). */
  model?: string
  temperature?: number
  /** Upper bound on generated tokens (Ollama `num_predict`). */
  maxTokens?: number
  grounding?: Grounding
  /**
   * Abandons the call: the request in flight is aborted and no retry starts after it. A caller with its own
   * deadline passes one so that a late answer does not keep a connection and the model host busy. A
   * provider without requests to abort (the built-in one) may ignore it.
   */
  signal?: AbortSignal
}

export interface ChatResult {
  content: string
  /** The model that actually answered, as reported by the host. */
  model: string
  promptTokens: number
  completionTokens: number
}

export interface AiProvider {
  readonly name: 'ollama' | 'builtin'
  /** Identifies the vector space; store it next to vectors, since two models' vectors never compare. */
  readonly embedModel: string
  /** Fixed by the schema: `kb_chunks.embedding vector(768)`. */
  readonly dimensions: 768
  /**
   * Whether `chat` can answer in another language than its sources are written in. An LLM translates; the
   * extractive built-in drafter can only quote, so its reply to a German customer from English articles is
   * English, and drafting escalates such a ticket for `language_mismatch` (shared/trust/escalation.ts).
   */
  readonly translates: boolean
  /** One vector per input text, in input order. */
  embed(texts: string[], kind: EmbedKind): Promise<number[][]>
  chat(messages: ChatMessage[], options?: ChatOptions): Promise<ChatResult>
}

/** Why a provider call failed, for callers that branch on it (queues retry only `retryable` errors). */
export type AiProviderErrorCode =
  | 'model_not_found'
  | 'timeout'
  | 'unavailable'
  | 'http'
  | 'bad_response'
  /** The caller abandoned the call through `ChatOptions.signal`. */
  | 'aborted'

/**
 * A provider failure with an operator-readable message. `retryable` tells a worker whether running the same
 * job later can succeed (host down, timeout, 5xx) or never will (model not pulled, wrong dimension, 4xx).
 */
export class AiProviderError extends Error {
  override readonly name = 'AiProviderError'
  readonly retryable: boolean
  readonly code: AiProviderErrorCode
  /** HTTP status from the host, when there was one. */
  readonly status?: number

  constructor(
    message: string,
    options: { retryable: boolean; code: AiProviderErrorCode; status?: number; cause?: unknown },
  ) {
    super(message, { cause: options.cause })
    this.retryable = options.retryable
    this.code = options.code
    this.status = options.status
  }
}
