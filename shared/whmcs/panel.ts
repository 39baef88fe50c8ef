/**
 * What the WHMCS admin ticket panel (integrations/whmcs/draftdesk.php, `draftdesk_fetch_draft`) shows and
 * does: the current draft of a WHMCS ticket (with its confidence components and escalation reasons in
 * words), *Regenerate* and *Not helpful*. Field names are the ones the PHP reads. The panel knows tickets
 * by their WHMCS id only, so every call resolves it within the caller's tenant first.
 */

import type * as z from 'zod'
import type { AccountSummary, panelAccount } from '../api/account.ts'
import type { SourceKind } from '../api/kb.ts'
import type { AuthContext } from '../auth/roles.ts'
import type { Sql } from '../db/sql.ts'
import { requestRegeneration } from '../drafts/requests.ts'
import { type DraftView, markDraftsShown } from '../drafts/view.ts'
import { found } from '../errors.ts'
import { SOURCE_KIND_LABEL } from '../knowledge/rerank.ts'
import { STAFF_REPLY_TITLE } from '../knowledge/search.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { citableSources } from '../review/customer-reply.ts'
import { rejectDraft } from '../review/review.ts'
import { type CitableSource, collapseDuplicateMarkers, customerFacingReply } from '../text/citations.ts'
import type { ConfidenceComponent } from '../trust/confidence.ts'
import { reasonTexts } from './send.ts'

interface PanelSource {
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
  /** What the agent reads: the text with its citation markers (`[n]`), which `sources` explain. */
  body: string
  /**
   * What Insert draft puts in the reply box, for the customer: `body` without markers and with the cited
   * KB articles listed under "References:" (shared/review/customer-reply.ts).
   */
  customerBody: string
  confidence: number
  escalated: boolean
  escalationReasons: string[]
  /** The components that moved the score most, largest first, each with its explanation. */
  confidenceComponents: PanelConfidenceComponent[]
  sources: PanelSource[]
  /** The ticket's page in the console (*Review in Draftdesk*); null when `PUBLIC_URL` is not set. */
  reviewUrl: string | null
  /** What the draft knew about the customer's WHMCS account (issue 30); null on older drafts. */
  account: PanelAccount | null
  createdAt: Date
}

/** The panel's "Account" summary: the facts the draft was given and when WHMCS was read, or why none. */
type PanelAccount = z.infer<typeof panelAccount>

interface PanelConfidenceComponent {
  label: string
  points: number
  detail: string
}

/** The ticket's drafting state: `queued` while a (re)generation is under way. */
export type PanelDraftState = 'queued' | 'ready' | 'failed' | null

const COMPONENT_LABEL: Record<ConfidenceComponent['component'], string> = {
  retrieval: 'Retrieval',
  agreement: 'Source agreement',
  coverage: 'Question coverage',
  groundedness: 'Groundedness',
  no_citations: 'No citations',
  escalation_keyword: 'Escalation keyword',
  reply_length: 'Reply length',
  clamp: 'Clamped to 0-100',
}
// Enough to say why, short enough for a panel above the ticket.
const TOP_COMPONENTS = 3

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
  /** Where people reach Draftdesk (`PUBLIC_URL`), for the link to the console. */
  publicUrl?: string,
): Promise<{ ticketId: number; draftState: PanelDraftState; draft: PanelDraft | null }> {
  const ticket = await panelTicket(sql, tenantId, whmcsTicketId)
  const [row] = await sql<
    {
      id: number
      status: 'pending' | 'approved'
      aiReply: string
      finalReply: string | null
      confidenceScore: number
      escalated: boolean
      escalationReasons: unknown
      confidenceBreakdown: unknown
      rerankedSources: unknown
      language: string | null
      accountFacts: AccountSummary | null
      createdAt: Date
    }[]
  >`
    SELECT a.id, a.status, a.ai_reply, ar.final_reply, a.confidence_score, a.escalated,
           a.escalation_reasons, a.confidence_breakdown, a.reranked_sources, a.language, a.account_facts,
           a.created_at
    FROM ai_replies a
    LEFT JOIN approved_replies ar ON ar.ai_reply_id = a.id AND ar.tenant_id = a.tenant_id
    WHERE a.tenant_id = ${tenantId} AND a.ticket_id = ${ticket.id} AND a.status IN ('pending', 'approved')
    ORDER BY a.id DESC LIMIT 1`
  const draftState = ticket.draftState
  if (!row) return { ticketId: ticket.id, draftState, draft: null }
  if (row.status === 'pending') await markDraftsShown(sql, tenantId, [row.id], 'whmcs')
  const body = collapseDuplicateMarkers(
    row.status === 'approved' && row.finalReply ? row.finalReply : row.aiReply,
  )
  const cited = await citableSources(sql, tenantId, row.rerankedSources)
  return {
    ticketId: ticket.id,
    draftState,
    draft: {
      id: row.id,
      ticketId: ticket.id,
      status: row.status,
      body,
      customerBody: customerFacingReply(body, cited, { language: row.language }),
      confidence: Math.round(row.confidenceScore),
      escalated: row.escalated,
      escalationReasons: reasonTexts(row.escalationReasons),
      confidenceComponents: topComponents(row.confidenceBreakdown),
      sources: panelSources(row.rerankedSources, cited),
      reviewUrl: publicUrl ? `${publicUrl}/app/tickets/${ticket.id}` : null,
      account: panelAccountOf(row.accountFacts),
      createdAt: row.createdAt,
    },
  }
}

async function panelTicket(sql: Sql, tenantId: number, whmcsTicketId: number) {
  return found(
    await sql<{ id: number; draftState: PanelDraftState }[]>`
      SELECT id, draft_state FROM tickets WHERE tenant_id = ${tenantId} AND whmcs_ticket_id = ${whmcsTicketId}`,
    'ticket',
  )
}

/**
 * *Regenerate* in the panel: queues a new draft for the ticket's latest customer message (as
 * `POST /tickets/{id}/drafts` does). The current draft stays until the new one replaces it; the panel polls
 * the draft route for a newer id. The job goes into `jobs`, for the caller to publish after commit.
 */
export async function regenerateWhmcsTicketDraft(
  sql: Sql,
  auth: AuthContext,
  whmcsTicketId: number,
  jobs: ClaimedJob[],
): Promise<{ queued: true; jobId: string; ticketId: number }> {
  const ticket = await panelTicket(sql, auth.tenantId, whmcsTicketId)
  return { ...(await requestRegeneration(sql, auth, ticket.id, jobs)), ticketId: ticket.id }
}

/** *Not helpful* in the panel: rejects the draft with the agent's reason, channel `whmcs`. */
export async function markDraftNotHelpful(
  sql: Sql,
  auth: AuthContext,
  draftId: number,
  reason: string,
): Promise<DraftView> {
  return rejectDraft(sql, auth, draftId, reason, 'whmcs')
}

/** The stored Account summary as the panel shows it: no ids or internal fields. */
function panelAccountOf(summary: AccountSummary | null): PanelAccount | null {
  if (!summary || typeof summary !== 'object' || !Array.isArray(summary.facts)) return null
  return {
    state: summary.state,
    detail: summary.detail ?? null,
    readAt: summary.readAt ?? null,
    cached: summary.cached === true,
    facts: summary.facts.map((f) => ({
      title: f.title,
      status: f.status,
      text: f.text,
      cited: f.cited,
      agentsOnly: f.ref === null,
    })),
  }
}

/** The confidence components that moved the score most, in words. */
function topComponents(value: unknown): PanelConfidenceComponent[] {
  if (!Array.isArray(value)) return []
  return (value as Partial<ConfidenceComponent>[])
    .filter((c) => typeof c?.points === 'number' && c.points !== 0 && typeof c.component === 'string')
    .sort((a, b) => Math.abs(b.points!) - Math.abs(a.points!))
    .slice(0, TOP_COMPONENTS)
    .map((c) => ({
      label: COMPONENT_LABEL[c.component!] ?? c.component!,
      points: c.points!,
      detail: typeof c.detail === 'string' ? c.detail : '',
    }))
}

/**
 * Sources as the panel lists them; excerpts and internal ids stay in Draftdesk. A KB article links to its
 * public page when it has one (`cited`: the sources with the articles' current URLs).
 */
function panelSources(value: unknown, cited: readonly CitableSource[]): PanelSource[] {
  if (!Array.isArray(value)) return []
  const publicUrl = new Map(cited.map((c) => [c.ref, c.publicUrl ?? undefined]))
  return value
    .filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null)
    .map((s) => {
      const kind =
        typeof s.sourceKind === 'string' ? s.sourceKind : typeof s.kind === 'string' ? s.kind : undefined
      // A learnt reply's stored title may be a ticket subject (customer text) on drafts made before issue 26.
      const staffTitle =
        kind === 'approved_example' || kind === 'correction' ? STAFF_REPLY_TITLE[kind] : undefined
      const title =
        staffTitle ??
        (typeof s.title === 'string' && s.title.trim()
          ? s.title
          : ((kind && SOURCE_KIND_LABEL[kind as SourceKind]) ?? 'Source'))
      const score = typeof s.score === 'number' ? s.score : undefined
      const given =
        typeof s.url === 'string' ? s.url : typeof s.ref === 'number' ? publicUrl.get(s.ref) : undefined
      const url = given && /^https?:\/\//i.test(given) ? given : undefined
      return {
        title,
        ...(kind ? { kind } : {}),
        ...(score !== undefined ? { score } : {}),
        ...(url ? { url } : {}),
      }
    })
}
