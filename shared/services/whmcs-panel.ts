/**
 * What the WHMCS admin ticket panel (integrations/whmcs/draftdesk.php, `draftdesk_fetch_draft`) shows: the
 * current draft of a WHMCS ticket. Field names are the ones the PHP reads.
 */
import type { Sql } from '../db/sql.ts'
import { NotFoundError } from '../http/errors.ts'
import { reasonTexts } from './whmcs-send.ts'

export interface PanelSource {
  title: string
  kind?: string
  score?: number
  url?: string
}

export interface PanelDraft {
  id: number
  ticketId: number
  /** `pending` (awaiting review) or `approved` (then `body` is the approved, possibly edited, text). */
  status: 'pending' | 'approved'
  body: string
  confidence: number
  escalated: boolean
  escalationReasons: string[]
  sources: PanelSource[]
  createdAt: Date
}

const KIND_LABEL: Record<string, string> = {
  global_kb: 'Knowledge base',
  tenant_kb: 'Knowledge base',
  approved_example: 'Approved reply',
  correction: 'Correction',
}

/**
 * The newest draft of the tenant's ticket with this WHMCS id that an agent could still use: pending, or
 * approved (an agent who approved without sending to WHMCS pastes it from here). Rejected and superseded
 * drafts are never offered.
 *
 * @returns `{ draft: null }` when the ticket has no usable draft
 * @throws NotFoundError when the tenant has no ticket with that WHMCS id
 */
export async function getWhmcsTicketDraft(
  sql: Sql,
  tenantId: number,
  whmcsTicketId: number,
): Promise<{ ticketId: number; draft: PanelDraft | null }> {
  const [ticket] = await sql<{ id: number }[]>`
    SELECT id FROM tickets WHERE tenant_id = ${tenantId} AND whmcs_ticket_id = ${whmcsTicketId}`
  if (!ticket) throw new NotFoundError('ticket')
  const [row] = await sql<
    {
      id: number
      status: 'pending' | 'approved'
      aiReply: string
      finalReply: string | null
      confidenceScore: number
      escalated: boolean
      escalationReasons: unknown
      rerankedSources: unknown
      createdAt: Date
    }[]
  >`
    SELECT a.id, a.status, a.ai_reply, ar.final_reply, a.confidence_score, a.escalated,
           a.escalation_reasons, a.reranked_sources, a.created_at
    FROM ai_replies a
    LEFT JOIN approved_replies ar ON ar.ai_reply_id = a.id AND ar.tenant_id = a.tenant_id
    WHERE a.tenant_id = ${tenantId} AND a.ticket_id = ${ticket.id} AND a.status IN ('pending', 'approved')
    ORDER BY a.id DESC LIMIT 1`
  if (!row) return { ticketId: ticket.id, draft: null }
  return {
    ticketId: ticket.id,
    draft: {
      id: row.id,
      ticketId: ticket.id,
      status: row.status,
      body: row.status === 'approved' && row.finalReply ? row.finalReply : row.aiReply,
      confidence: Math.round(row.confidenceScore),
      escalated: row.escalated,
      escalationReasons: reasonTexts(row.escalationReasons),
      sources: panelSources(row.rerankedSources),
      createdAt: row.createdAt,
    },
  }
}

/** Sources as the panel lists them; excerpts and internal ids stay in Draftdesk. */
function panelSources(value: unknown): PanelSource[] {
  if (!Array.isArray(value)) return []
  return value
    .filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null)
    .map((s) => {
      const kind =
        typeof s.sourceKind === 'string' ? s.sourceKind : typeof s.kind === 'string' ? s.kind : undefined
      const title =
        typeof s.title === 'string' && s.title.trim() ? s.title : ((kind && KIND_LABEL[kind]) ?? 'Source')
      const score = typeof s.score === 'number' ? s.score : undefined
      const url = typeof s.url === 'string' && /^https?:\/\//i.test(s.url) ? s.url : undefined
      return {
        title,
        ...(kind ? { kind } : {}),
        ...(score !== undefined ? { score } : {}),
        ...(url ? { url } : {}),
      }
    })
}
