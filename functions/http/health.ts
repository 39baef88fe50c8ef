import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('GET /health', async ({ deps }) => {
  const [db] = await deps.sql<{ ok: number }[]>`SELECT 1 AS ok`
  return {
    status: 'ok',
    provider: deps.ai.name,
    embedModel: deps.ai.embedModel,
    db: db?.ok === 1 ? 'ok' : 'error',
    queues: await deps.queue.depths(),
    time: deps.now(),
  }
})
