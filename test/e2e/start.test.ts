import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSql } from '#shared/db/sql'
import { DataDirInUseError } from '../../local/data-lock.ts'
import { startRuntime } from '../../local/runtime.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'

const ROOT = join(import.meta.dirname, '..', '..')

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

interface Started {
  child: ChildProcess
  output: () => string
  url: string
}

/**
 * Runs `npm start`'s entry point exactly as a user would, and waits for its banner (the test's timeout
 * bounds the wait). On the server leg the data goes to `databaseUrl`, on PGlite to `dataDir`.
 */
async function start(dataDir: string, port: number, databaseUrl: string | undefined): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl ?? '',
      DRAFTDESK_DATA_DIR: dataDir,
      PORT: String(port),
      OLLAMA_HOST: '',
      LOG_LEVEL: 'WARN',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => {
    out += d
  })
  child.stderr!.on('data', (d) => {
    out += d
  })
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /running at (http:\/\/\S+)/.exec(out)
      if (m) resolve(m[1]!)
    }
    child.stdout!.on('data', check)
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)))
  })
  return { child, output: () => out, url }
}

/** Starts `npm start`'s entry point and waits until it is up or has exited: a refused start resolves too. */
async function attempt(
  dataDir: string,
  port: number,
): Promise<Started | { code: number | null; out: string }> {
  return start(dataDir, port, undefined).catch((error: Error) => {
    const m = /^exited with (\S+):\n([\s\S]*)$/.exec(error.message)
    if (!m) throw error
    return { code: m[1] === 'null' ? null : Number(m[1]), out: m[2]! }
  })
}

async function stop(s: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => s.child.on('exit', (code) => resolve(code)))
  s.child.kill('SIGINT')
  return exited
}

describe('npm start (local/main.ts)', () => {
  let dir: string
  let database: TestDatabase
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'draftdesk-start-'))
    database = await createTestDatabase({ empty: true })
  })
  afterAll(async () => {
    await database?.drop()
    await rm(dir, { recursive: true, force: true })
  })

  it('answers /health, prints the bootstrap login once, stops cleanly on Ctrl-C and keeps data', async () => {
    // Act: first start (on the server leg, into an empty database: the start migrates it)
    const port = await freePort()
    const first = await start(dir, port, database.url)
    const health = await fetch(`${first.url}/health`)
    // Assess
    expect(health.status).toBe(200)
    expect(((await health.json()) as { db?: string }).db).toBe('ok')
    const password = /password: (\S+)/.exec(first.output())?.[1]
    expect(password).toBeTruthy()
    const login = await fetch(`${first.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'draftdesk', email: 'admin@draftdesk.local', password }),
    })
    expect(login.status).toBe(200)
    const { token } = (await login.json()) as { token: string }
    const created = await fetch(`${first.url}/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ subject: 'Survives restarts', content: 'hello' }),
    })
    expect(created.status).toBe(201)
    expect(await stop(first)).toBe(0)
    if (database.url) {
      // Server leg: the ticket is in that server, not in a PGlite directory.
      const sql = createSql(database.url)
      const rows = await sql`SELECT subject FROM tickets`.finally(() => sql.end())
      expect(rows.map((r) => r.subject)).toEqual(['Survives restarts'])
      expect(await readdir(dir)).toEqual(['secrets.json'])
    }

    // Act: second start on the same data
    const second = await start(dir, port, database.url)
    try {
      // Assess: no new bootstrap account, same signing key (old token valid), the ticket is still there.
      expect(second.output()).not.toContain('First start')
      const list = await fetch(`${second.url}/tickets?q=Survives`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(list.status).toBe(200)
      const body = (await list.json()) as { items: { subject: string }[] }
      expect(body.items.map((t) => t.subject)).toEqual(['Survives restarts'])
    } finally {
      expect(await stop(second)).toBe(0)
    }
  }, 90_000)

  // Embedded engine on both legs: the lock guards a PGlite data directory (a server coordinates itself).
  it('refuses a second start on the same PGlite data directory, and starts again once the first has gone', async () => {
    // Prepare
    const pgliteDir = await mkdtemp(join(tmpdir(), 'draftdesk-lock-'))
    let first: Started | undefined
    let third: Started | undefined
    try {
      first = await start(pgliteDir, await freePort(), undefined)
      // Act
      const second = await attempt(pgliteDir, await freePort())
      if ('child' in second) second.child.kill('SIGKILL') // it should not have started; do not leave it
      // Assess: refused with a clear message naming the holder, before touching the database.
      expect('code' in second ? second.code : 'started').toBe(1)
      const refusal = 'out' in second ? second.out : ''
      expect(refusal).toContain(`another Draftdesk process is already using the data directory ${pgliteDir}`)
      expect(refusal).toContain(`(pid ${first.child.pid})`)
      expect(refusal).toMatch(/stop it first or set DRAFTDESK_DATA_DIR/)
      expect((await fetch(`${first.url}/health`)).status).toBe(200)
      // `npm run migrate` opens the same directory: refused too.
      const migrate = spawnSync(process.execPath, ['--import', 'tsx', 'local/migrate.ts'], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: '', DRAFTDESK_DATA_DIR: pgliteDir },
        encoding: 'utf8',
      })
      expect(migrate.status).toBe(1)
      expect(migrate.stderr).toContain(
        `already using the data directory ${pgliteDir} (pid ${first.child.pid})`,
      )

      // Act: the holder dies without any chance to clean up; the kernel drops its lock.
      const died = new Promise((resolve) => first!.child.on('exit', resolve))
      first.child.kill('SIGKILL')
      await died
      third = await start(pgliteDir, await freePort(), undefined)
      // Assess
      expect((await fetch(`${third.url}/health`)).status).toBe(200)

      // Act: after a clean stop, the runtime itself (no child) takes the directory, and holds it.
      expect(await stop(third)).toBe(0)
      third = undefined
      const env = { DATABASE_URL: '', OLLAMA_HOST: '', LOG_LEVEL: 'SILENT' }
      const rt = await startRuntime({ dataDir: pgliteDir, port: 0, workers: false, env })
      try {
        // Assess
        await expect(startRuntime({ dataDir: pgliteDir, port: 0, workers: false, env })).rejects.toThrow(
          DataDirInUseError,
        )
        expect((await fetch(`${rt.url}/health`)).status).toBe(200)
      } finally {
        await rt.stop()
      }
    } finally {
      if (third) expect(await stop(third)).toBe(0)
      if (first?.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL')
      await rm(pgliteDir, { recursive: true, force: true })
    }
  }, 120_000)
})
