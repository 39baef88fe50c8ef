import type { Node } from 'constructs'
import { parseConfig } from '../shared/config.ts'

/**
 * Deployment settings, read from CDK context (`cdk.json` or `-c key=value`). Every value has a default
 * so `cdk synth` works with no context at all; `-c` values arrive as strings and are parsed here.
 */
export interface DeployConfig {
  /** Prefix of the three stack names, e.g. `Draftdesk` → `Draftdesk-Data`; lets staging and prod share an account. */
  stackPrefix: string
  /** Browser origins allowed by CORS; empty means no CORS headers at all (API clients only). */
  corsOrigins: string[]
  /**
   * PUBLIC_URL of the functions: where people reach the console and API, e.g. `https://desk.example.com`
   * (a domain pointed at the CloudFront distribution) or the `ConsoleUrl` output without `/app/` after the
   * first deploy. Unset: the WHMCS panel shows no *Review in Draftdesk* link.
   */
  publicUrl: string | undefined
  /** Steady-state requests per second across the API, and the burst above it. */
  apiRateLimit: number
  apiBurstLimit: number
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'
  logRetentionDays: number
  /** Email address subscribed to the alarm topic; unset means subscribe yourself later. */
  alarmEmail: string | undefined
  /** Email of the first superadmin, created on the first deploy (its password is generated into a secret). */
  adminEmail: string

  dbInstanceType: string
  dbAllocatedStorageGiB: number
  dbMaxAllocatedStorageGiB: number
  dbMultiAz: boolean
  dbBackupRetentionDays: number
  /** Off only for throwaway environments: with it on, `cdk destroy` cannot drop the database. */
  dbDeletionProtection: boolean

  ollamaInstanceType: string
  /** SSM public parameter holding the GPU AMI id, resolved by CloudFormation at deploy time. */
  ollamaAmiParameter: string
  /** Pins the AMI; without it a new DLAMI release replaces the model host on the next deploy. */
  ollamaAmiId: string | undefined
  /** OLLAMA_EMBED_MODEL: 768-dimensional, to match the `vector(768)` column. */
  ollamaEmbedModel: string
  /** OLLAMA_CHAT_MODEL: the default drafting model. */
  ollamaChatModel: string
  /** Further models to pull, e.g. those named by prompt versions that override the chat model. */
  ollamaExtraModels: string[]
  ollamaVolumeGiB: number
  /** Optional cross-encoder endpoint (RERANKER_URL). */
  rerankerUrl: string | undefined
  /**
   * WHMCS_ALLOWED_NETWORKS: private networks (CIDRs) a tenant's WHMCS URL may reach, e.g. a WHMCS inside
   * the VPC or behind a VPN. Empty: WHMCS must be on a public address.
   */
  whmcsAllowedNetworks: string[]
}

/** @internal */
export const defaultConfig: DeployConfig = {
  stackPrefix: 'Draftdesk',
  corsOrigins: [],
  publicUrl: undefined,
  apiRateLimit: 50,
  apiBurstLimit: 100,
  logLevel: 'INFO',
  logRetentionDays: 30,
  alarmEmail: undefined,
  adminEmail: 'admin@draftdesk.local',

  dbInstanceType: 't4g.medium',
  dbAllocatedStorageGiB: 20,
  dbMaxAllocatedStorageGiB: 100,
  dbMultiAz: false,
  dbBackupRetentionDays: 7,
  dbDeletionProtection: true,

  ollamaInstanceType: 'g5.xlarge',
  // Deep Learning Base OSS Nvidia Driver GPU AMI (Amazon Linux 2023): NVIDIA driver and CUDA preinstalled.
  ollamaAmiParameter:
    '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id',
  ollamaAmiId: undefined,
  ollamaEmbedModel: 'nomic-embed-text',
  ollamaChatModel: 'qwen2.5:3b',
  ollamaExtraModels: [],
  ollamaVolumeGiB: 50,
  rerankerUrl: undefined,
  whmcsAllowedNetworks: [],
}

const list = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.map(String).filter(Boolean)
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

const num = (key: string, value: unknown): number => {
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`CDK context "${key}" must be a positive number, got ${value}`)
  return n
}

const bool = (key: string, value: unknown): boolean => {
  if (typeof value === 'boolean') return value
  if (value === 'true') return true
  if (value === 'false') return false
  throw new Error(`CDK context "${key}" must be true or false, got ${value}`)
}

const logLevels = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const

/** Reads every setting from the construct tree's context, falling back to {@link defaultConfig}. */
export function readConfig(node: Node): DeployConfig {
  const get = (key: keyof DeployConfig): unknown => node.tryGetContext(key)
  const config: DeployConfig = { ...defaultConfig }
  const str = (key: keyof DeployConfig): string | undefined => {
    const v = get(key)
    return v === undefined || v === null || v === '' ? undefined : String(v)
  }

  config.stackPrefix = str('stackPrefix') ?? config.stackPrefix
  if (get('corsOrigins') !== undefined) config.corsOrigins = list(get('corsOrigins'))
  for (const key of [
    'apiRateLimit',
    'apiBurstLimit',
    'logRetentionDays',
    'dbAllocatedStorageGiB',
    'dbMaxAllocatedStorageGiB',
    'dbBackupRetentionDays',
    'ollamaVolumeGiB',
  ] as const) {
    if (get(key) !== undefined) config[key] = num(key, get(key))
  }
  for (const key of ['dbMultiAz', 'dbDeletionProtection'] as const) {
    if (get(key) !== undefined) config[key] = bool(key, get(key))
  }
  const level = str('logLevel')?.toUpperCase()
  if (level !== undefined) {
    if (!(logLevels as readonly string[]).includes(level))
      throw new Error(`CDK context "logLevel" must be one of ${logLevels.join(', ')}, got ${level}`)
    config.logLevel = level as DeployConfig['logLevel']
  }
  config.alarmEmail = str('alarmEmail')
  config.adminEmail = str('adminEmail') ?? config.adminEmail
  config.dbInstanceType = str('dbInstanceType') ?? config.dbInstanceType
  config.ollamaInstanceType = str('ollamaInstanceType') ?? config.ollamaInstanceType
  config.ollamaAmiParameter = str('ollamaAmiParameter') ?? config.ollamaAmiParameter
  config.ollamaAmiId = str('ollamaAmiId')
  config.ollamaEmbedModel = str('ollamaEmbedModel') ?? config.ollamaEmbedModel
  config.ollamaChatModel = str('ollamaChatModel') ?? config.ollamaChatModel
  if (get('ollamaExtraModels') !== undefined) config.ollamaExtraModels = list(get('ollamaExtraModels'))
  config.rerankerUrl = str('rerankerUrl')
  config.publicUrl = str('publicUrl')
  if (config.publicUrl !== undefined) {
    try {
      config.publicUrl = parseConfig({ PUBLIC_URL: config.publicUrl }).PUBLIC_URL
    } catch (error) {
      throw new Error(`CDK context "publicUrl": ${(error as Error).message}`)
    }
  }
  if (get('whmcsAllowedNetworks') !== undefined) {
    config.whmcsAllowedNetworks = list(get('whmcsAllowedNetworks'))
    // The functions would refuse to start on a bad CIDR; say so at synth time instead.
    try {
      parseConfig({ WHMCS_ALLOWED_NETWORKS: config.whmcsAllowedNetworks.join(',') })
    } catch (error) {
      throw new Error(`CDK context "whmcsAllowedNetworks": ${(error as Error).message}`)
    }
  }

  for (const origin of config.corsOrigins) {
    // A wildcard would let any site drive an agent's browser session against the API.
    if (origin === '*') throw new Error('CDK context "corsOrigins" must list origins; "*" is not allowed')
  }
  return config
}

/** Every model the host must have: the two the functions use, then any extras, without duplicates. */
export const ollamaModelsToPull = (config: DeployConfig): string[] => [
  ...new Set([config.ollamaEmbedModel, config.ollamaChatModel, ...config.ollamaExtraModels]),
]
