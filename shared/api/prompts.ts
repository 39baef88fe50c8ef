import * as z from 'zod'
import { idParams, rowId, tenantScope } from './common.ts'

const weightsSchema = z
  .object({
    global_kb: z.number().min(0).max(1),
    tenant_kb: z.number().min(0).max(1),
    approved_example: z.number().min(0).max(1),
    correction: z.number().min(0).max(1),
  })
  .strict()

/**
 * The reranking config without cross-field checks. Exported so callers can derive `.partial()` and
 * similar shapes, which zod does not allow on a refined schema; validate the result with
 * {@link rerankingConfigSchema} afterwards.
 */
const rerankingConfigBaseSchema = z
  .object({
    isEnabled: z.boolean(),
    modelName: z.string().trim().min(1).max(255),
    weights: weightsSchema,
    topKInitial: z.number().int().min(1).max(100),
    topKRerank: z.number().int().min(1).max(100),
    scoreThreshold: z.number().min(0).max(1),
  })
  .strict()

/** Tolerance on the weight sum, so 0.1 + 0.2 style float sums and 3-decimal UIs still validate. */
const WEIGHT_SUM_TOLERANCE = 0.001

/**
 * `GET/PUT /settings/reranking` body: weights ≥ 0 summing to 1 (± 0.001), `topKInitial` 1..100,
 * `topKRerank` 1..`topKInitial`, `scoreThreshold` 0..1.
 * @internal
 */
export const rerankingConfigSchema = rerankingConfigBaseSchema.superRefine((config, ctx) => {
  const sum = Object.values(config.weights).reduce((a, b) => a + b, 0)
  if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) {
    ctx.addIssue({
      code: 'custom',
      path: ['weights'],
      message: `Source weights must add up to 1 (got ${Number(sum.toFixed(6))})`,
    })
  }
  if (config.topKRerank > config.topKInitial) {
    ctx.addIssue({
      code: 'custom',
      path: ['topKRerank'],
      message: `topKRerank (${config.topKRerank}) cannot exceed topKInitial (${config.topKInitial})`,
    })
  }
})

/** A validated reranking config. */
export type RerankingConfig = z.infer<typeof rerankingConfigSchema>

/** Model settings a new prompt version gets when its body leaves them out (also the seeded default's). */
export const PROMPT_MODEL_DEFAULTS = { model: 'qwen2.5:3b', temperature: 0.3, maxTokens: 800 } as const

const template = (max: number) => z.string().trim().min(1).max(max)

const promptVersion = z.object({
  id: rowId,
  tenantId: rowId.nullable(),
  scope: z.enum(['tenant', 'global']),
  version: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  systemPrompt: z.string(),
  contextTemplate: z.string(),
  taskTemplate: z.string(),
  model: z.string(),
  temperature: z.number(),
  maxTokens: z.number().int(),
  isActive: z.boolean(),
  isDefault: z.boolean(),
  inUse: z.boolean().describe("the version the tenant's drafts are made with"),
  createdBy: rowId.nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
})

/** The config in effect and whose it is: the tenant's own, or the global default it inherits. */
const rerankingConfigView = rerankingConfigBaseSchema.extend({ scope: z.enum(['tenant', 'global']) })

export const promptsContract = {
  'GET /prompts': {
    summary: "The tenant's prompt versions and the global ones, newest first, with the one in use flagged",
    query: tenantScope,
    response: z.object({ items: z.array(promptVersion) }),
  },
  'POST /prompts': {
    summary: 'Create a prompt version (inactive); templates use {{placeholders}} checked on write',
    body: z
      .object({
        version: z.string().trim().min(1).max(50),
        name: z.string().trim().min(1).max(255),
        description: z.string().trim().max(2000).optional(),
        systemPrompt: template(20_000),
        contextTemplate: template(20_000),
        taskTemplate: template(20_000),
        model: z.string().trim().min(1).max(100).default(PROMPT_MODEL_DEFAULTS.model),
        // A real number, unlike seed 001's int ÷ 10 (migration 001).
        temperature: z.number().min(0).max(2).default(PROMPT_MODEL_DEFAULTS.temperature),
        maxTokens: z.number().int().min(16).max(8192).default(PROMPT_MODEL_DEFAULTS.maxTokens),
        /** A global prompt (tenant NULL) shared by every tenant; superadmin only. */
        global: z.boolean().default(false),
      })
      .extend(tenantScope.shape)
      .strict(),
    response: promptVersion,
  },
  'POST /prompts/{id}/activate': {
    status: 200,
    summary:
      'Make a prompt version the active one of its tenant (the previous one is deactivated atomically)',
    params: idParams,
    query: tenantScope,
    response: promptVersion,
  },
  'GET /settings/reranking': {
    summary: "The tenant's reranking config (the global default until the tenant saves its own)",
    query: tenantScope,
    response: rerankingConfigView,
  },
  'PUT /settings/reranking': {
    summary: 'Replace the tenant reranking config: weights ≥ 0 summing to 1, top-k limits, score threshold',
    query: tenantScope,
    body: rerankingConfigSchema,
    response: rerankingConfigView,
  },
} as const
