/**
 * The history a replay drafts (issue 28): for each ticket the desk already answered, its first customer
 * message and the staff reply that answered it, stored as a pending `calibration_samples` row of the run.
 *
 * - WHMCS tenants: the sync only lists active tickets, so the import pages `GetTickets` for the `Answered`
 *   and then the `Closed` tickets (WHMCS orders by last reply, newest first, so a status is done at the first
 *   ticket older than the window) and reads each thread with `GetTicket`. One page per `calibrate` job; the
 *   run's cursor is the resume point. Nothing goes into tickets or messages: no draft is queued, nothing is
 *   learnt, and no staff reply reviews a pending draft (the implicit review of shared/whmcs/staff-replies.ts
 *   only runs when the sync or webhook stores a reply).
 * - API tenants: the tickets with an approved reply in the window, in one statement.
 * Draftdesk's own replies posted to WHMCS are staff replies too (an agent approved them); they answer the
 * ticket like any other.
 */
import type { Db } from '../db/sql.ts'
import type { Deps } from '../deps.ts'
import { loadWhmcsCredentials } from '../identity/tenants.ts'
import { clip } from '../text/fold.ts'
import type { WhmcsClient, WhmcsClientOptions, WhmcsTicket } from '../whmcs/client.ts'
import { parseWhmcsDate } from '../whmcs/mapping.ts'
import { tenantWhmcsClient } from '../whmcs/tenant-client.ts'
import type { ImportCursor, RunRow } from './runs.ts'

/** The WHMCS statuses a replay imports, in order. */
const STATUSES = ['Answered', 'Closed'] as const
const PAGE_SIZE = 25
const DETAIL_CONCURRENCY = 5

/** What one import step did: where to resume, and whether the import is complete. */
export interface ImportStep {
  cursor: ImportCursor
  complete: boolean
}

interface HistoryItem {
  sourceKey: string
  ticketId: number | null
  whmcsTicketId: number | null
  ticketRef: string
  subject: string
  question: string
  staffReply: string
  answeredAt: Date | null
}

/** Stores items as pending samples of the run (a ticket already stored for it is skipped). */
async function store(tx: Db, run: Pick<RunRow, 'id' | 'tenantId'>, items: readonly HistoryItem[]) {
  if (items.length === 0) return
  const rows = items.map((i) => ({
    tenant_id: run.tenantId,
    run_id: run.id,
    origin: 'replay',
    source_key: i.sourceKey,
    ticket_id: i.ticketId,
    whmcs_ticket_id: i.whmcsTicketId,
    ticket_ref: i.ticketRef,
    subject: clip(i.subject, 500),
    question: i.question,
    staff_reply: i.staffReply,
    answered_at: i.answeredAt,
  }))
  await tx`
    INSERT INTO calibration_samples ${tx(rows as never, 'tenant_id', 'run_id', 'origin', 'source_key', 'ticket_id', 'whmcs_ticket_id', 'ticket_ref', 'subject', 'question', 'staff_reply', 'answered_at')}
    ON CONFLICT (run_id, source_key) WHERE run_id IS NOT NULL DO NOTHING`
}

async function collected(tx: Db, runId: number): Promise<number> {
  const [row] = await tx<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM calibration_samples WHERE run_id = ${runId}`
  return row?.n ?? 0
}

/** API tenants: every ticket with an approved reply in the window, newest first, in one step. */
export async function importApprovedTickets(tx: Db, run: RunRow): Promise<ImportStep> {
  const { days, limit } = run.params
  await tx`
    INSERT INTO calibration_samples (tenant_id, run_id, origin, source_key, ticket_id, ticket_ref, subject,
      question, staff_reply, answered_at)
    SELECT ${run.tenantId}, ${run.id}, 'replay', 'ticket:' || x.ticket_id, x.ticket_id, '#' || x.ticket_id,
      x.subject, x.question, x.reply, x.answered_at
    FROM (
      SELECT DISTINCT ON (t.id) t.id AS ticket_id, t.subject, coalesce(m.content, t.content) AS question,
        coalesce(ar.learning_text, ar.final_reply) AS reply, ar.created_at AS answered_at
      FROM approved_replies ar
      JOIN tickets t ON t.id = ar.ticket_id AND t.tenant_id = ar.tenant_id
      LEFT JOIN messages m ON m.id = ar.message_id AND m.tenant_id = ar.tenant_id
      WHERE ar.tenant_id = ${run.tenantId} AND ar.created_at >= now() - make_interval(days => ${days})
      ORDER BY t.id, ar.id
    ) x
    ORDER BY x.answered_at DESC LIMIT ${limit}
    ON CONFLICT (run_id, source_key) WHERE run_id IS NOT NULL DO NOTHING`
  return { cursor: {}, complete: true }
}

/** The first customer message of a WHMCS thread and the first staff reply after it; null when either lacks. */
function firstExchange(
  detail: WhmcsTicket,
): { question: string; reply: string; answeredAt: Date | null } | null {
  const thread = detail.replies.filter((r) => r.message.trim() !== '')
  const asked = thread.findIndex((r) => !r.admin)
  if (asked < 0) return null
  const answer = thread.slice(asked + 1).find((r) => r.admin)
  if (!answer) return null
  return { question: thread[asked]!.message, reply: answer.message, answeredAt: parseWhmcsDate(answer.date) }
}

/**
 * WHMCS tenants: one page of `GetTickets` for the cursor's status, each ticket of the window read with
 * `GetTicket` and stored; the cursor moves to the next page, the next status, or the end.
 */
export async function importWhmcsPage(
  deps: Pick<Deps, 'sql' | 'dataKey' | 'config'>,
  run: RunRow,
  clientOptions: Partial<WhmcsClientOptions> = {},
): Promise<{ items: HistoryItem[]; step: ImportStep }> {
  const creds = await loadWhmcsCredentials(deps.sql, deps.dataKey, run.tenantId)
  if (!creds) return { items: [], step: { cursor: run.cursor, complete: true } }
  const client = tenantWhmcsClient(deps.config, creds, clientOptions)
  const statusIndex = run.cursor.statusIndex ?? 0
  const limitstart = run.cursor.limitstart ?? 0
  const since = Date.now() - run.params.days * 86_400_000
  const page = await client.getTickets({ status: STATUSES[statusIndex], limitstart, limitnum: PAGE_SIZE })
  const inWindow = page.tickets.filter((t) => (parseWhmcsDate(t.lastreply)?.getTime() ?? 0) >= since)
  const details = await readThreads(
    client,
    inWindow.map((t) => t.id),
  )
  const known = await deps.sql<{ id: number; whmcsTicketId: number }[]>`
    SELECT id, whmcs_ticket_id FROM tickets
    WHERE tenant_id = ${run.tenantId} AND whmcs_ticket_id IN ${deps.sql(inWindow.length ? inWindow.map((t) => t.id) : [0])}`
  const local = new Map(known.map((k) => [k.whmcsTicketId, k.id]))
  const items: HistoryItem[] = []
  for (const detail of details) {
    const exchange = firstExchange(detail)
    if (!exchange) continue
    items.push({
      sourceKey: `whmcs:${detail.ticketid}`,
      ticketId: local.get(detail.ticketid) ?? null,
      whmcsTicketId: detail.ticketid,
      ticketRef: `#${detail.tid || detail.ticketid}`,
      subject: detail.subject,
      question: exchange.question,
      staffReply: exchange.reply,
      answeredAt: exchange.answeredAt,
    })
  }
  // WHMCS lists newest last reply first: once a page reaches past the window, older pages are all outside.
  const statusDone =
    inWindow.length < page.tickets.length ||
    page.tickets.length === 0 ||
    limitstart + PAGE_SIZE >= page.totalresults
  const cursor = statusDone
    ? { statusIndex: statusIndex + 1, limitstart: 0 }
    : { statusIndex, limitstart: limitstart + PAGE_SIZE }
  return { items, step: { cursor, complete: cursor.statusIndex >= STATUSES.length } }
}

/** `GetTicket` for each id, a few at a time; a ticket deleted meanwhile is skipped. */
async function readThreads(client: WhmcsClient, ids: readonly number[]): Promise<WhmcsTicket[]> {
  const out: WhmcsTicket[] = []
  let next = 0
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!
      try {
        out.push(await client.getTicket(id))
      } catch (error) {
        if (!/ticket id not found/i.test((error as Error).message)) throw error
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(DETAIL_CONCURRENCY, ids.length) }, worker))
  return out.sort((a, b) => a.ticketid - b.ticketid)
}

/** Stores an import page's items (up to the run's limit) and says whether the import is complete. */
export async function storeImported(
  tx: Db,
  run: RunRow,
  items: readonly HistoryItem[],
  step: ImportStep,
): Promise<ImportStep> {
  const room = run.params.limit - (await collected(tx, run.id))
  await store(tx, run, items.slice(0, Math.max(0, room)))
  const full = (await collected(tx, run.id)) >= run.params.limit
  return { cursor: step.cursor, complete: step.complete || full }
}
