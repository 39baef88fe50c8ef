import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

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
  startMs: number
}

/** Runs `npm start`'s entry point exactly as a user would, and waits for its banner. */
async function start(dataDir: string, port: number): Promise<Started> {
  const t0 = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
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
    const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${out}`)), 30_000)
    const check = () => {
      const m = /running at (http:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    }
    child.stdout!.on('data', check)
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)))
  })
  return { child, output: () => out, url, startMs: performance.now() - t0 }
}

async function stop(s: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => s.child.on('exit', (code) => resolve(code)))
  s.child.kill('SIGINT')
  return exited
}

describe('npm start (local/main.ts)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'draftdesk-start-'))
  })
  afterAll(async () => rm(dir, { recursive: true, force: true }))

  it('answers /health within 30 s, prints the bootstrap login once, stops cleanly on Ctrl-C and keeps data', async () => {
    // Act: first start
    const port = await freePort()
    const first = await start(dir, port)
    const health = await fetch(`${first.url}/health`)
    // Assess
    expect(health.status).toBe(200)
    expect(first.startMs).toBeLessThan(30_000)
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

    // Act: second start on the same data
    const second = await start(dir, port)
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
})
