import { generateDraft } from '#shared/drafts/pipeline'
import { markDraftFailed } from '#shared/drafts/requests'
import { sqsWorker } from '#shared/handlers/sqs-worker'
import { recordDraft } from '#shared/observability'
import { draftJobSchema } from '#shared/queue/jobs'
import { whmcsAccountFacts } from '#shared/whmcs/account'

/**
 * Drafts a reply for one customer message. A failure is thrown so the queue retries it with backoff; on
 * the last attempt the ticket is marked `draft_state = 'failed'` with the error first, because after that
 * the job only exists in the dead-letter queue, where agents do not look. Drafts of tickets from a WHMCS
 * client read the client's account through the tenant's WHMCS (account facts, issue 30).
 */
export const handler = sqsWorker('draft', draftJobSchema, async (job, { deps, isLastAttempt, jobs }) => {
  try {
    const outcome = await generateDraft({ ...deps, accountFacts: whmcsAccountFacts(deps) }, job, jobs)
    if (outcome.status === 'created') {
      recordDraft({
        confidence: outcome.confidence,
        latencyMs: outcome.timings.totalMs,
        escalationReasons: outcome.escalationReasons,
      })
    }
  } catch (error) {
    if (isLastAttempt) await markDraftFailed(deps.sql, job, error)
    throw error
  }
})
