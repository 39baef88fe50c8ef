import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { SQSClient } from '@aws-sdk/client-sqs'
import * as z from 'zod'
import { OllamaProvider } from './ai/ollama.ts'
import { selectProvider } from './ai/select.ts'
import { parseConfig } from './config.ts'
import { createSql } from './db/sql.ts'
import type { Deps } from './deps.ts'
import { providerLogger } from './logger.ts'
import { captureAwsClient } from './observability.ts'
import { SqsQueue } from './queue/sqs.ts'

// SDK clients live at module scope: created once per container, reused across invocations, and traced
// (X-Ray subsegments per call) when tracing is on.
const secrets = captureAwsClient(new SecretsManagerClient({}))
const sqs = captureAwsClient(new SQSClient({}))

const dbSecret = z.object({
  username: z.string(),
  password: z.string(),
  host: z.string().optional(),
  port: z.coerce.number().optional(),
  dbname: z.string().optional(),
})

async function secretString(arn: string | undefined, name: string): Promise<string> {
  if (!arn) throw new Error(`${name} is not set`)
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: arn }))
  if (!out.SecretString) throw new Error(`secret ${name} has no string value`)
  return out.SecretString
}

/** Builds Lambda dependencies from env + Secrets Manager. Called once per cold start. */
export async function buildAwsDeps(): Promise<Deps> {
  const config = parseConfig()
  const [db, jwt, dataKey] = await Promise.all([
    secretString(config.DB_SECRET_ARN, 'DB_SECRET_ARN').then((s) => dbSecret.parse(JSON.parse(s))),
    secretString(config.JWT_SECRET_ARN, 'JWT_SECRET_ARN'),
    secretString(config.DATA_KEY_SECRET_ARN, 'DATA_KEY_SECRET_ARN'),
  ])
  const host = config.DB_HOST ?? db.host
  const url = `postgres://${encodeURIComponent(db.username)}@${host}:${db.port ?? 5432}/${config.DB_NAME}?sslmode=require`
  const sql = createSql(url, { max: 1, prepare: false, password: db.password })
  const ollama = {
    embedModel: config.OLLAMA_EMBED_MODEL,
    chatModel: config.OLLAMA_CHAT_MODEL,
    timeoutMs: config.OLLAMA_TIMEOUT_MS,
    retries: config.OLLAMA_RETRIES,
  }
  // No start-up probe and no offline fallback in AWS: a container that started while the model host was
  // briefly unreachable would otherwise write built-in vectors (another vector space) for its whole life.
  // With Ollama down, AI calls fail and their jobs retry through SQS; endpoints without AI keep working.
  const ai = config.OLLAMA_HOST
    ? new OllamaProvider({ host: config.OLLAMA_HOST, ...ollama })
    : await selectProvider({ ...ollama }, providerLogger)
  return {
    config,
    sql,
    ai,
    queue: new SqsQueue(sqs, {
      embed: config.QUEUE_URL_EMBED,
      draft: config.QUEUE_URL_DRAFT,
      sync: config.QUEUE_URL_SYNC,
      send: config.QUEUE_URL_SEND,
    }),
    jwtKey: new TextEncoder().encode(jwt),
    dataKey: Buffer.from(dataKey.trim(), 'base64'),
    now: () => new Date(),
  }
}
