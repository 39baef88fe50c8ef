import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { buildAwsDeps } from '#shared/aws-deps'

const secrets = mockClient(SecretsManagerClient)
const sqs = mockClient(SQSClient)

const ARNS = {
  DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:db',
  JWT_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:jwt',
  DATA_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:key',
}

describe('Function: buildAwsDeps', () => {
  beforeEach(() => {
    secrets.reset()
    sqs.reset()
    for (const [k, v] of Object.entries({
      ...ARNS,
      DRAFTDESK_ENV: 'aws',
      DB_HOST: 'proxy.internal',
      DB_NAME: 'draftdesk',
      OLLAMA_HOST: 'http://ollama.draftdesk.internal:11434',
      QUEUE_URL_DRAFT: 'https://sqs.eu-west-1.amazonaws.com/1/draft',
    }))
      vi.stubEnv(k, v)
    secrets
      .on(GetSecretValueCommand, { SecretId: ARNS.DB_SECRET_ARN })
      .resolves({
        SecretString: JSON.stringify({
          username: 'app',
          password: 'db-pass',
          host: 'db.internal',
          port: 5432,
        }),
      })
      .on(GetSecretValueCommand, { SecretId: ARNS.JWT_SECRET_ARN })
      .resolves({ SecretString: 'j'.repeat(64) })
      .on(GetSecretValueCommand, { SecretId: ARNS.DATA_KEY_SECRET_ARN })
      .resolves({ SecretString: Buffer.alloc(32, 7).toString('base64') })
  })
  afterEach(() => vi.unstubAllEnvs())

  it('reads the three secrets by ARN and connects through the proxy with TLS and no prepared statements', async () => {
    // Act
    const deps = await buildAwsDeps()
    // Assess
    expect(
      secrets
        .commandCalls(GetSecretValueCommand)
        .map((c) => c.args[0].input.SecretId)
        .sort(),
    ).toEqual(Object.values(ARNS).sort())
    expect(deps.sql.options.host).toEqual(['proxy.internal'])
    expect(deps.sql.options.ssl).toBe('require')
    expect(deps.sql.options.prepare).toBe(false)
    expect(deps.sql.options.max).toBe(1)
    expect(deps.dataKey).toHaveLength(32)
    expect(new TextDecoder().decode(deps.jwtKey)).toBe('j'.repeat(64))
    await deps.sql.end()
  })

  it('uses Ollama without a probe or an offline fallback, so a cold start never switches vector spaces', async () => {
    const deps = await buildAwsDeps()
    expect(deps.ai.name).toBe('ollama')
    await deps.sql.end()
  })

  it('sends jobs to the queue URL from the environment, in batches of at most 10', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] })
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3' } })
    const deps = await buildAwsDeps()
    // Act
    await deps.queue.send(
      'draft',
      Array.from({ length: 12 }, (_, i) => ({ n: i })),
    )
    const depths = await deps.queue.depths()
    // Assess
    const calls = sqs.commandCalls(SendMessageBatchCommand)
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 2])
    expect(calls[0]!.args[0].input.QueueUrl).toBe('https://sqs.eu-west-1.amazonaws.com/1/draft')
    expect(JSON.parse(calls[1]!.args[0].input.Entries![1]!.MessageBody!)).toEqual({ n: 11 })
    expect(depths).toEqual({ draft: 3 })
    await expect(deps.queue.send('embed', [{}])).rejects.toThrow(/QUEUE_URL_EMBED/)
    await deps.sql.end()
  })

  it('reads only the secrets it was given, and names a missing one when it is used', async () => {
    // Prepare: a function granted the database only (least privilege, issue 26.8).
    vi.stubEnv('JWT_SECRET_ARN', '')
    vi.stubEnv('DATA_KEY_SECRET_ARN', '')
    // Act
    const deps = await buildAwsDeps()
    // Assess
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([
      ARNS.DB_SECRET_ARN,
    ])
    expect(() => deps.jwtKey.length).toThrow(/JWT_SECRET_ARN is not set/)
    expect(() => deps.dataKey.toString()).toThrow(/DATA_KEY_SECRET_ARN is not set/)
    await deps.sql.end()
  })

  it('builds without any secret for a function that needs none, failing only on use', async () => {
    // Prepare
    for (const arn of Object.keys(ARNS)) vi.stubEnv(arn, '')
    // Act
    const deps = await buildAwsDeps()
    // Assess
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0)
    expect(() => deps.sql`SELECT 1`).toThrow(/DB_SECRET_ARN is not set/)
    expect(deps.queue.sendable).toEqual(['draft'])
  })
})
