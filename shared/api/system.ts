export const systemContract = {
  'GET /health': { public: true, summary: 'Liveness: AI provider, database and queue depths' },
  'GET /openapi.json': { public: true, summary: 'This API as OpenAPI 3.1, generated from the zod schemas' },
} as const
