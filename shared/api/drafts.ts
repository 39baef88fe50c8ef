import { idParams } from './common.ts'

export const draftsContract = {
  'POST /tickets/{id}/drafts': {
    status: 202,
    summary: 'Regenerate the draft for the latest customer message (queued; answers { queued, jobId })',
    params: idParams,
  },
  'GET /tickets/{id}/drafts': {
    summary: 'Drafts of a ticket, newest first, with sources, confidence breakdown and escalation reasons',
    params: idParams,
  },
} as const
