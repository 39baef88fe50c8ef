import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { App, type CfnElement, type Stack } from 'aws-cdk-lib'
import { Match, Template } from 'aws-cdk-lib/assertions'
import type { IConstruct } from 'constructs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  grantsOf,
  type QueueDef,
  type QueueName,
  queues,
  type RouteDef,
  routeKey,
  routes,
  type ScheduleDef,
  type SecretName,
  schedules,
} from '#shared/routes'
import { defaultConfig, ollamaModelsToPull, readConfig } from '../../infra/config.ts'
import { createDraftdesk, repoRoot } from '../../infra/draftdesk.ts'
import { type ApiStack, migrateEntry } from '../../infra/stacks/api-stack.ts'
import type { DataStack } from '../../infra/stacks/data-stack.ts'

/** Synthesised CloudFormation: untyped JSON, navigated freely in assertions. */
type Json = any
type Resource = {
  Type: string
  Properties?: Record<string, Json>
  DependsOn?: string[]
  DeletionPolicy?: string
}
type Resources = Record<string, Resource>

/*
 * One app, synthesised once for the whole file, with bundling skipped (`aws:cdk:bundling-stacks: []`) so it
 * takes seconds. Entries resolve against a temporary tree of stub handlers: this suite checks the wiring
 * from the tables, while `npm run synth` (real bundling) proves every handler module exists and bundles.
 */
let stubRoot: string
let app: App
let stacks: { data: Stack; model: Stack; api: Stack; web: Stack }
let data: Template
let model: Template
let api: Template
let apiResources: Resources
let web: Template

const corsOrigin = 'https://desk.example.com'

const entries = [
  ...routes.map((r) => r.handler),
  ...queues.map((q) => q.worker),
  ...schedules.map((s) => s.handler),
  migrateEntry,
]

beforeAll(() => {
  stubRoot = mkdtempSync(join(tmpdir(), 'draftdesk-infra-'))
  writeFileSync(join(stubRoot, 'package-lock.json'), '{}')
  for (const entry of entries) {
    const file = join(stubRoot, `${entry}.ts`)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, 'export const handler = async () => ({})\n')
  }
  // A console build stands in for console/dist.
  mkdirSync(join(stubRoot, 'console', 'dist', 'assets'), { recursive: true })
  writeFileSync(join(stubRoot, 'console', 'dist', 'index.html'), '<!doctype html><title>Draftdesk</title>')
  writeFileSync(join(stubRoot, 'console', 'dist', 'assets', 'index-abc.js'), 'export {}')
  // The feature flags from cdk.json, so the tests see what `cdk synth` produces.
  const cdkJson = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8'))
  app = new App({
    context: {
      ...cdkJson.context,
      'aws:cdk:bundling-stacks': [],
      corsOrigins: corsOrigin,
      whmcsAllowedNetworks: '10.0.0.0/8',
    },
  })
  stacks = createDraftdesk(app, { projectRoot: stubRoot })
  data = Template.fromStack(stacks.data)
  model = Template.fromStack(stacks.model)
  api = Template.fromStack(stacks.api)
  apiResources = api.toJSON().Resources
  web = Template.fromStack(stacks.web)
})

afterAll(() => {
  if (stubRoot) rmSync(stubRoot, { recursive: true, force: true })
})

/** Logical id of the resource an `Fn::GetAtt` / `Ref` points at. */
const target = (value: Json): string => value?.['Fn::GetAtt']?.[0] ?? value?.Ref

/** Application functions carry a `Draftdesk <module>` description; CDK's own helpers do not. */
function appFunctions(): [string, Resource][] {
  return Object.entries(apiResources).filter(
    ([, r]) =>
      r.Type === 'AWS::Lambda::Function' && String(r.Properties?.Description ?? '').startsWith('Draftdesk'),
  )
}

function functionFor(module: string): [string, Resource] {
  const found = appFunctions().find(([, r]) => r.Properties?.Description === `Draftdesk ${module}`)
  if (!found) throw new Error(`no function for ${module}`)
  return found
}

describe('Function: Draftdesk CDK app', () => {
  it('synthesises without errors', () => {
    // Act
    const messages = app.synth().stacks.flatMap((s) => s.messages)

    // Assess
    expect(messages.filter((m) => m.level === 'error')).toEqual([])
    expect(
      app
        .synth()
        .stacks.map((s) => s.stackName)
        .sort(),
    ).toEqual(['Draftdesk-Api', 'Draftdesk-Console', 'Draftdesk-Data', 'Draftdesk-Model'])
  })

  it('maps every route of the route table to an API route with its own function', () => {
    // Prepare
    const apiRoutes = Object.values(apiResources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
    const seenFunctions = new Set<string>()

    // Assess
    expect(apiRoutes).toHaveLength(routes.length)
    for (const route of routes) {
      const apiRoute = apiRoutes.find((r) => r.Properties?.RouteKey === routeKey(route))
      expect(apiRoute, routeKey(route)).toBeDefined()
      expect(apiRoute!.Properties?.AuthorizationType ?? 'NONE').toBe('NONE')
      const integrationId = apiRoute!.Properties?.Target['Fn::Join'][1][1].Ref
      const integration = apiResources[integrationId]!
      expect(integration.Properties?.PayloadFormatVersion).toBe('2.0')
      const fnId = target(integration.Properties?.IntegrationUri)
      expect(fnId, `${routeKey(route)} integration target`).toBe(functionFor(route.handler)[0])
      seenFunctions.add(fnId)
    }
    expect(seenFunctions.size).toBe(routes.length)
  })

  it('runs every function on Node.js 22, ARM64, in the VPC, traced, with a log group', () => {
    // Prepare
    const fns = appFunctions()

    // Assess
    expect(fns).toHaveLength(routes.length + queues.length + schedules.length + 1)
    for (const [id, fn] of fns) {
      expect(fn.Properties?.Runtime, id).toBe('nodejs22.x')
      expect(fn.Properties?.Architectures, id).toEqual(['arm64'])
      expect(fn.Properties?.Handler, id).toBe('index.handler')
      expect(fn.Properties?.TracingConfig, id).toEqual({ Mode: 'Active' })
      expect(fn.Properties?.VpcConfig?.SecurityGroupIds, id).toHaveLength(1)
      expect(fn.Properties?.LoggingConfig?.LogGroup, id).toBeDefined()
    }
    for (const logGroup of Object.values(apiResources).filter((r) => r.Type === 'AWS::Logs::LogGroup')) {
      expect(logGroup.Properties?.RetentionInDays).toBe(defaultConfig.logRetentionDays)
    }
  })

  it('gives every function the runtime contract, with secrets only as ARNs', () => {
    // Prepare: secret ARNs and queue URLs go only where granted (see the least-privilege tests below).
    const required = [
      'DRAFTDESK_ENV',
      'OLLAMA_HOST',
      'CORS_ORIGINS',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'LOG_LEVEL',
    ]
    // Secrets live in the data stack; the API stack sees them as cross-stack references naming them.
    const secretIds = Object.entries(data.toJSON().Resources as Resources)
      .filter(([, r]) => r.Type.startsWith('AWS::SecretsManager::'))
      .map(([id]) => id)
    const secretish = /SECRET|PASSWORD|TOKEN|PRIVATE|KEY$/

    // Assess
    for (const [id, fn] of appFunctions()) {
      const env: Record<string, unknown> = fn.Properties?.Environment?.Variables ?? {}
      if (id.startsWith('Migrate')) {
        expect(Object.keys(env), id).toEqual(
          expect.arrayContaining([
            'DRAFTDESK_ENV',
            'DB_SECRET_ARN',
            'DB_HOST',
            'DB_NAME',
            'DATA_KEY_SECRET_ARN',
            'MIGRATIONS_DIR',
          ]),
        )
      } else {
        expect(Object.keys(env), id).toEqual(expect.arrayContaining(required))
        expect(env.DRAFTDESK_ENV).toBe('aws')
        expect(env.POWERTOOLS_SERVICE_NAME).toBe('draftdesk')
        expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('Draftdesk')
        expect(env.CORS_ORIGINS).toBe(corsOrigin)
        expect(env.OLLAMA_HOST).toBe('http://ollama.draftdesk.internal:11434')
        expect(env.OLLAMA_EMBED_MODEL).toBe(defaultConfig.ollamaEmbedModel)
        expect(env.OLLAMA_CHAT_MODEL).toBe(defaultConfig.ollamaChatModel)
        expect(env.WHMCS_ALLOWED_NETWORKS).toBe('10.0.0.0/8')
      }
      for (const [key, value] of Object.entries(env)) {
        expect(JSON.stringify(value), `${id} ${key}`).not.toMatch(/resolve:secretsmanager|SecretString/)
        if (secretish.test(key)) {
          expect(key, `${id}: secret-like variable must hold an ARN`).toMatch(/_ARN$/)
          // A reference to a secret of the data stack, never a literal.
          expect(typeof value, `${id} ${key}`).toBe('object')
          expect(
            secretIds.some((secretId) => JSON.stringify(value).includes(secretId)),
            `${id} ${key}`,
          ).toBe(true)
        }
      }
    }
  })

  it('connects application functions through RDS Proxy and only migrations straight to the database', () => {
    // Prepare
    const appHost = functionFor(routes[0]!.handler)[1].Properties?.Environment.Variables.DB_HOST
    const migrateHost = appFunctions().find(([id]) => id.startsWith('Migrate'))![1].Properties?.Environment
      .Variables.DB_HOST

    // Assess
    expect(JSON.stringify(appHost)).toMatch(/Proxy/)
    expect(JSON.stringify(migrateHost)).toMatch(/DatabaseEndpoint|Database.*Address/)
  })

  it('gives only the migration trigger the first superadmin secret, by ARN', () => {
    const migrateEnv = appFunctions().find(([id]) => id.startsWith('Migrate'))![1].Properties?.Environment
      .Variables
    expect(JSON.stringify(migrateEnv.BOOTSTRAP_SECRET_ARN)).toMatch(/BootstrapAdmin/)
    const appEnv = functionFor(routes[0]!.handler)[1].Properties?.Environment.Variables
    expect(appEnv.BOOTSTRAP_SECRET_ARN).toBeUndefined()
  })

  it('gives every queue a DLQ, an event source mapping with batch item failures and alarms', () => {
    for (const def of queues) {
      // Prepare
      const [workerId] = functionFor(def.worker)
      const mapping = Object.values(apiResources).find(
        (r) =>
          r.Type === 'AWS::Lambda::EventSourceMapping' && target(r.Properties?.FunctionName) === workerId,
      )
      expect(mapping, def.name).toBeDefined()
      const queueId = target(mapping!.Properties?.EventSourceArn)
      const queue = apiResources[queueId]!
      const dlqId = target(queue.Properties?.RedrivePolicy?.deadLetterTargetArn)
      const alarms = Object.values(apiResources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      const alarmOn = (queueLogicalId: string, metric: string) =>
        alarms.find(
          (a) =>
            a.Properties?.MetricName === metric &&
            target(a.Properties?.Dimensions?.[0]?.Value) === queueLogicalId &&
            (a.Properties?.AlarmActions ?? []).length > 0,
        )

      // Assess
      expect(mapping!.Properties?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures'])
      expect(mapping!.Properties?.BatchSize).toBe(def.batchSize)
      expect(queue.Type).toBe('AWS::SQS::Queue')
      expect(queue.Properties?.VisibilityTimeout).toBe(def.timeoutSeconds * 6)
      expect(queue.Properties?.RedrivePolicy?.maxReceiveCount).toBe(def.maxReceiveCount)
      expect(apiResources[dlqId]?.Type).toBe('AWS::SQS::Queue')
      expect(functionFor(def.worker)[1].Properties?.Timeout).toBe(def.timeoutSeconds)
      expect(alarmOn(dlqId, 'ApproximateNumberOfMessagesVisible'), `${def.name} DLQ alarm`).toBeDefined()
      expect(alarmOn(dlqId, 'ApproximateNumberOfMessagesVisible')!.Properties?.Threshold).toBe(0)
      expect(alarmOn(queueId, 'ApproximateAgeOfOldestMessage'), `${def.name} age alarm`).toBeDefined()
    }
  })

  it('runs every schedule on an EventBridge rate rule targeting its function', () => {
    for (const schedule of schedules) {
      // Prepare
      const [fnId] = functionFor(schedule.handler)
      const n = schedule.everyMinutes
      // CloudFormation's rate takes the largest whole unit: 60 minutes is `rate(1 hour)`.
      const [count, unit] =
        n % 1440 === 0 ? [n / 1440, 'day'] : n % 60 === 0 ? [n / 60, 'hour'] : [n, 'minute']
      const expression = `rate(${count} ${unit}${count === 1 ? '' : 's'})`

      // Assess
      api.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: expression,
        State: 'ENABLED',
        Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })]),
      })
    }
  })

  it('runs migrations on deploy before the API stage and the functions', () => {
    // Prepare
    const [triggerId, trigger] = Object.entries(apiResources).find(([, r]) => r.Type === 'Custom::Trigger')!
    const [stageId, stage] = Object.entries(apiResources).find(
      ([, r]) => r.Type === 'AWS::ApiGatewayV2::Stage',
    )!
    const [migrateId] = appFunctions().find(([id]) => id.startsWith('Migrate'))!

    const version = apiResources[target(trigger.Properties?.HandlerArn)]!

    // Assess
    expect(version.Type).toBe('AWS::Lambda::Version')
    expect(target(version.Properties?.FunctionName)).toBe(migrateId)
    expect(stage.DependsOn, stageId).toContain(triggerId)
    for (const [id, fn] of appFunctions()) {
      if (id !== migrateId) expect(fn.DependsOn, id).toContain(triggerId)
    }
  })

  it('serves the API with CORS from context, throttling and access logs', () => {
    // Assess
    api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({ AllowOrigins: [corsOrigin] }),
    })
    api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: defaultConfig.apiRateLimit,
        ThrottlingBurstLimit: defaultConfig.apiBurstLimit,
      },
      AccessLogSettings: Match.objectLike({
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('requestId'),
      }),
    })
    api.hasOutput('ApiUrl', Match.anyValue())
    const webhook = api.findOutputs('WebhookUrlPattern')
    expect(JSON.stringify(webhook)).toContain('/webhooks/whmcs/{tenantSlug}')
  })

  it('serves the console from a private bucket and the API through the same CloudFront origin', () => {
    // Assess: the bucket is private, reached by CloudFront's origin access control only.
    web.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    })
    web.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1)
    const [distribution] = Object.values(web.findResources('AWS::CloudFront::Distribution'))
    const config = distribution!.Properties.DistributionConfig
    // The API is the default behaviour: every method, nothing cached; the app lives under /app.
    expect(config.DefaultCacheBehavior.AllowedMethods).toHaveLength(7)
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https')
    expect(config.CacheBehaviors.map((b: { PathPattern: string }) => b.PathPattern)).toEqual(['/app*'])
    const apiOrigin = config.Origins.find((o: Json) => o.CustomOriginConfig)
    expect(JSON.stringify(apiOrigin.DomainName)).toContain('ApiEndpoint')
    // The page's security headers travel with it, and app routes are rewritten to the page.
    web.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: Match.stringLikeRegexp("script-src 'self'") },
        },
      },
    })
    web.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionCode: Match.stringLikeRegexp('/app/index.html'),
    })
    web.resourceCountIs('Custom::CDKBucketDeployment', 2)
  })

  it('keeps the database private, encrypted, protected and snapshotted', () => {
    // Assess
    data.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Snapshot',
      Properties: Match.objectLike({
        Engine: 'postgres',
        EngineVersion: '16',
        PubliclyAccessible: false,
        StorageEncrypted: true,
        DeletionProtection: true,
        BackupRetentionPeriod: defaultConfig.dbBackupRetentionDays,
      }),
    })
    data.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true, EngineFamily: 'POSTGRESQL' })
    data.hasOutput('WhmcsEgressIp', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('EIP'), 'PublicIp'] } })
    expect(Object.keys(data.findResources('AWS::EC2::NatGateway'))).toHaveLength(1)
    // Database, JWT key, data key, and the first superadmin's generated login.
    expect(Object.keys(data.findResources('AWS::SecretsManager::Secret'))).toHaveLength(4)
    data.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password' }),
    })
    data.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.sqs'])]) }),
    })
  })

  it('allows no inbound traffic from the internet to the database, the proxy or the model host', () => {
    // Prepare
    const open = (rule: Record<string, Json>) => rule.CidrIp === '0.0.0.0/0' || rule.CidrIpv6 === '::/0'
    const all = { ...data.toJSON().Resources, ...model.toJSON().Resources, ...apiResources } as Resources

    // Assess
    for (const [id, r] of Object.entries(all)) {
      if (r.Type === 'AWS::EC2::SecurityGroup') {
        for (const rule of r.Properties?.SecurityGroupIngress ?? []) expect(open(rule), id).toBe(false)
      }
      if (r.Type === 'AWS::EC2::SecurityGroupIngress') expect(open(r.Properties ?? {}), id).toBe(false)
    }
    // The model host: exactly one rule, the Ollama port, from the functions' security group.
    const [hostSgId, hostSg] = Object.entries(model.findResources('AWS::EC2::SecurityGroup'))[0]!
    const hostRules = [
      ...(hostSg.Properties.SecurityGroupIngress ?? []),
      ...Object.values(model.findResources('AWS::EC2::SecurityGroupIngress'))
        .filter((r) => target(r.Properties.GroupId) === hostSgId)
        .map((r) => r.Properties),
    ]
    expect(hostRules).toEqual([
      expect.objectContaining({
        FromPort: 11434,
        ToPort: 11434,
        IpProtocol: 'tcp',
        SourceSecurityGroupId: expect.anything(),
      }),
    ])
    expect(JSON.stringify(hostRules[0].SourceSecurityGroupId)).toMatch(/FunctionSecurityGroup/)
    // The database accepts the proxy and the migration function, nothing else.
    const dbSgId = target(
      Object.values(data.findResources('AWS::RDS::DBInstance'))[0]!.Properties.VPCSecurityGroups[0],
    )
    const dbSources = Object.values(data.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => target(r.Properties.GroupId) === dbSgId)
      .map((r) => target(r.Properties.SourceSecurityGroupId))
    expect(dbSources.sort()).toEqual([expect.stringMatching(/Proxy/), expect.stringMatching(/^Migration/)])
  })

  it('runs Ollama on a GPU host from an SSM AMI parameter, no SSH, models on their own volume', () => {
    // Prepare
    const instance = Object.values(model.findResources('AWS::EC2::Instance'))[0]!
    const userData = JSON.stringify(instance.Properties.UserData)
    const imageParam = target(instance.Properties.ImageId)

    // Assess
    expect(instance.Properties.InstanceType).toBe('g5.xlarge')
    expect(instance.CreationPolicy).toEqual({ ResourceSignal: { Timeout: 'PT30M' } })
    expect(userData).toContain('cfn-signal')
    expect(instance.Properties.KeyName).toBeUndefined()
    expect(model.toJSON().Parameters[imageParam]).toMatchObject({
      Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      Default: defaultConfig.ollamaAmiParameter,
    })
    expect(instance.Properties.BlockDeviceMappings).toEqual([
      expect.objectContaining({
        Ebs: expect.objectContaining({
          VolumeType: 'gp3',
          Encrypted: true,
          VolumeSize: defaultConfig.ollamaVolumeGiB,
        }),
      }),
    ])
    expect(userData).toContain('OLLAMA_HOST=0.0.0.0:11434')
    expect(userData).toContain('/var/lib/ollama')
    for (const m of ['nomic-embed-text', 'qwen2.5:3b']) expect(userData).toContain(m)
    model.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' } },
    })
    model.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.arrayWith([
        { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AmazonSSMManagedInstanceCore')])] },
      ]),
    })
    model.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'ollama.draftdesk.internal.', Type: 'A' })
  })

  it('stays well under the CloudFormation limit of 500 resources per stack', () => {
    for (const template of [data, model, api]) {
      expect(Object.keys(template.toJSON().Resources).length).toBeLessThan(450)
    }
  })
})

/** A construct's logical id in its stack, as references to it name it. */
const logicalId = (stack: Stack, c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement)

/**
 * What a function's role may do, read from the IAM policies attached to it: the SQS actions per queue of the
 * table, and the secrets it may read (`application` names as in shared/routes.ts, plus `bootstrap`).
 */
function grantsIn(fnId: string): { sqs: Map<QueueName, Set<string>>; secrets: Set<string> } {
  const roleId = target(apiResources[fnId]!.Properties?.Role)
  const apiStack = stacks.api as ApiStack
  const dataStack = stacks.data as DataStack
  const queueIds = [...apiStack.queues].map(([name, q]) => [name, logicalId(apiStack, q.queue)] as const)
  const secretIds = [
    ['db', dataStack.dbSecret],
    ['jwt', dataStack.jwtSecret],
    ['dataKey', dataStack.dataKeySecret],
    ['bootstrap', dataStack.bootstrapSecret],
  ].map(([name, secret]) => [name as string, logicalId(dataStack, secret as IConstruct)] as const)
  const sqs = new Map<QueueName, Set<string>>()
  const secrets = new Set<string>()
  const policies = Object.values(apiResources).filter(
    (r) =>
      r.Type === 'AWS::IAM::Policy' && (r.Properties?.Roles ?? []).some((ref: Json) => ref?.Ref === roleId),
  )
  for (const statement of policies.flatMap((p) => p.Properties?.PolicyDocument.Statement as Json[])) {
    const actions: string[] = [statement.Action].flat()
    for (const resource of [statement.Resource].flat()) {
      const json = JSON.stringify(resource)
      const queue = queueIds.find(([, id]) => json.includes(`"${id}"`))
      if (queue) {
        const set = sqs.get(queue[0]) ?? new Set<string>()
        for (const action of actions.filter((a) => a.startsWith('sqs:'))) set.add(action)
        sqs.set(queue[0], set)
      }
      const secret = secretIds.find(([, id]) => json.includes(id))
      if (secret && actions.includes('secretsmanager:GetSecretValue')) secrets.add(secret[0])
    }
  }
  return { sqs, secrets }
}

const moduleOf = (def: RouteDef | QueueDef | ScheduleDef) => ('worker' in def ? def.worker : def.handler)
const tableEntries: Array<RouteDef | QueueDef | ScheduleDef> = [...routes, ...queues, ...schedules]
const envOf = (fnId: string): Record<string, unknown> =>
  apiResources[fnId]!.Properties?.Environment?.Variables ?? {}
const SECRET_ENV: Record<SecretName, string> = {
  db: 'DB_SECRET_ARN',
  jwt: 'JWT_SECRET_ARN',
  dataKey: 'DATA_KEY_SECRET_ARN',
}

describe('Function: least privilege from the route table (issue 26.8)', () => {
  it('shares an execution role only between functions whose entries grant the same, and a worker has its own', () => {
    // Prepare
    const byRole = new Map<string, Array<RouteDef | QueueDef | ScheduleDef>>()
    for (const def of tableEntries) {
      const role = target(functionFor(moduleOf(def))[1].Properties?.Role)
      byRole.set(role, [...(byRole.get(role) ?? []), def])
    }
    // Assess
    for (const [role, defs] of byRole) {
      const grants = defs.map((d) => JSON.stringify(grantsOf(d)))
      expect(new Set(grants).size, role).toBe(1)
      if (defs.some((d) => 'worker' in d)) expect(defs, role).toHaveLength(1)
    }
    // Roles are shared (fewer than functions), which keeps the stack far from CloudFormation's limit.
    expect(byRole.size).toBeLessThan(tableEntries.length / 2)
  })

  it('lets every function read exactly the secrets its entry declares, with their ARNs and no others', () => {
    for (const def of tableEntries) {
      // Prepare
      const [fnId] = functionFor(moduleOf(def))
      const declared = grantsOf(def).secrets
      // Act
      const { secrets } = grantsIn(fnId)
      // Assess
      expect([...secrets].sort(), moduleOf(def)).toEqual([...declared].sort())
      const env = envOf(fnId)
      for (const [name, variable] of Object.entries(SECRET_ENV)) {
        expect(variable in env, `${moduleOf(def)} ${variable}`).toBe(declared.includes(name as SecretName))
      }
      expect('DB_HOST' in env, moduleOf(def)).toBe(declared.includes('db'))
    }
  })

  it('lets every function send to exactly the queues its entry declares, with their URLs and no others', () => {
    for (const def of tableEntries) {
      // Prepare
      const [fnId] = functionFor(moduleOf(def))
      const { sends, inspects } = grantsOf(def)
      // Act
      const { sqs } = grantsIn(fnId)
      // Assess
      const sendsTo = [...sqs].filter(([, actions]) => actions.has('sqs:SendMessage')).map(([name]) => name)
      expect(sendsTo.sort(), moduleOf(def)).toEqual([...sends].sort())
      for (const def2 of queues) {
        const variable = `QUEUE_URL_${def2.name.toUpperCase()}`
        const expected = sends.includes(def2.name) || inspects.includes(def2.name)
        expect(variable in envOf(fnId), `${moduleOf(def)} ${variable}`).toBe(expected)
      }
    }
  })

  it('lets GET /health read the depth of every queue, and nothing else of them', () => {
    // Prepare
    const [fnId] = functionFor('functions/http/health')
    // Act
    const { sqs, secrets } = grantsIn(fnId)
    // Assess
    expect([...sqs.keys()].sort()).toEqual(queues.map((q) => q.name).sort())
    for (const actions of sqs.values()) expect([...actions]).toEqual(['sqs:GetQueueAttributes'])
    expect([...secrets]).toEqual(['db'])
    api.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: target(apiResources[fnId]!.Properties?.Role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:GetQueueAttributes', Effect: 'Allow' })]),
      },
    })
  })

  it('lets each worker receive from its own queue only, and publish only what it enqueues', () => {
    for (const def of queues) {
      // Prepare
      const [fnId] = functionFor(def.worker)
      // Act
      const { sqs } = grantsIn(fnId)
      // Assess
      const receives = [...sqs].filter(([, a]) => a.has('sqs:ReceiveMessage')).map(([name]) => name)
      expect(receives, def.name).toEqual([def.name])
      // Only a worker that chains its own jobs (a replay's next chunk) declares and gets its own queue.
      const chainsItself = def.uses?.sends?.includes(def.name) ?? false
      expect(sqs.get(def.name)?.has('sqs:SendMessage') ?? false, def.name).toBe(chainsItself)
      // Otherwise no URL of its own queue: it would publish that queue's outbox jobs, which it may not send.
      expect(`QUEUE_URL_${def.name.toUpperCase()}` in envOf(fnId), def.name).toBe(chainsItself)
    }
  })

  it('gives a function that needs nothing no queue rights, and the OpenAPI document no secret either', () => {
    for (const module of ['functions/http/tickets-get', 'functions/http/openapi', 'functions/workers/send']) {
      // Act
      const { sqs, secrets } = grantsIn(functionFor(module)[0])
      // Assess
      const sendOrInspect = [...sqs].filter(
        ([, a]) => a.has('sqs:SendMessage') || a.has('sqs:GetQueueAttributes'),
      )
      const own = module === 'functions/workers/send' ? ['send'] : []
      expect(
        sendOrInspect.map(([name]) => name),
        module,
      ).toEqual(own)
      if (module === 'functions/http/openapi') expect([...secrets]).toEqual([])
    }
  })

  it('lets the WHMCS webhook send to the draft and embed queues only', () => {
    // Act
    const { sqs, secrets } = grantsIn(functionFor('functions/http/whmcs-webhook')[0])
    // Assess: drafts for customer messages; an embed job when a staff reply settles a pending draft.
    expect([...sqs.keys()].sort()).toEqual(['draft', 'embed'])
    expect([...secrets].sort()).toEqual(['dataKey', 'db'])
  })

  it('gives the migration function the database, the data key and the bootstrap secret, no JWT key or queue', () => {
    // Act
    const [migrateId] = appFunctions().find(([id]) => id.startsWith('Migrate'))!
    const { sqs, secrets } = grantsIn(migrateId)
    // Assess
    expect([...secrets].sort()).toEqual(['bootstrap', 'dataKey', 'db'])
    expect(sqs.size).toBe(0)
    expect(envOf(migrateId).JWT_SECRET_ARN).toBeUndefined()
  })
})

describe('Function: readConfig', () => {
  const configFrom = (context: Record<string, unknown>) => readConfig(new App({ context }).node)

  it('defaults every setting', () => {
    // Act
    const config = configFrom({})

    // Assess
    expect(config).toEqual(defaultConfig)
  })

  it('parses -c strings into lists, numbers and booleans', () => {
    // Act
    const config = configFrom({
      corsOrigins: 'https://a.example, https://b.example',
      ollamaInstanceType: 'g6.xlarge',
      apiRateLimit: '20',
      dbMultiAz: 'true',
      ollamaChatModel: 'llama3.1:8b',
      ollamaExtraModels: 'qwen2.5:7b, llama3.1:8b',
    })

    // Assess
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example'])
    expect(config.ollamaInstanceType).toBe('g6.xlarge')
    expect(config.apiRateLimit).toBe(20)
    expect(config.dbMultiAz).toBe(true)
    expect(ollamaModelsToPull(config)).toEqual(['nomic-embed-text', 'llama3.1:8b', 'qwen2.5:7b'])
  })

  it('rejects a wildcard CORS origin and nonsense numbers', () => {
    expect(() => configFrom({ corsOrigins: '*' })).toThrow(/corsOrigins/)
    expect(() => configFrom({ apiRateLimit: 'lots' })).toThrow(/apiRateLimit/)
  })

  it('reads the networks a WHMCS may be on, and refuses what is not a CIDR at synth time', () => {
    expect(configFrom({ whmcsAllowedNetworks: '10.0.0.0/8, 192.168.0.0/16' }).whmcsAllowedNetworks).toEqual([
      '10.0.0.0/8',
      '192.168.0.0/16',
    ])
    expect(() => configFrom({ whmcsAllowedNetworks: '10.0.0.1' })).toThrow(
      /whmcsAllowedNetworks.*WHMCS_ALLOWED_NETWORKS: "10.0.0.1" is not a CIDR/s,
    )
  })
})
