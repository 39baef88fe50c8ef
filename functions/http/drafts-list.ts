import { listDrafts, markDraftsShown } from '#shared/drafts/view'
import { httpRoute } from '#shared/http/route'
import { getTicket } from '#shared/tickets/tickets'

export const handler = httpRoute('GET /tickets/{id}/drafts', async ({ deps, auth, params }) => {
  // Loads through the tenant filter first: another tenant's ticket is a 404, never an empty list.
  const ticket = await getTicket(deps.sql, auth, params.id)
  const items = await listDrafts(deps.sql, auth.tenantId, ticket.id)
  await markDraftsShown(
    deps.sql,
    auth.tenantId,
    items.map((d) => d.id),
    'api',
  )
  return { items }
})
