/**
 * Stage 1 of the draft pipeline (shared/drafts/pipeline.ts): the ticket, its thread, the tenant's settings
 * and the masked retrieval query.
 */
import type { Sql } from '../db/sql.ts'
import { loadRerankingConfig } from '../knowledge/reranking-config.ts'
import { logger } from '../logger.ts'
import type { DraftJob } from '../queue/jobs.ts'
import { clip, normaliseWhitespace } from '../text/fold.ts'
import { detectLanguage } from '../text/language.ts'
import { maskPii } from '../text/pii.ts'
import { type TenantEscalationRules, tenantEscalationRulesSchema } from '../trust/escalation.ts'
import { tenantCalibrations } from '../trust/tenant-calibration.ts'
import { loadActivePrompt } from './prompt-versions.ts'
import { hasApprovedReply, skipAnswered } from './requests.ts'
import type { DraftContext, DraftOutcome, StageContext, ThreadMessage, TicketRow } from './types.ts'

// Earlier messages shown to the model: the first (it states the problem) and the latest few, each cut
// short. Enough for "it still does not work" to make sense, small enough not to crowd out the sources.
const SUMMARY_RECENT = 4
const SUMMARY_CHARS_PER_MESSAGE = 300
const SUMMARY_MAX_CHARS = 1600
// Earlier customer text added to the retrieval query, so a short follow-up still finds its topic.
const QUERY_THREAD_CHARS = 400
const QUERY_MAX_CHARS = 2000

/**
 * Stage 1, load: the ticket, its thread, the tenant's reranking config, prompt and escalation rules, and
 * the masked query. Returns a skip outcome for a redelivered job, a ticket that is gone or closed, or a
 * message that was answered after the job was queued.
 */
export async function loadDraftContext(sql: Sql, job: DraftJob): Promise<DraftContext | DraftOutcome> {
  const [existing] = await sql`
    SELECT id FROM ai_replies WHERE tenant_id = ${job.tenantId} AND request_id = ${job.jobId}`
  if (existing) return { status: 'skipped', reason: 'duplicate' }
  const [ticket] = await sql<TicketRow[]>`
    SELECT t.id, t.subject, t.content, t.status, t.priority, t.department, tn.settings,
           t.metadata_json->'whmcsUserId' AS whmcs_user_id, t.metadata_json->>'whmcsService' AS whmcs_service
    FROM tickets t JOIN tenants tn ON tn.id = t.tenant_id
    WHERE t.id = ${job.ticketId} AND t.tenant_id = ${job.tenantId}`
  if (!ticket) return { status: 'skipped', reason: 'ticket_missing' }
  // The metadata is JSON: only a whole number is a client id.
  if (!Number.isSafeInteger(ticket.whmcsUserId)) ticket.whmcsUserId = null
  if (ticket.status === 'closed') {
    await sql`
      UPDATE tickets SET draft_state = NULL
      WHERE id = ${ticket.id} AND tenant_id = ${job.tenantId} AND draft_state = 'queued'`
    return { status: 'skipped', reason: 'ticket_closed' }
  }
  // Customer and agent messages only: assistant rows are unsent drafts, system rows internal notes.
  // Independent reads: sent at once (a pipeline on one connection, or side by side on a server's pool).
  const [thread, rerankCfg, promptVersion, calibrations] = await Promise.all([
    sql<ThreadMessage[]>`
      SELECT id, role, content FROM messages
      WHERE tenant_id = ${job.tenantId} AND ticket_id = ${ticket.id} AND role IN ('user', 'agent')
      ORDER BY id`,
    loadRerankingConfig(sql, job.tenantId),
    loadActivePrompt(sql, job.tenantId),
    tenantCalibrations(sql, job.tenantId),
  ])
  const tenantRules = escalationRulesOf(ticket.settings, job.tenantId)

  const target =
    (job.messageId !== null ? thread.find((m) => m.id === job.messageId && m.role === 'user') : undefined) ??
    thread.findLast((m) => m.role === 'user')
  // The message was answered (approved) after this job was queued: a draft now could never be approved.
  // Checked here to save the model call, and again under the ticket lock where it is decisive.
  if (await hasApprovedReply(sql, job.tenantId, ticket.id, target?.id ?? null)) {
    return skipAnswered(sql, job.tenantId, ticket.id)
  }
  const question = target?.content ?? ticket.content
  const earlier = target ? thread.filter((m) => m.id < target.id) : []
  const stage = stageContext({
    tenantId: job.tenantId,
    ticket,
    rerankCfg,
    promptVersion,
    tenantRules,
    question,
    earlier,
    tenantCalibrations: calibrations,
  })
  return { ...stage, job, ticket, target }
}

/** What {@link stageContext} builds a context from: the tenant's settings, the ticket and its thread. */
export interface StageInput {
  tenantId: number
  ticket: StageContext['ticket']
  rerankCfg: StageContext['rerankCfg']
  promptVersion: StageContext['promptVersion']
  tenantRules: StageContext['tenantRules']
  /** The customer message answered. */
  question: string
  /** Earlier messages of the thread, oldest first. */
  earlier: readonly ThreadMessage[]
  excludeLearningOfTicket?: number
  tenantCalibrations?: StageContext['tenantCalibrations']
  calibrationTable?: StageContext['calibrationTable']
}

/** The masked question, query and thread summary of a ticket's customer message, with the tenant's settings. */
export function stageContext(input: StageInput): StageContext {
  const { ticket, question, earlier } = input
  const customerTexts = [...earlier.filter((m) => m.role === 'user').map((m) => m.content), question]

  // One vault for the whole ticket, so the same address is the same placeholder everywhere. Everything
  // that leaves this process (embedding query, prompt) is masked, and masked before it is shortened, so a
  // cut can never leave half an address behind; the vault itself never leaves.
  const vault = new Map<string, string>()
  const maskedSubject = maskPii(ticket.subject, { vault }).masked
  const maskedQuestion = maskPii(question, { vault }).masked
  const maskedEarlier = earlier.map((m) => ({ ...m, content: maskPii(m.content, { vault }).masked }))
  const earlierCustomer = maskedEarlier
    .filter((m) => m.role === 'user')
    .slice(-2)
    .map((m) => normaliseWhitespace(m.content))
    .join(' ')
  const query = clip(
    [maskedSubject, maskedQuestion, clip(earlierCustomer, QUERY_THREAD_CHARS)].filter(Boolean).join('\n'),
    QUERY_MAX_CHARS,
  )
  return {
    tenantId: input.tenantId,
    ticket,
    rerankCfg: input.rerankCfg,
    promptVersion: input.promptVersion,
    tenantRules: input.tenantRules,
    ...(input.excludeLearningOfTicket === undefined
      ? {}
      : { excludeLearningOfTicket: input.excludeLearningOfTicket }),
    ...(input.tenantCalibrations ? { tenantCalibrations: input.tenantCalibrations } : {}),
    ...(input.calibrationTable ? { calibrationTable: input.calibrationTable } : {}),
    customerTexts,
    vault,
    maskedSubject,
    maskedQuestion,
    threadSummary: maskedEarlier.length > 0 ? summariseThread(maskedEarlier) : null,
    query,
    language: detectLanguage(`${ticket.subject}\n${question}`).language,
  }
}

/** Compact view of earlier messages: the first one, then the latest few, each cut short. */
function summariseThread(earlier: readonly ThreadMessage[]): string {
  const picked =
    earlier.length > SUMMARY_RECENT + 1 ? [earlier[0]!, ...earlier.slice(-SUMMARY_RECENT)] : [...earlier]
  const omitted = earlier.length - picked.length
  const lines = picked.map(
    (m) =>
      `${m.role === 'user' ? 'Customer' : 'Agent'}: ${clip(normaliseWhitespace(m.content), SUMMARY_CHARS_PER_MESSAGE)}`,
  )
  if (omitted > 0) lines.splice(1, 0, `(${omitted} earlier message(s) omitted)`)
  return clip(lines.join('\n'), SUMMARY_MAX_CHARS)
}

/**
 * The tenant's escalation rules from `tenants.settings.escalation`. A malformed document is ignored (with
 * a warning) rather than failing every draft: the default rules still apply, so nothing escalates less.
 */
export function escalationRulesOf(
  settings: Record<string, unknown> | null,
  tenantId: number,
): TenantEscalationRules | undefined {
  const raw = settings?.escalation
  if (raw === undefined || raw === null) return undefined
  const parsed = tenantEscalationRulesSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  logger.warn('ignoring invalid tenant escalation settings', { tenantId, issues: parsed.error.issues })
  return undefined
}
