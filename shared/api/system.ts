import * as z from 'zod'
import type { QueueName } from '../routes.ts'

const QUEUE_NAMES = ['embed', 'draft', 'sync', 'send', 'calibrate'] as const satisfies readonly QueueName[]

const health = z.object({
  status: z.literal('ok'),
  provider: z.enum(['ollama', 'builtin']).describe('the AI provider drafting and embedding'),
  embedModel: z.string().describe('the embedding space stored vectors belong to'),
  db: z.enum(['ok', 'error']),
  queues: z
    .partialRecord(z.enum(QUEUE_NAMES), z.number().int().min(0))
    .describe('messages waiting per queue, where the queue can say'),
  time: z.date().describe("the server's clock"),
})

/** The OpenAPI document: its top level, as far as clients rely on it. */
const openApiDocument = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  servers: z.array(z.object({ url: z.string(), description: z.string().optional() })).min(1),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
})

export const systemContract = {
  'GET /health': {
    public: true,
    summary: 'Liveness: AI provider, database and queue depths',
    response: health,
  },
  'GET /openapi.json': {
    public: true,
    summary: 'This API as OpenAPI 3.1, generated from the zod schemas',
    response: openApiDocument,
  },
} as const
