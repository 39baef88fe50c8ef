import { resolve } from 'node:path'
import { parseConfig } from '#shared/config'
import { ensureConsoleBuilt } from './console-build.ts'
import { startRuntime } from './runtime.ts'

/** `npm start`: the whole product on one machine. Ctrl-C stops it cleanly. */
async function main() {
  const config = parseConfig()
  const dataDir = resolve(config.DRAFTDESK_DATA_DIR)
  // The API runs without the console, so a failed build is said loudly but does not stop the start.
  await ensureConsoleBuilt((m) => process.stdout.write(`  ${m}\n`)).catch((error: unknown) => {
    process.stderr.write(`  the console could not be built: ${(error as Error).message}\n`)
  })
  const runtime = await startRuntime({ dataDir })
  const b = runtime.bootstrap
  const data = config.DATABASE_URL ? `${redactUrl(config.DATABASE_URL)}, secrets in ${dataDir}` : dataDir
  const lines = [
    '',
    `  Draftdesk is running at ${runtime.url}  (data: ${data}, AI provider: ${runtime.deps.ai.name})`,
    `  Console: ${config.PUBLIC_URL ?? runtime.url}/app/`,
    ...(b
      ? [
          '',
          '  First start: created the bootstrap superadmin (shown once, keep it):',
          `    tenant:   ${b.tenant}`,
          `    email:    ${b.email}`,
          `    password: ${b.generated ? b.password : '(from DRAFTDESK_BOOTSTRAP_PASSWORD)'}`,
          `    webhook secret of tenant ${b.tenant}: ${b.webhookSecret}`,
        ]
      : []),
    '',
    whmcsNetworks(config.WHMCS_ALLOWED_NETWORKS),
    '',
    `  Try: curl ${runtime.url}/health`,
    '',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    process.stdout.write(`\n${signal}: finishing running jobs and flushing the database…\n`)
    await runtime.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
}

/**
 * The SSRF guard refuses a WHMCS on a private address unless allowed; a desk running Draftdesk next to its
 * WHMCS (same machine or LAN) would otherwise only find out from a failed sync.
 */
function whmcsNetworks(allowed: readonly string[]): string {
  return allowed.length > 0
    ? `  WHMCS may also be on: ${allowed.join(', ')} (WHMCS_ALLOWED_NETWORKS)`
    : '  WHMCS must be on a public address. For one on this machine or your LAN, set\n' +
        '  WHMCS_ALLOWED_NETWORKS, e.g. WHMCS_ALLOWED_NETWORKS=192.168.0.0/16 (or 127.0.0.0/8,::1/128).'
}

/** The URL without its password, for the banner. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'DATABASE_URL'
  }
}

main().catch((error) => {
  process.stderr.write(
    `draftdesk failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  )
  process.exit(1)
})
