import { httpRoute } from '#shared/http/route'
import { listDrafts, markDraftsShown } from '#shared/services/drafts-view'
import { getTicket, listMessages } from '#shared/services/tickets'

export const handler = httpRoute('GET /tickets/{id}', async ({ deps, auth, params }) => {
  const ticket = await getTicket(deps.sql, auth, params.id)
  const messages = await listMessages(deps.sql, auth, ticket.id)
  // Drafts are staff-only: customers see the conversation, never unapproved AI text.
  const latestDraft =
    auth.role === 'user' ? null : ((await listDrafts(deps.sql, auth.tenantId, ticket.id, 1))[0] ?? null)
  if (latestDraft) await markDraftsShown(deps.sql, auth.tenantId, [latestDraft.id], 'api')
  return { ...ticket, messages, latestDraft }
})
