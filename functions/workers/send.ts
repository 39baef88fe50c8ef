import { sqsWorker } from '#shared/handlers/sqs-worker'
import { recordWhmcsSend } from '#shared/observability'
import { sendJobSchema } from '#shared/queue/jobs'
import { sendApprovedReply, sendEscalationNote } from '#shared/whmcs/send'

/**
 * Posts approved replies (and escalation notes) to WHMCS. Exactly-once per approval comes from the
 * `whmcs_sends` claim in the service, so a redelivered or duplicated job is harmless; a failed attempt
 * throws and is retried with backoff, then dead-lettered with the error kept on the `whmcs_sends` row.
 */
export const handler = sqsWorker('send', sendJobSchema, async (job, { deps, isLastAttempt }) => {
  const kind = job.kind === 'note' ? 'note' : 'reply'
  try {
    const outcome =
      job.kind === 'note'
        ? await sendEscalationNote(deps, job)
        : await sendApprovedReply(deps, job, { isLastAttempt })
    recordWhmcsSend(kind, outcome)
  } catch (error) {
    recordWhmcsSend(kind, 'error')
    throw error
  }
})
