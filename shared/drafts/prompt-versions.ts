import { audit } from '../audit/record.ts'
import type { AuthContext } from '../auth/roles.ts'
import type { Db, Sql } from '../db/sql.ts'
import { ConflictError, ForbiddenError, found, ValidationError } from '../errors.ts'
import { DEFAULT_PROMPT, type PromptTemplates, validatePromptTemplates } from './prompt.ts'

/** A prompt version as the API shows it. `inUse` marks the one drafts of the tenant are built with. */
export interface PromptVersionView extends PromptTemplates {
  id: number
  tenantId: number | null
  scope: 'tenant' | 'global'
  version: string
  name: string
  description: string | null
  model: string
  temperature: number
  maxTokens: number
  isActive: boolean
  isDefault: boolean
  inUse: boolean
  createdBy: number | null
  createdAt: Date
  updatedAt: Date
}

/** What the draft pipeline needs from the prompt version in use; `id` is null only for the built-in fallback. */
export interface ActivePrompt extends PromptTemplates {
  id: number | null
  version: string
  model: string
  temperature: number
  maxTokens: number
}

type Row = Omit<PromptVersionView, 'scope' | 'inUse'>

const COLUMNS = (sql: Db) => sql`
  id, tenant_id, version, name, description, system_prompt, context_template, task_template, model,
  temperature, max_tokens, is_active, is_default, created_by, created_at, updated_at`

const view = (row: Row, inUseId: number | null): PromptVersionView => ({
  ...row,
  scope: row.tenantId === null ? 'global' : 'tenant',
  inUse: row.id === inUseId,
})

/** The tenant's own active prompt wins over the global active one (seeded from DEFAULT_PROMPT). */
const IN_USE_ORDER = (sql: Db) => sql`ORDER BY tenant_id NULLS LAST, id DESC LIMIT 1`

/**
 * The prompt version drafts of a tenant use: its own active one, else the global active default.
 * Falls back to the DEFAULT_PROMPT constant when the database has neither (seedDefaults not run yet),
 * so drafting never stops for want of a prompt row.
 */
export async function loadActivePrompt(sql: Db, tenantId: number): Promise<ActivePrompt> {
  const [row] = await sql<ActivePrompt[]>`
    SELECT id, version, system_prompt, context_template, task_template, model, temperature, max_tokens
    FROM prompt_versions
    WHERE is_active AND (tenant_id = ${tenantId} OR tenant_id IS NULL)
    ${IN_USE_ORDER(sql)}`
  if (row) return row
  const { systemPrompt, contextTemplate, taskTemplate, version, model, temperature, maxTokens } =
    DEFAULT_PROMPT
  return { id: null, systemPrompt, contextTemplate, taskTemplate, version, model, temperature, maxTokens }
}

/** The tenant's prompt versions and the global ones, newest first. */
export async function listPrompts(sql: Sql, tenantId: number): Promise<PromptVersionView[]> {
  const rows = await sql<Row[]>`
    SELECT ${COLUMNS(sql)} FROM prompt_versions
    WHERE tenant_id = ${tenantId} OR tenant_id IS NULL
    ORDER BY id DESC`
  const inUse =
    rows.find((r) => r.isActive && r.tenantId === tenantId) ??
    rows.find((r) => r.isActive && r.tenantId === null)
  return rows.map((r) => view(r, inUse?.id ?? null))
}

export interface PromptInput extends PromptTemplates {
  version: string
  name: string
  description?: string
  model: string
  temperature: number
  maxTokens: number
  global: boolean
}

/**
 * Stores a new, inactive prompt version. Templates are checked here (unknown placeholders, or any in the
 * system prompt, which must stay constant text) so a bad template is a 400 now, not a failed draft later.
 * Global prompts (shared by every tenant) are for superadmins only.
 */
export async function createPrompt(
  sql: Sql,
  auth: AuthContext,
  tenantId: number,
  input: PromptInput,
): Promise<PromptVersionView> {
  if (input.global && auth.role !== 'superadmin') {
    throw new ForbiddenError('only a superadmin may create global prompts')
  }
  const problems = validatePromptTemplates(input)
  const issues = Object.entries(problems).map(([path, names]) => ({
    in: 'body',
    path,
    code: 'unknown_placeholder',
    message:
      path === 'systemPrompt'
        ? `the system prompt takes no placeholders (found ${names.map((n) => `{{${n}}}`).join(', ')})`
        : `unknown placeholder(s) ${names.map((n) => `{{${n}}}`).join(', ')}`,
  }))
  if (issues.length > 0) throw new ValidationError(issues, 'invalid prompt template')

  const owner = input.global ? null : tenantId
  return sql.begin(async (tx) => {
    const [row] = await tx<Row[]>`
      INSERT INTO prompt_versions (tenant_id, version, name, description, system_prompt, context_template,
                                   task_template, model, temperature, max_tokens, is_active, created_by)
      VALUES (${owner}, ${input.version}, ${input.name}, ${input.description ?? null}, ${input.systemPrompt},
              ${input.contextTemplate}, ${input.taskTemplate}, ${input.model}, ${input.temperature},
              ${input.maxTokens}, false, ${auth.userId})
      ON CONFLICT DO NOTHING
      RETURNING ${COLUMNS(tx)}`
    if (!row) throw new ConflictError(`prompt version "${input.version}" already exists`)
    await audit(tx, {
      tenantId,
      userId: auth.userId,
      action: 'prompt_changed',
      entityType: 'prompt_version',
      entityId: row.id,
      details: { change: 'created', version: row.version, scope: owner === null ? 'global' : 'tenant' },
    })
    return view(row, null)
  })
}

/**
 * Makes a prompt version the active one of its owner (the tenant, or the global default): the previous
 * active version is deactivated and this one activated in one transaction, so drafts never see zero or two
 * active versions. An advisory lock per owner serialises concurrent activations, which would otherwise
 * trip the one-active unique index. Another tenant's prompt is a 404; a global one needs a superadmin.
 */
export async function activatePrompt(
  sql: Sql,
  auth: AuthContext,
  tenantId: number,
  promptId: number,
): Promise<PromptVersionView> {
  return sql.begin(async (tx) => {
    const target = found(
      await tx<{ id: number; tenantId: number | null }[]>`
        SELECT id, tenant_id FROM prompt_versions
        WHERE id = ${promptId} AND (tenant_id = ${tenantId} OR tenant_id IS NULL)`,
      'prompt version',
    )
    const owner = target.tenantId
    if (owner === null && auth.role !== 'superadmin') {
      throw new ForbiddenError('only a superadmin may change the global prompt')
    }
    await tx`SELECT pg_advisory_xact_lock(4242, ${owner ?? 0})`
    const sameOwner = owner === null ? tx`tenant_id IS NULL` : tx`tenant_id = ${owner}`
    const previous = await tx<{ id: number }[]>`
      UPDATE prompt_versions SET is_active = false, updated_at = now()
      WHERE ${sameOwner} AND is_active AND id <> ${promptId}
      RETURNING id`
    const [row] = await tx<Row[]>`
      UPDATE prompt_versions SET is_active = true, updated_at = now()
      WHERE id = ${promptId}
      RETURNING ${COLUMNS(tx)}`
    await audit(tx, {
      tenantId,
      userId: auth.userId,
      action: 'prompt_changed',
      entityType: 'prompt_version',
      entityId: promptId,
      details: {
        change: 'activated',
        version: row!.version,
        scope: owner === null ? 'global' : 'tenant',
        previousActiveId: previous[0]?.id ?? null,
      },
    })
    // A global prompt is in use for this tenant only when the tenant has no active prompt of its own.
    const [own] =
      owner === null
        ? await tx`SELECT 1 FROM prompt_versions WHERE tenant_id = ${tenantId} AND is_active`
        : [undefined]
    return view(row!, own ? null : row!.id)
  })
}
