import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { SQSClient } from '@aws-sdk/client-sqs'
import * as z from 'zod'
import { OllamaProvider } from './ai/ollama.ts'
import { selectProvider } from './ai/select.ts'
import { parseConfig } from './config.ts'
import { createSql, type Sql } from './db/sql.ts'
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

async function secretString(arn: string, name: string): Promise<string> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: arn }))
  if (!out.SecretString) throw new Error(`secret ${name} has no string value`)
  return out.SecretString
}

/**
 * Stands in for a secret this function was not granted (no `<name>` in its environment: see `uses` in
 * shared/routes.ts). Building it costs nothing; any use throws, naming what is missing, so a handler that
 * starts needing a secret fails loudly at its first use rather than with an AccessDenied at cold start.
 */
function notGranted<T extends object>(name: string, target: T): T {
  const fail = (): never => {
    throw new Error(
      `${name} is not set: this function was not granted that secret (uses in shared/routes.ts)`,
    )
  }
  return new Proxy(target, { get: fail, apply: fail, set: fail, has: fail })
}

/**
 * Builds Lambda dependencies from env + Secrets Manager, once per cold start. Only the secrets whose ARN
 * the function was given are read (least privilege: CDK passes and grants exactly those). Its result is
 * checked against `Deps` where shared/deps.ts installs it, so this module does not import that one back.
 */
export async function buildAwsDeps() {
  const config = parseConfig()
  const read = (arn: string | undefined, name: string) => (arn ? secretString(arn, name) : undefined)
  const [db, jwt, dataKey] = await Promise.all([
    read(config.DB_SECRET_ARN, 'DB_SECRET_ARN')?.then((s) => dbSecret.parse(JSON.parse(s))),
    read(config.JWT_SECRET_ARN, 'JWT_SECRET_ARN'),
    read(config.DATA_KEY_SECRET_ARN, 'DATA_KEY_SECRET_ARN'),
  ])
  const sql = db
    ? createSql(
        `postgres://${encodeURIComponent(db.username)}@${config.DB_HOST ?? db.host}:${db.port ?? 5432}/${config.DB_NAME}?sslmode=require`,
        { max: 1, prepare: false, password: db.password },
      )
    : notGranted('DB_SECRET_ARN', (() => {}) as unknown as Sql)
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
      calibrate: config.QUEUE_URL_CALIBRATE,
    }),
    jwtKey: jwt ? new TextEncoder().encode(jwt) : notGranted('JWT_SECRET_ARN', new Uint8Array(0)),
    dataKey: dataKey
      ? Buffer.from(dataKey.trim(), 'base64')
      : notGranted('DATA_KEY_SECRET_ARN', Buffer.alloc(0)),
    now: () => new Date(),
  }
}
