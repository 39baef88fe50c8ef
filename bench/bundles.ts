/**
 * Bundle size and cold module-load time of every Lambda (issue 7).
 *
 * Each route, worker and schedule handler (and the migration function) is bundled with esbuild using the
 * very settings of `DraftdeskFunction` (infra/bundling.ts: minified ESM for node22, AWS SDK external, the
 * createRequire banner, external source maps), then imported by 10 fresh `node` processes with the
 * runtime's NODE_OPTIONS. The p50 of the import time approximates the INIT phase our code adds to a cold
 * start (Node's own start-up is not counted; the AWS SDK modules a bundle imports are, as in Lambda).
 *
 *   npm run bench:bundles                 # table; budget breaches flagged
 *   npm run bench:bundles -- --strict     # exit 1 on any breach
 *   npm run bench:bundles -- --runs 20 --json bench-bundles.json
 *   npm run bench:bundles -- --tracing    # as with X-Ray active: the Tracer (and its SDK) loads at init
 *
 * Module initialisation must not touch the network: the environment below points every endpoint at
 * nothing, supplies dummy AWS credentials and turns tracing off (unless `--tracing`), so a handler that
 * connects at import time fails or stalls visibly here instead of hiding in the numbers.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { queues, routes, schedules } from '#shared/routes'
import { budgets, bundleTarget, esmBanner, externalModules, mainFields } from '../infra/bundling.ts'

const repoRoot = resolve(import.meta.dirname, '..')

interface Args {
  runs: number
  strict: boolean
  json: string | undefined
  sourceMaps: boolean
  tracing: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 10, strict: false, json: undefined, sourceMaps: true, tracing: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--strict') args.strict = true
    else if (a === '--no-source-maps') args.sourceMaps = false
    else if (a === '--tracing') args.tracing = true
    else if (a === '--runs') args.runs = Number(argv[++i])
    else if (a === '--json') args.json = argv[++i]
    else throw new Error(`unknown argument ${a}`)
  }
  if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error('--runs must be a positive integer')
  return args
}

interface Entry {
  kind: 'http' | 'worker' | 'schedule' | 'deploy'
  module: string
}

const entries: Entry[] = [
  ...routes.map((r) => ({ kind: 'http' as const, module: r.handler })),
  ...queues.map((q) => ({ kind: 'worker' as const, module: q.worker })),
  ...schedules.map((s) => ({ kind: 'schedule' as const, module: s.handler })),
  { kind: 'deploy', module: 'functions/deploy/migrate' },
]

/** What a deployed function sees, minus anything reachable: module init must work offline. */
const benchEnv = (sourceMaps: boolean, tracing: boolean): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_OPTIONS: sourceMaps ? '--enable-source-maps' : '',
  DRAFTDESK_ENV: 'aws',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_LAMBDA_FUNCTION_NAME: 'draftdesk-bench',
  POWERTOOLS_SERVICE_NAME: 'draftdesk',
  POWERTOOLS_METRICS_NAMESPACE: 'Draftdesk',
  POWERTOOLS_TRACE_ENABLED: String(tracing),
  // What Lambda sets: Powertools traces only where AWS_EXECUTION_ENV says it runs in Lambda.
  ...(tracing ? { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', LAMBDA_TASK_ROOT: '/var/task' } : {}),
  POWERTOOLS_DEV: 'false',
  LOG_LEVEL: 'ERROR',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-db',
  DB_HOST: '127.0.0.1',
  DB_NAME: 'draftdesk',
  JWT_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-jwt',
  DATA_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-key',
  // Port 9 (discard) on loopback: nothing listens, so an eager connection fails at once.
  OLLAMA_HOST: 'http://127.0.0.1:9',
  QUEUE_URL_EMBED: 'http://127.0.0.1:9/000000000000/embed',
  QUEUE_URL_DRAFT: 'http://127.0.0.1:9/000000000000/draft',
  QUEUE_URL_SYNC: 'http://127.0.0.1:9/000000000000/sync',
  QUEUE_URL_SEND: 'http://127.0.0.1:9/000000000000/send',
  QUEUE_URL_CALIBRATE: 'http://127.0.0.1:9/000000000000/calibrate',
  CORS_ORIGINS: 'https://desk.example.com',
})

/** Child program: import the bundle once and print how long it took, in milliseconds. */
const loader = `
const started = performance.now()
const mod = await import(process.argv[2])
const elapsed = performance.now() - started
if (typeof mod.handler !== 'function') { console.error('bundle exports no handler function'); process.exit(3) }
process.stdout.write(String(elapsed))
process.exit(0)
`

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

interface Result {
  name: string
  kind: Entry['kind']
  sizeKiB: number
  loadP50Ms: number | null
  /** Fastest run: the floor when the machine is busy and the median drifts up. */
  loadMinMs: number | null
  error?: string
  flags: string[]
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const work = mkdtempSync(join(tmpdir(), 'draftdesk-bundles-'))
  // The runtime provides the AWS SDK; locally it comes from the project's node_modules. Only @aws-sdk is
  // linked, so a bundle that forgot to inline any other dependency fails to load here as it would in AWS.
  mkdirSync(join(work, 'node_modules'))
  const sdk = join(repoRoot, 'node_modules', '@aws-sdk')
  if (existsSync(sdk)) symlinkSync(sdk, join(work, 'node_modules', '@aws-sdk'), 'dir')
  const loaderFile = join(work, 'load.mjs')
  writeFileSync(loaderFile, loader)

  const results: Result[] = []
  const missing: string[] = []
  try {
    for (const entry of entries) {
      const source = join(repoRoot, `${entry.module}.ts`)
      if (!existsSync(source)) {
        missing.push(entry.module)
        continue
      }
      const name = entry.module.slice(entry.module.lastIndexOf('/') + 1)
      const outdir = join(work, entry.kind, name)
      const outfile = join(outdir, 'index.mjs')
      const result: Result = {
        name,
        kind: entry.kind,
        sizeKiB: 0,
        loadP50Ms: null,
        loadMinMs: null,
        flags: [],
      }
      results.push(result)
      try {
        await build({
          entryPoints: [source],
          outfile,
          bundle: true,
          platform: 'node',
          target: bundleTarget,
          format: 'esm',
          minify: true,
          sourcemap: true,
          sourcesContent: false,
          mainFields,
          banner: { js: esmBanner },
          external: externalModules,
          absWorkingDir: repoRoot,
          logLevel: 'silent',
        })
      } catch (error) {
        // esbuild's BuildFailure carries structured messages; the first one names file and line.
        const first = (error as { errors?: { text: string; location?: { file: string; line: number } }[] })
          .errors?.[0]
        const where = first?.location ? ` (${first.location.file}:${first.location.line})` : ''
        result.error = `bundle failed: ${first?.text ?? (error as Error).message}${where}`
        result.flags.push('ERROR')
        continue
      }
      result.sizeKiB = statSync(outfile).size / 1024

      const times: number[] = []
      for (let run = 0; run < args.runs; run++) {
        const child = spawnSync(process.execPath, [loaderFile, pathToFileURL(outfile).href], {
          cwd: outdir,
          env: benchEnv(args.sourceMaps, args.tracing),
          encoding: 'utf8',
          // A module that hangs at import (waiting on a socket) is a finding, not a reason to wait forever.
          timeout: 10_000,
        })
        const ms = Number(child.stdout)
        if (child.status !== 0 || !Number.isFinite(ms)) {
          const lastLine = child.stderr.trim().split('\n').slice(-1)[0]
          const why = child.error?.message ?? (lastLine || `exit ${child.status}`)
          result.error = `load failed: ${why}`
          break
        }
        times.push(ms)
      }
      if (times.length === args.runs) {
        result.loadP50Ms = median(times)
        result.loadMinMs = Math.min(...times)
      }
      if (result.sizeKiB > budgets.maxBundleKiB) result.flags.push(`> ${budgets.maxBundleKiB} KB`)
      if (result.loadP50Ms !== null && result.loadP50Ms > budgets.maxLoadMs)
        result.flags.push(`> ${budgets.maxLoadMs} ms`)
      if (result.error) result.flags.push('ERROR')
      process.stderr.write('.')
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  process.stderr.write('\n')

  console.log(
    `Lambda bundles: minified ESM for ${bundleTarget}, @aws-sdk external; load = p50 of ${args.runs} fresh node ${process.version} processes` +
      `${args.sourceMaps ? ' with --enable-source-maps' : ''}${args.tracing ? ', tracing on' : ''}. Budget: ${budgets.maxBundleKiB} KB, ${budgets.maxLoadMs} ms.\n`,
  )
  console.log('| function | kind | size (KB) | load p50 (ms) | load min (ms) | over budget |')
  console.log('|---|---|---:|---:|---:|---|')
  const ms = (v: number | null) => (v === null ? '—' : v.toFixed(1))
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.kind} | ${r.sizeKiB.toFixed(1)} | ${ms(r.loadP50Ms)} | ${ms(r.loadMinMs)} | ${r.flags.join(', ')} |`,
    )
  }
  const errors = results.filter((r) => r.error)
  for (const r of errors) console.log(`\n${r.kind}/${r.name}: ${r.error}`)
  if (missing.length > 0) {
    console.log(`\nSkipped ${missing.length} handler(s) not written yet: ${missing.join(', ')}`)
  }
  const measured = results.filter((r) => r.loadP50Ms !== null)
  if (measured.length > 0) {
    const sizes = measured.map((r) => r.sizeKiB)
    const loads = measured.map((r) => r.loadP50Ms!)
    console.log(
      `\n${measured.length} measured: size median ${median(sizes).toFixed(1)} KB (max ${Math.max(...sizes).toFixed(1)}), ` +
        `load median ${median(loads).toFixed(1)} ms (max ${Math.max(...loads).toFixed(1)})`,
    )
  }
  const breaches = results.filter((r) => r.flags.length > 0)
  console.log(breaches.length === 0 ? 'All within budget.' : `${breaches.length} over budget or failing.`)

  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify({ budgets, runs: args.runs, results, missing }, null, 2)}\n`)
  }
  if (args.strict && breaches.length > 0) process.exitCode = 1
}

await main()
