import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type App, Tags } from 'aws-cdk-lib'
import { readConfig } from './config.ts'
import { ApiStack } from './stacks/api-stack.ts'
import { ConsoleStack } from './stacks/console-stack.ts'
import { DataStack } from './stacks/data-stack.ts'
import { ModelStack } from './stacks/model-stack.ts'

/**
 * The repository root: where package-lock.json, functions/ and migrations/ live.
 * @internal
 */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url))

export interface DraftdeskOptions {
  /** Root that function entries are resolved against; tests point it at a tree of stub handlers. */
  projectRoot?: string
  /** The built console; `<projectRoot>/console/dist` unless given. */
  consoleDir?: string
}

/**
 * Adds the four Draftdesk stacks to `app`. The stacks are environment-agnostic (no account or region at
 * synth time, no lookups), so `cdk synth` works offline; `cdk deploy` takes both from the AWS profile.
 */
export function createDraftdesk(app: App, options: DraftdeskOptions = {}) {
  const config = readConfig(app.node)
  const prefix = config.stackPrefix
  const data = new DataStack(app, `${prefix}-Data`, {
    config,
    description: 'Draftdesk: network, PostgreSQL + RDS Proxy, secrets (stateful)',
    terminationProtection: config.dbDeletionProtection,
  })
  const model = new ModelStack(app, `${prefix}-Model`, {
    config,
    data,
    description: 'Draftdesk: GPU host serving Ollama inside the VPC',
  })
  const api = new ApiStack(app, `${prefix}-Api`, {
    config,
    data,
    projectRoot: options.projectRoot ?? repoRoot,
    description: 'Draftdesk: HTTP API, functions, queues, schedules, alarms (stateless)',
  })
  // Not a CloudFormation reference (functions use the model host's DNS name), but deploy the model host
  // first so the API's first requests find it being set up rather than missing.
  api.addStackDependency(model, 'functions call the model host by its DNS name')
  const web = new ConsoleStack(app, `${prefix}-Console`, {
    api: api.api,
    consoleDir: options.consoleDir ?? join(options.projectRoot ?? repoRoot, 'console', 'dist'),
    description: 'Draftdesk: the desk console (S3) and one CloudFront origin for it and the API',
  })
  Tags.of(app).add('app', 'draftdesk')
  return { config, data, model, api, web }
}
