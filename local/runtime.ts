import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { selectProvider } from '#shared/ai/select'
import { type Config, environmentWith, parseConfig } from '#shared/config'
import { type Deps, setDeps } from '#shared/deps'
import { seedDefaults } from '#shared/drafts/defaults'
import { bootstrapSuperadmin } from '#shared/identity/bootstrap'
import { logger, providerLogger } from '#shared/logger'
import { queues as queueDefs, routes, schedules } from '#shared/routes'
import { migrate } from '../migrations/runner.ts'
import { CONSOLE_DIST } from './console-build.ts'
import { consoleHandler } from './console-static.ts'
import { lockDataDir } from './data-lock.ts'
import { type LocalDb, openDb } from './db.ts'
import { type LocalQueueOptions, LocalQueues } from './queues.ts'
import { startScheduler } from './scheduler.ts'
import { loadLocalSecrets } from './secrets.ts'
import { createApiServer } from './server.ts'

const ROOT = join(import.meta.dirname, '..')

/** Handlers imported so far, by module path: one import each, not one per request or batch. */
const loaded = new Map<string, Promise<unknown>>()

/**
 * Imports a handler module by its route-table path and returns its `handler` export. The promise is
 * kept: a dynamic `import()` of an already loaded module still goes through the loader's resolve hooks
 * (tsx's, here), which costs every request a few hundred microseconds of the one event loop.
 */
function loadHandler<T>(modulePath: string): Promise<T> {
  let handler = loaded.get(modulePath)
  if (!handler) {
    handler = import(pathToFileURL(join(ROOT, `${modulePath}.ts`)).href).then((mod: { handler?: T }) => {
      if (!mod.handler) throw new Error(`${modulePath}.ts does not export handler`)
      return mod.handler
    })
    // A failed import is retried next time rather than remembered.
    handler.catch(() => loaded.delete(modulePath))
    loaded.set(modulePath, handler)
  }
  return handler as Promise<T>
}

export interface RuntimeOptions {
  /**
   * Where local secrets and the embedded database live; `null` keeps everything in memory (tests). With
   * DATABASE_URL the data is in that server and only the secrets are here.
   */
  dataDir: string | null
  port?: number
  /** Extra environment (over the process environment) for config parsing. */
  env?: Record<string, string | undefined>
  queue?: LocalQueueOptions
  /** Start queue pollers and schedules (default true). */
  workers?: boolean
  /** The built console served under /app/ (default console/dist). */
  consoleDir?: string
}

export interface Runtime {
  url: string
  deps: Deps
  db: LocalDb
  queues: LocalQueues
  /** The first superadmin, when this start created it (printed once by local/main.ts). */
  bootstrap:
    | (NonNullable<Awaited<ReturnType<typeof bootstrapSuperadmin>>> & {
        password: string
        generated: boolean
      })
    | null
  stop(): Promise<void>
}

/**
 * Starts Draftdesk on one machine: embedded Postgres + pgvector (or the PostgreSQL server in DATABASE_URL),
 * migrations, the AI provider, durable local queues, schedules and the HTTP server, all wired to the same
 * handlers that run in Lambda.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const started = performance.now()
  const config = parseConfig(environmentWith(options.env))
  logger.setLogLevel(config.LOG_LEVEL)
  // Only an embedded database needs it: processes sharing a server coordinate through advisory locks.
  const lock = options.dataDir && !config.DATABASE_URL ? lockDataDir(options.dataDir) : undefined
  const { secrets, db } = await (async () => ({
    secrets: options.dataDir
      ? await loadLocalSecrets(options.dataDir)
      : { jwtSecret: randomBytes(48).toString('base64url'), dataKey: randomBytes(32).toString('base64') },
    db: await openDb({
      databaseUrl: config.DATABASE_URL,
      dataDir: options.dataDir ? join(options.dataDir, 'pg') : undefined,
      pool: config.DRAFTDESK_DB_POOL,
    }),
  }))().catch((error: unknown) => {
    lock?.release()
    throw error
  })
  try {
    const jwtKey = new TextEncoder().encode(config.JWT_SECRET ?? secrets.jwtSecret)
    const dataKey = Buffer.from(config.DATA_KEY ?? secrets.dataKey, 'base64')
    const queues = new LocalQueues(db.sql, queueDefs, (def) => loadHandler(def.worker), {
      concurrency: config.DRAFTDESK_WORKER_CONCURRENCY,
      ...options.queue,
      ...(db.session ? { session: db.session } : {}),
    })
    const bootstrap = await prepareDatabase(db, queues, config, dataKey)
    const ai = await selectProvider(providerOptions(config), providerLogger)
    const deps: Deps = { config, sql: db.sql, queue: queues, ai, jwtKey, dataKey, now: () => new Date() }
    setDeps(deps)

    const serveConsole = consoleHandler(options.consoleDir ?? CONSOLE_DIST)
    const server = createApiServer(
      routes,
      (def) => loadHandler(def.handler),
      config.CORS_ORIGINS,
      serveConsole,
    )
    const url = await listen(server, options.port ?? config.PORT, config.HOST)
    const workers = options.workers ?? true
    const scheduler = workers ? startScheduler(schedules, (def) => loadHandler(def.handler)) : undefined
    if (workers) queues.start()
    logger.info('draftdesk is up', {
      url,
      provider: ai.name,
      database: db.engine,
      startMs: Math.round(performance.now() - started),
    })

    return {
      url,
      deps,
      db,
      queues,
      bootstrap,
      async stop() {
        // Order matters: stop taking requests, let running jobs finish, then flush the database to disk.
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
        await scheduler?.stop()
        await queues.stop()
        setDeps(undefined)
        await db.close()
        lock?.release()
      },
    }
  } catch (error) {
    await db.close().catch(() => {})
    lock?.release()
    throw error
  }
}

/** The AI provider's settings from the parsed config. */
const providerOptions = (config: Config) => ({
  ollamaHost: config.OLLAMA_HOST,
  embedModel: config.OLLAMA_EMBED_MODEL,
  chatModel: config.OLLAMA_CHAT_MODEL,
  timeoutMs: config.OLLAMA_TIMEOUT_MS,
  retries: config.OLLAMA_RETRIES,
})

/**
 * Listens on `host` (HOST: loopback unless the operator opens it) and returns the URL this machine reaches
 * it at: a wildcard address listens on loopback too.
 */
async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const local =
    host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host
  return `http://${local}:${(server.address() as AddressInfo).port}`
}

/**
 * Migrations, seeds, the queue table and, on the first start, the superadmin (returned with its password
 * for local/main.ts to print once). Processes sharing a server start one at a time: each of these is
 * checked then created, which two concurrent starts would both do.
 */
async function prepareDatabase(db: LocalDb, queues: LocalQueues, config: Config, dataKey: Buffer) {
  const password = config.DRAFTDESK_BOOTSTRAP_PASSWORD ?? randomBytes(12).toString('base64url')
  const created = await withStartupLock(db, async () => {
    const applied = await migrate(db.sql)
    if (applied.length) logger.info('migrations applied', { applied })
    await seedDefaults(db.sql)
    await queues.init()
    return bootstrapSuperadmin(db.sql, dataKey, {
      tenant: config.DRAFTDESK_BOOTSTRAP_TENANT ?? 'draftdesk',
      email: config.DRAFTDESK_BOOTSTRAP_EMAIL ?? 'admin@draftdesk.local',
      password,
    })
  })
  return created && { ...created, password, generated: !config.DRAFTDESK_BOOTSTRAP_PASSWORD }
}

const STARTUP_LOCK = 'draftdesk:startup'

/** Runs `fn` holding the startup lock on a shared server; on PGlite the data-directory lock is enough. */
async function withStartupLock<T>(db: LocalDb, fn: () => Promise<T>): Promise<T> {
  const session = db.session
  if (!session) return fn()
  await session`SELECT pg_advisory_lock(hashtext(${STARTUP_LOCK}))`
  try {
    return await fn()
  } finally {
    await session`SELECT pg_advisory_unlock(hashtext(${STARTUP_LOCK}))`
  }
}
