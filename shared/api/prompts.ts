import * as z from 'zod'
import { DEFAULT_PROMPT } from '../drafts/prompt.ts'
import { rerankingConfigSchema } from '../knowledge/rerank.ts'
import { idParams, tenantScope } from './common.ts'

const template = (max: number) => z.string().trim().min(1).max(max)

export const promptsContract = {
  'GET /prompts': {
    summary: "The tenant's prompt versions and the global ones, newest first, with the one in use flagged",
    query: tenantScope,
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
        model: z.string().trim().min(1).max(100).default(DEFAULT_PROMPT.model),
        // A real number, unlike seed 001's int ÷ 10 (migration 001).
        temperature: z.number().min(0).max(2).default(DEFAULT_PROMPT.temperature),
        maxTokens: z.number().int().min(16).max(8192).default(DEFAULT_PROMPT.maxTokens),
        /** A global prompt (tenant NULL) shared by every tenant; superadmin only. */
        global: z.boolean().default(false),
      })
      .extend(tenantScope.shape)
      .strict(),
  },
  'POST /prompts/{id}/activate': {
    status: 200,
    summary:
      'Make a prompt version the active one of its tenant (the previous one is deactivated atomically)',
    params: idParams,
    query: tenantScope,
  },
  'GET /settings/reranking': {
    summary: "The tenant's reranking config (the global default until the tenant saves its own)",
    query: tenantScope,
  },
  'PUT /settings/reranking': {
    summary: 'Replace the tenant reranking config: weights ≥ 0 summing to 1, top-k limits, score threshold',
    query: tenantScope,
    body: rerankingConfigSchema,
  },
} as const
