/**
 * Start-up choice of the AI provider (docs/ARCHITECTURE.md): Ollama when `OLLAMA_HOST` is set and
 * answers, otherwise the built-in offline provider — announced loudly, because its drafts are extractive
 * and its retrieval lexical, which an operator must not mistake for the real thing.
 */
import { BuiltinProvider } from './builtin.ts'
import { hasModel, OllamaProvider, type OllamaProviderOptions } from './ollama.ts'
import type { AiProvider } from './provider.ts'

/** The two log levels selection needs; the Powertools logger satisfies it. */
export interface ProviderLogger {
  info(message: string, extra?: object): void
  warn(message: string, extra?: object): void
}

export interface SelectProviderOptions extends Omit<OllamaProviderOptions, 'host'> {
  /** `OLLAMA_HOST`; unset or blank selects the built-in provider. */
  ollamaHost?: string
  /** How long the `GET /api/tags` probe may take before Ollama counts as unreachable. Default 2 000. */
  probeTimeoutMs?: number
}

function offline(reason: string, logger: ProviderLogger): AiProvider {
  const rule = '='.repeat(78)
  logger.warn(
    [
      rule,
      '  OFFLINE AI PROVIDER IN USE: built-in hashed-n-gram embeddings + extractive drafter',
      `  Reason: ${reason}`,
      '  Drafts are assembled from knowledge-base sentences and retrieval is lexical only.',
      '  Set OLLAMA_HOST to a reachable Ollama (nomic-embed-text, qwen2.5:3b) for LLM drafts.',
      rule,
    ].join('\n'),
    { aiProvider: 'builtin', reason },
  )
  return new BuiltinProvider()
}

/**
 * Returns an `OllamaProvider` when `options.ollamaHost` is set and `GET /api/tags` answers within
 * `probeTimeoutMs`, logging the models it has and warning about required ones it lacks; otherwise a
 * `BuiltinProvider`, with a loud warning naming why. Never throws: the product must start without a GPU.
 */
export async function selectProvider(
  options: SelectProviderOptions,
  logger: ProviderLogger,
): Promise<AiProvider> {
  const { ollamaHost, probeTimeoutMs = 2_000, ...ollamaOptions } = options
  const host = ollamaHost?.trim()
  if (!host) return offline('OLLAMA_HOST is not set', logger)

  let models: string[]
  try {
    models = await OllamaProvider.listModels(host, probeTimeoutMs)
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    return offline(`Ollama at ${host} did not answer GET /api/tags: ${detail}`, logger)
  }

  const provider = new OllamaProvider({ ...ollamaOptions, host })
  logger.info('AI provider: ollama', {
    aiProvider: 'ollama',
    host,
    availableModels: models,
    embedModel: provider.embedModel,
    chatModel: provider.chatModel,
  })
  // Selection does not fall back here: the host is right and only a pull is missing, which the operator
  // fixes in a minute; silently switching vector spaces would be worse.
  for (const [purpose, model] of [
    ['embedding', provider.embedModel],
    ['chat', provider.chatModel],
  ] as const) {
    if (!hasModel(models, model)) {
      logger.warn(
        `${purpose} model "${model}" is not pulled on ${host}; run \`ollama pull ${model}\` there`,
        {
          aiProvider: 'ollama',
          host,
          missingModel: model,
          availableModels: models,
        },
      )
    }
  }
  return provider
}
