import { createRequire } from 'node:module'
import { Duration, RemovalPolicy } from 'aws-cdk-lib'
import type * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources'
import {
  LogLevel,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
  SourceMapMode,
} from 'aws-cdk-lib/aws-lambda-nodejs'
import * as logs from 'aws-cdk-lib/aws-logs'
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import type { Construct } from 'constructs'
import type { Grants, QueueName } from '#shared/routes'
import { bundleTarget, esmBanner, externalModules, mainFields } from '../bundling.ts'
import type { WorkQueue } from './work-queue.ts'

// NodejsFunction silently falls back to Docker when it cannot find esbuild; Draftdesk must bundle with
// the project's own esbuild (no Docker on CI or on most laptops), so fail loudly instead.
try {
  createRequire(import.meta.url).resolve('esbuild')
} catch {
  throw new Error(
    'esbuild is not installed: run `npm ci` before synthesising (Docker bundling is not supported)',
  )
}

/** Where the database is and how a function authenticates to it. */
export interface DatabaseBinding {
  /** RDS-generated secret: JSON `{ username, password, host, port, dbname, engine }`. */
  secret: secretsmanager.ISecret
  /** Host the function connects to; the RDS Proxy endpoint for application code. */
  host: string
  name: string
}

/** What a function can be granted: the queues and the three application secrets. */
export interface GrantableResources {
  queues: ReadonlyMap<QueueName, WorkQueue>
  db: DatabaseBinding
  jwtSecret: secretsmanager.ISecret
  dataKeySecret: secretsmanager.ISecret
}

export interface DraftdeskFunctionProps
  extends Omit<
    NodejsFunctionProps,
    'runtime' | 'architecture' | 'entry' | 'handler' | 'vpc' | 'securityGroups'
  > {
  /** Path of the TypeScript module exporting `handler`. */
  entry: string
  vpc: ec2.IVpc
  securityGroup: ec2.ISecurityGroup
  /** Project root handed to esbuild; contains `package-lock.json`. */
  projectRoot: string
  logLevel: string
  logRetentionDays: number
}

/**
 * A Lambda function with Draftdesk's defaults fixed in one place: Node.js 22 on ARM64, an ESM bundle built
 * by the local esbuild (minified, source-mapped, AWS SDK left to the runtime), X-Ray tracing, a log group
 * with retention, Powertools settings, and `bind*` helpers that set an environment variable and grant the
 * matching permission in one call, so configuration and IAM cannot drift apart.
 */
export class DraftdeskFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: DraftdeskFunctionProps) {
    const { projectRoot, logLevel, logRetentionDays, securityGroup, bundling, environment, ...rest } = props
    super(scope, id, {
      memorySize: 512,
      // HTTP API waits at most 30 s for an integration; answer (even with an error) before it gives up.
      timeout: Duration.seconds(29),
      ...rest,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'handler',
      securityGroups: [securityGroup],
      tracing: lambda.Tracing.ACTIVE,
      logGroup:
        rest.logGroup ??
        new logs.LogGroup(scope, `${id}Logs`, {
          retention: retentionDays(logRetentionDays),
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      projectRoot,
      depsLockFilePath: `${projectRoot}/package-lock.json`,
      bundling: {
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        target: bundleTarget,
        format: OutputFormat.ESM,
        mainFields,
        banner: esmBanner,
        externalModules,
        // esbuild's CLI defaults to `info`: a size table and "Done" per function, ~300 lines a synth.
        // Warnings and errors still print.
        logLevel: LogLevel.WARNING,
        ...bundling,
      },
      environment: {
        DRAFTDESK_ENV: 'aws',
        POWERTOOLS_SERVICE_NAME: 'draftdesk',
        POWERTOOLS_METRICS_NAMESPACE: 'Draftdesk',
        LOG_LEVEL: logLevel,
        // Stack traces point at the TypeScript sources; the cost is paid only when an error is formatted.
        NODE_OPTIONS: '--enable-source-maps',
        ...environment,
      },
    })
  }

  /** Database endpoint and credentials secret (by ARN) plus read access to that secret. */
  bindDatabase(db: DatabaseBinding): this {
    this.addEnvironment('DB_SECRET_ARN', db.secret.secretArn)
    this.addEnvironment('DB_HOST', db.host)
    this.addEnvironment('DB_NAME', db.name)
    db.secret.grantRead(this)
    return this
  }

  /**
   * Exactly the grants of the function's route-table entry (`grantsOf` in shared/routes.ts): read access
   * to those secrets, send rights on those queues, the depth of those it inspects, and the environment
   * variables of those alone. A function that needs nothing gets nothing.
   */
  bindGrants(grants: Grants, resources: GrantableResources): this {
    for (const secret of grants.secrets) {
      if (secret === 'db') this.bindDatabase(resources.db)
      else if (secret === 'jwt') this.bindSecret('JWT_SECRET_ARN', resources.jwtSecret)
      else this.bindSecret('DATA_KEY_SECRET_ARN', resources.dataKeySecret)
    }
    const queue = (name: QueueName) => {
      const found = resources.queues.get(name)
      if (!found) throw new Error(`no queue ${name}`)
      return found
    }
    for (const name of grants.sends) this.bindQueue(queue(name), 'send')
    for (const name of grants.inspects)
      if (!grants.sends.includes(name)) this.bindQueue(queue(name), 'inspect')
    return this
  }

  /**
   * `send`: `QUEUE_URL_<NAME>` and permission to enqueue. `inspect`: the same variable and permission to
   * read the queue's attributes only (its depth). `consume`: the SQS event source with partial batch
   * responses, sized from the queue table, which grants receive and delete; no URL, since a worker that
   * had one would publish outbox jobs of its own queue, which it may not send to.
   */
  bindQueue(queue: WorkQueue, mode: 'send' | 'inspect' | 'consume'): this {
    if (mode !== 'consume') this.addEnvironment(queue.urlEnvVar, queue.queue.queueUrl)
    if (mode === 'send') {
      queue.queue.grantSendMessages(this)
      return this
    }
    if (mode === 'inspect') {
      queue.queue.grant(this, 'sqs:GetQueueAttributes')
      return this
    }
    // The event source grants receive/delete/change-visibility to the function itself.
    this.addEventSource(
      new SqsEventSource(queue.queue, {
        batchSize: queue.def.batchSize,
        // One poison message must not send its healthy batch-mates back to the queue.
        reportBatchItemFailures: true,
        maxConcurrency: queue.maxConcurrency,
      }),
    )
    return this
  }

  /** `<envVar>` = the secret's ARN, plus read access; the value itself never enters the environment. */
  bindSecret(envVar: `${string}_ARN`, secret: secretsmanager.ISecret): this {
    this.addEnvironment(envVar, secret.secretArn)
    secret.grantRead(this)
    return this
  }
}

const retentionByDays = new Map<number, logs.RetentionDays>(
  Object.values(logs.RetentionDays)
    .filter((v): v is logs.RetentionDays => typeof v === 'number')
    .map((v) => [v as number, v]),
)

/** CloudWatch Logs accepts only certain retention periods; fail synth on any other. */
export function retentionDays(days: number): logs.RetentionDays {
  const retention = retentionByDays.get(days)
  if (retention === undefined) {
    const allowed = [...retentionByDays.keys()].sort((a, b) => a - b).join(', ')
    throw new Error(`logRetentionDays must be one of ${allowed}; got ${days}`)
  }
  return retention
}
