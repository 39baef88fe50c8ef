import { join } from 'node:path'
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib'
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway'
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2'
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as events from 'aws-cdk-lib/aws-events'
import * as targets from 'aws-cdk-lib/aws-events-targets'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions'
import * as triggers from 'aws-cdk-lib/triggers'
import type { Construct } from 'constructs'
import {
  type Grants,
  grantsOf,
  type QueueDef,
  type QueueName,
  queues,
  type RouteDef,
  routes,
  type ScheduleDef,
  schedules,
} from '#shared/routes'
import type { DeployConfig } from '../config.ts'
import {
  DraftdeskFunction,
  type DraftdeskFunctionProps,
  type GrantableResources,
  retentionDays,
} from '../constructs/draftdesk-function.ts'
import { ollamaPort } from '../constructs/ollama-host.ts'
import { WorkQueue } from '../constructs/work-queue.ts'
import { type DataStack, privateZoneName } from './data-stack.ts'
import { ollamaRecordName } from './model-stack.ts'

/**
 * Entry of the schema migration Lambda (applies `migrations/*.sql`).
 * @internal
 */
export const migrateEntry = 'functions/deploy/migrate'

/** Workers that call the single GPU host; more concurrent invocations would only queue inside Ollama. */
const gpuBoundQueues: ReadonlySet<QueueName> = new Set(['draft', 'embed'])

export interface ApiStackProps extends StackProps {
  config: DeployConfig
  data: DataStack
  /** Directory holding `package-lock.json`, `functions/` and `migrations/`: the repository root. */
  projectRoot: string
}

/**
 * Everything stateless, built from the route, queue and schedule tables in shared/routes.ts: one Lambda per
 * route behind an HTTP API, one worker per queue, one Lambda per schedule, the migration trigger that runs
 * before any of them serve, and the alarms. Safe to destroy and redeploy at will.
 */
export class ApiStack extends Stack {
  readonly api: apigwv2.HttpApi
  readonly stage: apigwv2.HttpStage
  readonly queues = new Map<QueueName, WorkQueue>()
  /** Every application function (routes, workers, schedules), keyed by handler module. */
  readonly functions = new Map<string, DraftdeskFunction>()
  readonly migrateFunction: DraftdeskFunction
  readonly alarmTopic: sns.Topic

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props)
    const { config } = props

    this.alarmTopic = new sns.Topic(this, 'Alarms', { displayName: 'Draftdesk alarms' })
    if (config.alarmEmail)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail))
    const alarmAction = new cwActions.SnsAction(this.alarmTopic)

    for (const def of queues) {
      const queue = new WorkQueue(this, `Queue${pascal(def.name)}`, {
        def,
        maxConcurrency: gpuBoundQueues.has(def.name) ? 2 : undefined,
      })
      for (const alarm of [queue.dlqAlarm, queue.ageAlarm]) alarm.addAlarmAction(alarmAction)
      this.queues.set(def.name, queue)
    }

    const { api, stage } = httpApi(this, id, config)
    this.api = api
    this.stage = stage
    const appFunction = this.functionFactory(props)
    for (const route of routes) {
      const fn = appFunction(`Http${pascal(baseName(route.handler))}`, route)
      this.api.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${fn.node.id}Integration`, fn),
      })
    }
    for (const def of queues) {
      const fn = appFunction(`Worker${pascal(def.name)}`, def, {
        timeout: Duration.seconds(def.timeoutSeconds),
        memorySize: 1024,
      })
      fn.bindQueue(this.queues.get(def.name)!, 'consume')
    }
    for (const schedule of schedules) {
      const fn = appFunction(`Schedule${pascal(schedule.name)}`, schedule, { timeout: Duration.minutes(1) })
      new events.Rule(this, `Schedule${pascal(schedule.name)}Rule`, {
        description: `Draftdesk ${schedule.name}, every ${schedule.everyMinutes} min`,
        schedule: events.Schedule.rate(Duration.minutes(schedule.everyMinutes)),
        // A missed tick is harmless (the next one catches up); do not pile up stale retries.
        targets: [
          new targets.LambdaFunction(fn, {
            retryAttempts: 2,
            maxEventAge: Duration.minutes(schedule.everyMinutes),
          }),
        ],
      })
    }

    this.migrateFunction = this.migrationsOnDeploy(props)
    api5xxAlarm(this, this.api).addAlarmAction(alarmAction)
    new CfnOutput(this, 'ApiUrl', {
      value: this.api.apiEndpoint,
      description: 'Base URL of the Draftdesk API',
    })
    new CfnOutput(this, 'WebhookUrlPattern', {
      value: `${this.api.apiEndpoint}/webhooks/whmcs/{tenantSlug}`,
      description: 'WHMCS hook target; replace {tenantSlug} with the tenant slug',
    })
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn })
  }

  /** Settings every function shares, whatever it runs. */
  private commonProps({ config, data, projectRoot }: ApiStackProps) {
    return {
      vpc: data.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      projectRoot,
      logLevel: config.logLevel,
      logRetentionDays: config.logRetentionDays,
    }
  }

  /**
   * Builds the function of a route, queue or schedule entry: its bundle, the model and CORS settings, and
   * exactly the grants its entry declares (least privilege from the route table).
   */
  private functionFactory(props: ApiStackProps) {
    const { config, data, projectRoot } = props
    const common = this.commonProps(props)
    const roles = this.sharedRoles()
    return (
      id: string,
      def: RouteDef | QueueDef | ScheduleDef,
      extra: Partial<DraftdeskFunctionProps> = {},
    ): DraftdeskFunction => {
      const module = 'worker' in def ? def.worker : def.handler
      const fn = new DraftdeskFunction(this, id, {
        ...common,
        role: roles(grantsOf(def), 'worker' in def ? def.name : undefined),
        securityGroup: data.functionSecurityGroup,
        entry: join(projectRoot, `${module}.ts`),
        description: `Draftdesk ${module}`,
        ...extra,
        environment: {
          // A stable DNS name, not the instance IP: the model stack can replace its host without this stack.
          OLLAMA_HOST: `http://${ollamaRecordName}.${privateZoneName}:${ollamaPort}`,
          OLLAMA_EMBED_MODEL: config.ollamaEmbedModel,
          OLLAMA_CHAT_MODEL: config.ollamaChatModel,
          CORS_ORIGINS: config.corsOrigins.join(','),
          ...(config.publicUrl ? { PUBLIC_URL: config.publicUrl } : {}),
          ...(config.rerankerUrl ? { RERANKER_URL: config.rerankerUrl } : {}),
          ...(config.whmcsAllowedNetworks.length
            ? { WHMCS_ALLOWED_NETWORKS: config.whmcsAllowedNetworks.join(',') }
            : {}),
          ...extra.environment,
        },
      })
      fn.bindGrants(grantsOf(def), grantable(data, this.queues))
      this.functions.set(module, fn)
      return fn
    }
  }

  /**
   * One execution role per distinct set of grants, shared by the functions whose table entries declare
   * exactly that set (a worker's role is its own: it alone consumes its queue). Least privilege is the same
   * as a role per function, since every function sharing a role is granted the same; but a role and its
   * policy per function would take two of CloudFormation's 500 resources a stack for each route.
   */
  private sharedRoles() {
    const roles = new Map<string, iam.Role>()
    return (grants: Grants, consumes: QueueName | undefined): iam.Role => {
      const parts = [
        ...(consumes ? [`worker-${consumes}`] : []),
        ...grants.secrets,
        ...grants.sends.map((q) => `sends-${q}`),
        ...grants.inspects.map((q) => `inspects-${q}`),
      ]
      const key = parts.join(' ')
      let role = roles.get(key)
      if (!role) {
        role = new iam.Role(this, `Role${pascal(parts.join('-')) || 'Nothing'}`, {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          description: `Draftdesk functions granted: ${key || 'nothing beyond logs and the VPC'}`,
          managedPolicies: [
            iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole'),
            iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
          ],
        })
        roles.set(key, role)
      }
      return role
    }
  }

  /**
   * Migrations: applied on every deploy whose bundle changed (new SQL files change the bundle), before the
   * stage and the functions that might need the new schema are created or updated. A failed migration
   * fails the deploy and CloudFormation rolls back.
   */
  private migrationsOnDeploy(props: ApiStackProps): DraftdeskFunction {
    const { data, projectRoot } = props
    const fn = new DraftdeskFunction(this, 'Migrate', {
      ...this.commonProps(props),
      entry: join(projectRoot, `${migrateEntry}.ts`),
      description: 'Draftdesk schema migrations (run by a deploy-time trigger)',
      securityGroup: data.migrationSecurityGroup,
      timeout: Duration.minutes(5),
      // functions/deploy/migrate.ts reads the SQL from here: the hook below copies it beside index.mjs.
      environment: { MIGRATIONS_DIR: '/var/task' },
      bundling: {
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // The SQL files ship next to index.mjs; a bundle without any fails synth rather than deploy.
          afterBundling: (inputDir: string, outputDir: string) => [
            `cp "${inputDir}"/migrations/*.sql "${outputDir}/"`,
          ],
        },
      },
    })
      .bindDatabase(data.directBinding)
      // The first superadmin's tenant gets an encrypted webhook secret; no tokens are issued here.
      .bindSecret('DATA_KEY_SECRET_ARN', data.dataKeySecret)
      .bindSecret('BOOTSTRAP_SECRET_ARN', data.bootstrapSecret)
    const migrate = new triggers.Trigger(this, 'MigrateOnDeploy', {
      handler: fn,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: Duration.minutes(6),
      executeOnHandlerChange: true,
      executeAfter: [data.database],
    })
    migrate.executeBefore(this.stage, ...this.functions.values())
    return fn
  }
}

/**
 * The HTTP API and its stage, with throttling and access logs. Authentication is the application's (JWT or
 * x-api-key, HMAC for webhooks): one scheme in AWS and locally, and API keys are something an API Gateway
 * JWT authorizer cannot check.
 */
function httpApi(scope: Construct, id: string, config: DeployConfig) {
  const api = new apigwv2.HttpApi(scope, 'Api', {
    apiName: id,
    description: 'Draftdesk API',
    createDefaultStage: false,
    corsPreflight:
      config.corsOrigins.length > 0
        ? {
            allowOrigins: config.corsOrigins,
            allowMethods: [
              apigwv2.CorsHttpMethod.GET,
              apigwv2.CorsHttpMethod.POST,
              apigwv2.CorsHttpMethod.PUT,
              apigwv2.CorsHttpMethod.PATCH,
              apigwv2.CorsHttpMethod.DELETE,
              apigwv2.CorsHttpMethod.OPTIONS,
            ],
            allowHeaders: ['authorization', 'content-type', 'x-api-key', 'x-request-id'],
            maxAge: Duration.hours(1),
          }
        : undefined,
  })
  const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', {
    retention: retentionDays(config.logRetentionDays),
    removalPolicy: RemovalPolicy.DESTROY,
  })
  const stage = new apigwv2.HttpStage(scope, 'DefaultStage', {
    httpApi: api,
    stageName: '$default',
    autoDeploy: true,
    throttle: { rateLimit: config.apiRateLimit, burstLimit: config.apiBurstLimit },
    accessLogSettings: {
      destination: new apigwv2.LogGroupLogDestination(accessLogs),
      format: AccessLogFormat.custom(
        JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          time: '$context.requestTimeEpoch',
          routeKey: '$context.routeKey',
          status: '$context.status',
          responseLength: '$context.responseLength',
          latencyMs: '$context.responseLatency',
          integrationLatencyMs: '$context.integrationLatency',
          integrationError: '$context.integrationErrorMessage',
          userAgent: '$context.identity.userAgent',
        }),
      ),
    },
  })
  return { api, stage }
}

/** Five or more 5xx answers of the API in five minutes. */
function api5xxAlarm(scope: Construct, api: apigwv2.HttpApi): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, 'Api5xx', {
    alarmDescription: 'Draftdesk API: 5xx responses',
    metric: new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName: '5xx',
      dimensionsMap: { ApiId: api.apiId },
      statistic: 'Sum',
      period: Duration.minutes(5),
    }),
    threshold: 5,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  })
}

/** What functions are granted from: the queues of this stack and the application secrets. */
const grantable = (data: DataStack, queues: ReadonlyMap<QueueName, WorkQueue>): GrantableResources => ({
  queues,
  db: data.proxyBinding,
  jwtSecret: data.jwtSecret,
  dataKeySecret: data.dataKeySecret,
})

/** `functions/http/kb-articles-get` → `kb-articles-get`. */
const baseName = (module: string): string => module.slice(module.lastIndexOf('/') + 1)

/** `kb-articles-get` → `KbArticlesGet`, for construct ids. */
const pascal = (name: string): string =>
  name
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')
