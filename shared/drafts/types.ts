/**
 * What the stages of the draft pipeline (shared/drafts/pipeline.ts) hand each other, and what the pipeline
 * needs and returns. Types only: every stage module imports them, none imports another stage.
 */
import type { AiProvider, ChatResult } from '../ai/provider.ts'
import type { SourceKind } from '../api/kb.ts'
import type { Priority, TicketStatus } from '../api/tickets.ts'
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import type { Reranked } from '../knowledge/rerank.ts'
import type { RerankingConfigView } from '../knowledge/reranking-config.ts'
import type { SearchHit } from '../knowledge/search.ts'
import type { DraftJob } from '../queue/jobs.ts'
import type { CitationResult } from '../text/citations.ts'
import type { Language } from '../text/language.ts'
import type { AppliedCalibration, Calibration } from '../trust/calibration.ts'
import type { scoreConfidence } from '../trust/confidence.ts'
import type { QueryLexemes } from '../trust/coverage.ts'
import type { evaluateEscalation, TenantEscalationRules } from '../trust/escalation.ts'
import type { AccountFactsPort } from './account-facts.ts'
import type { AccountShown } from './account-stage.ts'
import type { NumberedFact } from './account-text.ts'
import type { detectIntent } from './intent.ts'
import type { PromptSource } from './prompt.ts'
import type { ActivePrompt } from './prompt-versions.ts'

/** What the pipeline needs from Deps; `fetch` is injectable for the cross-encoder call. */
export interface DraftDeps {
  sql: Sql
  ai: AiProvider
  config: Pick<Config, 'RERANKER_URL'>
  fetch?: typeof globalThis.fetch
  /** Reads the ticket's WHMCS account (shared/whmcs/account.ts); without it drafts have no account facts. */
  accountFacts?: AccountFactsPort
}

/**
 * Where the time of one draft went, in milliseconds.
 * @internal
 */
export interface DraftTimings {
  loadMs: number
  retrievalMs: number
  rerankMs: number
  /** Waiting for the account facts after reranking: what WHMCS added to the draft's time. */
  accountWaitMs: number
  modelMs: number
  scoringMs: number
  storeMs: number
  totalMs: number
}

export type DraftOutcome =
  | {
      status: 'created'
      aiReplyId: number
      escalated: boolean
      /** Keyword category or reason code of each escalation reason (for metrics). */
      escalationReasons: string[]
      confidence: number
      timings: DraftTimings
    }
  | { status: 'skipped'; reason: 'duplicate' | 'ticket_missing' | 'ticket_closed' | 'already_approved' }

export interface TicketRow {
  id: number
  subject: string
  content: string
  status: TicketStatus
  priority: Priority
  department: string | null
  settings: Record<string, unknown>
  /** The WHMCS client (`userid`) the ticket came from, when it came from WHMCS. */
  whmcsUserId: number | null
  /** The ticket's related service in WHMCS (`S12`, `D3`), when WHMCS gave one. */
  whmcsService: string | null
}

export interface ThreadMessage {
  id: number
  role: 'user' | 'agent'
  content: string
}

/** A retrieved passage on its way through reranking. */
export interface Candidate {
  id: number
  sourceKind: SourceKind
  /** Relevance (see drafting.ts's module comment); rerankBySource weights it by source kind. */
  score: number
  crossEncoderScore: number | null
  hit: SearchHit
}

/**
 * What stages 2–6 need: the tenant and its settings, the ticket as the prompt shows it and the masked
 * question. A stored draft has it for a real ticket (DraftContext); a preview for a question alone.
 */
export interface StageContext {
  tenantId: number
  ticket: Pick<TicketRow, 'subject' | 'priority' | 'department'> & { id: number | null }
  rerankCfg: RerankingConfigView
  promptVersion: ActivePrompt
  tenantRules: TenantEscalationRules | undefined
  /** Learning chunks of this ticket's own approved replies are left out of retrieval (a replay of history). */
  excludeLearningOfTicket?: number
  /** The tenant's own calibrations in force (shared/trust/tenant-calibration.ts), applied before the built-in. */
  tenantCalibrations?: readonly Calibration[]
  /** A calibration table to apply instead of the tenant's and the built-in ones (a replay's own). */
  calibrationTable?: readonly Calibration[]
  /** Customer texts of the thread up to the answered message, unmasked (escalation reads them). */
  customerTexts: string[]
  /** Placeholder → original text, for restoring the reply; never leaves this process. */
  vault: Map<string, string>
  maskedSubject: string
  maskedQuestion: string
  threadSummary: string | null
  query: string
  language: Language
}

/** Stage 1's result: a stage context for one customer message of a stored ticket. */
export interface DraftContext extends StageContext {
  job: DraftJob
  ticket: TicketRow
  /** The customer message answered; undefined for a ticket without one (its opening content is used). */
  target: ThreadMessage | undefined
}

/** Stage 2's result: the candidates, and the query's lexeme statistics knowledge coverage needs. */
export interface Retrieved {
  candidates: Candidate[]
  lexemes: QueryLexemes
}

/** Stages 2–3's result: every candidate (stored for audit) and the passages shown to the model. */
export interface Ranking {
  candidates: Candidate[]
  shown: Reranked<Candidate>[]
  crossEncoder: 'off' | 'used' | 'failed'
  applied: AppliedCalibration
  /** Knowledge coverage of the query by the best candidates (shared/trust/coverage.ts). */
  coverage: number | null
  /** Specific terms of the question the best candidates never mention (shared/trust/unmentioned.ts). */
  unmentioned: string[]
  /**
   * The language of the shown sources when it differs from the customer's and the provider cannot translate
   * (`AiProvider.translates`); null otherwise. Escalates for `language_mismatch`.
   */
  untranslatedSources: { customer: Language; sources: Language } | null
  /** The language of the shown sources taken together; null when none are shown. */
  sourcesLanguage: Language | null
  /** The customer's account facts, numbered after the shown sources; unset when none were looked up. */
  account?: AccountShown
}

/** Stage 4's result. */
export interface ModelReply {
  promptSources: PromptSource[]
  result: ChatResult
}

/** Stage 5's result: the reply with placeholders restored, and which shown sources it cites. */
export interface VerifiedReply {
  citations: CitationResult
  reply: string
  cited: Set<number>
  citedSources: Reranked<Candidate>[]
  /** The account facts the reply cites. */
  citedFacts: NumberedFact[]
  /** The drafter said the sources do not answer the question (its marker is removed from `reply`). */
  noAnswer: boolean
}

/** Stage 6's result. */
export interface DraftScores {
  escalation: ReturnType<typeof evaluateEscalation>
  confidence: ReturnType<typeof scoreConfidence>
  calibratedConfidence: number
  intent: ReturnType<typeof detectIntent>
  bestRetrievalScore: number | null
}
