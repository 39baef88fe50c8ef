import { isIP } from 'node:net'
import * as z from 'zod'

/**
 * Process configuration, parsed once from the environment with zod. A bad value fails fast with a message
 * naming the variable. Local mode fills the secrets from `./.data/secrets.json`; AWS mode reads them from
 * Secrets Manager by ARN (see shared/secrets.ts).
 */
const schema = z.object({
  DRAFTDESK_ENV: z.enum(['local', 'test', 'aws']).default('local'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /**
   * The address the local runtime listens on: loopback by default, so nothing is exposed by accident;
   * `0.0.0.0` (or a LAN address) when WHMCS on another machine, or a reverse proxy there, must reach it.
   */
  HOST: z
    .string()
    .default('127.0.0.1')
    .refine((h) => isIP(h) !== 0 || /^[a-z0-9.-]+$/i.test(h), 'an IP address or a host name'),
  DRAFTDESK_DATA_DIR: z.string().default('.data'),
  /** A PostgreSQL server (with pgvector) for the local runtime and `npm run migrate`; unset = embedded. */
  DATABASE_URL: z.string().optional(),
  /** Connections of the local runtime's pool on a DATABASE_URL server (PGlite always uses one). */
  DRAFTDESK_DB_POOL: z.coerce.number().int().min(2).max(200).default(10),
  /** Pollers per local queue, each handling one batch at a time (Lambda concurrency stand-in). */
  DRAFTDESK_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  DB_SECRET_ARN: z.string().optional(),
  DB_HOST: z.string().optional(),
  DB_NAME: z.string().default('draftdesk'),
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
  JWT_SECRET_ARN: z.string().optional(),
  JWT_ISSUER: z.string().default('draftdesk'),
  JWT_AUDIENCE: z.string().default('draftdesk-api'),
  JWT_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(8 * 3600),
  DATA_KEY: z.string().optional(),
  DATA_KEY_SECRET_ARN: z.string().optional(),
  /**
   * Operator settings, like RERANKER_URL below: trusted, so they may point anywhere (the model host is
   * private in AWS) and do not go through the SSRF guard of shared/http/outbound.ts, which is for URLs a
   * tenant can influence.
   */
  OLLAMA_HOST: z.string().url().optional(),
  OLLAMA_EMBED_MODEL: z.string().default('nomic-embed-text'),
  OLLAMA_CHAT_MODEL: z.string().default('qwen2.5:3b'),
  /** Per-request Ollama timeout in ms (provider defaults: 30 s embed, 60 s chat). */
  OLLAMA_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  /** Ollama retries after the first attempt, on transient failures (provider default 3). */
  OLLAMA_RETRIES: z.coerce.number().int().min(0).max(10).optional(),
  RERANKER_URL: z.string().url().optional(),
  /**
   * Networks a tenant's WHMCS URL may reach although they are not public: comma-separated CIDRs, e.g.
   * `10.0.0.0/8` for a WHMCS on the desk's LAN or `127.0.0.0/8` for one on this machine. Empty (the
   * default): public addresses only. Enforced on every connection by shared/http/outbound.ts.
   */
  WHMCS_ALLOWED_NETWORKS: z.string().default('').transform(cidrList),
  CORS_ORIGINS: z.string().default('*'),
  /**
   * The URL people and WHMCS reach Draftdesk at, e.g. `https://desk.example.com` behind a reverse proxy,
   * without a trailing slash: the WHMCS panel's *Review in Draftdesk* link (`<PUBLIC_URL>/app/tickets/<id>`;
   * unset, no link), the OpenAPI document's `servers` entry and the default target of `npm run kb:import`.
   * Unset: the request's own origin (OpenAPI) and `http://127.0.0.1:<PORT>` (kb:import).
   */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'an http(s) URL such as https://desk.example.com' })
    .refine((u) => !u.includes('?') && !u.includes('#'), 'no query string or fragment')
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
  DRAFTDESK_BOOTSTRAP_EMAIL: z.string().email().optional(),
  DRAFTDESK_BOOTSTRAP_PASSWORD: z.string().min(8).optional(),
  DRAFTDESK_BOOTSTRAP_TENANT: z.string().optional(),
  QUEUE_URL_EMBED: z.string().optional(),
  QUEUE_URL_DRAFT: z.string().optional(),
  QUEUE_URL_SYNC: z.string().optional(),
  QUEUE_URL_SEND: z.string().optional(),
  QUEUE_URL_CALIBRATE: z.string().optional(),
  /** The deploy-time migration function's SQL folder (CDK sets it; the default is beside the bundle). */
  MIGRATIONS_DIR: z.string().optional(),
  /** The generated first-superadmin secret the deploy-time migration reads on the very first deploy. */
  BOOTSTRAP_SECRET_ARN: z.string().optional(),
})

export type Config = z.infer<typeof schema>

/** The `npm run kb:import` CLI's own variables: defaults for its flags (local/kb-import.ts). */
const kbImportSchema = z.object({
  DRAFTDESK_URL: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
  DRAFTDESK_TENANT: z.string().optional(),
  DRAFTDESK_EMAIL: z.string().optional(),
  DRAFTDESK_PASSWORD: z.string().optional(),
  DRAFTDESK_API_KEY: z.string().optional(),
})

/** Parses the kb:import CLI's variables; throws a ConfigError naming every bad one. */
export function parseKbImportEnv(
  env: Record<string, string | undefined> = process.env,
): z.infer<typeof kbImportSchema> {
  return parseWith(kbImportSchema, env)
}

/** A comma-separated list of CIDRs; a bare address or a shorthand like `10/8` is refused, not guessed at. */
function cidrList(value: string, ctx: z.core.$RefinementCtx<string>): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const item of items) {
    // node:net rather than ipaddr.js here: every function parses config, few need address ranges.
    const [address = '', prefix = '', extra] = item.split('/')
    const family = address.includes('%') ? 0 : isIP(address)
    const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1
    if (family === 0 || extra !== undefined || bits < 0 || bits > (family === 4 ? 32 : 128)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${item}" is not a CIDR such as 10.0.0.0/8 or fd00::/8 (a single address is 10.1.2.3/32)`,
      })
    }
  }
  return items
}

class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * What the logger, metrics and tracer need when their modules load, before any handler has parsed the
 * full configuration (and in processes that never do, such as a worker that fails its cold start): a
 * few variables only, so that a bad value elsewhere cannot break logging. Parsed once, at first import.
 */
const processSchema = z.object({
  POWERTOOLS_SERVICE_NAME: z.string().default('draftdesk'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().default('Draftdesk'),
  LOG_LEVEL: schema.shape.LOG_LEVEL,
  /** Powertools' tracing switch: on unless `false` (and only inside Lambda, see `tracing`). */
  POWERTOOLS_TRACE_ENABLED: z.string().optional(),
  POWERTOOLS_METRICS_DISABLED: z.string().optional(),
  /** Set by Lambda in every function; absent locally. */
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
  AWS_EXECUTION_ENV: z.string().optional(),
  AWS_SAM_LOCAL: z.string().optional(),
})

/** The parsed {@link processSchema}, plus the two facts derived from it. */
interface ProcessEnv {
  serviceName: string
  metricsNamespace: string
  logLevel: Config['LOG_LEVEL']
  /** Powertools' own rule for tracing: inside Lambda (not SAM local), unless turned off. */
  tracing: boolean
}

function readProcessEnv(env: Record<string, string | undefined>): ProcessEnv {
  const e = parseWith(processSchema, env)
  // Powertools' Metrics reads its documented switch from the environment itself (no option for it):
  // outside Lambda (`npm start`, tests, benchmarks) metrics are off unless someone chose, so the local
  // log stays readable.
  if (!e.AWS_LAMBDA_FUNCTION_NAME && e.POWERTOOLS_METRICS_DISABLED === undefined)
    process.env.POWERTOOLS_METRICS_DISABLED = 'true'
  return {
    serviceName: e.POWERTOOLS_SERVICE_NAME,
    metricsNamespace: e.POWERTOOLS_METRICS_NAMESPACE,
    logLevel: e.LOG_LEVEL,
    tracing:
      Boolean(e.AWS_EXECUTION_ENV) &&
      !e.AWS_SAM_LOCAL &&
      e.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false',
  }
}

/** The process environment the logger and observability modules read at load (shared/logger.ts). */
export const processEnv: ProcessEnv = readProcessEnv(process.env)

/**
 * The environment of this process with `overrides` on top: what the local runtime parses its
 * configuration from (`startRuntime({ env })`, so tests and tools can set variables per runtime).
 */
export function environmentWith(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return { ...process.env, ...overrides }
}

/** Parses `env`; throws a ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseWith(schema, env)
}

function parseWith<S extends z.ZodType>(s: S, env: Record<string, string | undefined>): z.output<S> {
  // An empty variable means "unset" (`OLLAMA_HOST= npm start`), as shells and .env files intend.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const result = s.safeParse(present)
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`)
  }
  return result.data
}
