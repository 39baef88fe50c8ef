import type { Sql } from '../db/sql.ts'
import { DEFAULT_PROMPT } from './prompt.ts'

/**
 * Seeds rows every installation needs: the global default prompt version (active, so tenants without
 * their own prompt draft with it). Idempotent; runs after migrations locally and in the deploy trigger.
 * Kept in code, not in a migration, because the prompt text lives next to the code that fills it.
 */
export async function seedDefaults(sql: Sql): Promise<void> {
  const p = DEFAULT_PROMPT
  await sql`
    INSERT INTO prompt_versions (tenant_id, version, name, description, system_prompt, context_template,
                                 task_template, model, temperature, max_tokens, is_active, is_default)
    SELECT NULL, ${p.version}, ${p.name}, ${p.description}, ${p.systemPrompt}, ${p.contextTemplate},
           ${p.taskTemplate}, ${p.model}, ${p.temperature}, ${p.maxTokens},
           NOT EXISTS (SELECT 1 FROM prompt_versions WHERE tenant_id IS NULL AND is_active), true
    WHERE NOT EXISTS (SELECT 1 FROM prompt_versions WHERE tenant_id IS NULL AND is_default)`
}
