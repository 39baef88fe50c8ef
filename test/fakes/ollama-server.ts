/**
 * A fake Ollama: a real `node:http` server speaking the documented `/api/embed`, `/api/chat` and `/api/tags`
 * protocol, so tests drive the real `ollama` client, its fetch, timeouts and retries. Outputs are
 * deterministic — embeddings come from the built-in hashed embedder, so retrieval through the fake behaves
 * like lexical search — and faults (latency, 500s, hangs) can be injected per path.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hashedEmbedding } from '#shared/ai/hashed-embedding'

export interface FakeChatRequest {
  model: string
  messages: Array<{ role: string; content: string }>
  options?: Record<string, unknown>
}

export interface FakeOllamaOptions {
  /** Pulled models, as `/api/tags` names them. Default nomic-embed-text:latest and qwen2.5:3b. */
  models?: string[]
  /** Delay before every answer. Default 0. */
  latencyMs?: number
  /** Embedding length to return; anything but 768 lets tests check dimension validation. */
  embedDimensions?: number
  /** Chat reply text; the default cites source [1] when the prompt has numbered sources. */
  replyWith?: (request: FakeChatRequest) => string
}

export interface FakeCall {
  path: string
  body: unknown
  /** The client gave up (closed the connection) before this call was answered: its timeout fired. */
  aborted: boolean
}

export interface FakeOllama {
  url: string
  /** Every request received, including failed and hung ones, in arrival order. */
  calls: FakeCall[]
  /** Delay before answering requests to `path` (all paths when omitted). */
  setLatency(ms: number, path?: string): void
  /** Answer the next `n` requests (to `path`, if given) with HTTP 500. */
  failNext(n: number, path?: string): void
  /** Never answer the next `n` requests (to `path`, if given); the socket stays open until `close`. */
  hangNext(n: number, path?: string): void
  /**
   * Holds the next request to `path` until `release()`: `arrived` resolves once it is being held, so a
   * test can act while the caller waits on the model, without guessing a delay.
   */
  holdNext(path: string): { arrived: Promise<void>; release(): void }
  setReplyWith(reply: FakeOllamaOptions['replyWith']): void
  close(): Promise<void>
}

const NOMIC_PREFIX = /^search_(?:document|query|classification|clustering): /

/**
 * Default reply: when the prompt carries numbered sources ("[1] …"), restate the first sentence of source
 * [1] with its citation, like a grounded model would; otherwise a generic hand-off.
 */
export function defaultReply({ messages }: FakeChatRequest): string {
  const prompt = messages.map((m) => m.content).join('\n')
  const source = /\[1\][\s:.-]*([^\n]+)/.exec(prompt)?.[1]
  if (!source) return 'Thank you for your message. An agent will follow up shortly.'
  const sentence = (/^.*?[.!?](?=\s|$)/.exec(source)?.[0] ?? source).trim().replace(/[.!?]$/, '')
  return `Thank you for reaching out. ${sentence} [1].`
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = []
  for await (const part of req) parts.push(part as Buffer)
  const text = Buffer.concat(parts).toString('utf8')
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const tokens = (text: string) => Math.ceil(text.length / 4)

/** A countdown of injected faults, optionally bound to one path. */
class FaultQueue {
  private readonly pending: Array<{ path?: string }> = []
  add(n: number, path?: string): void {
    for (let i = 0; i < n; i++) this.pending.push({ path })
  }
  take(path: string): boolean {
    const i = this.pending.findIndex((f) => f.path === undefined || f.path === path)
    if (i < 0) return false
    this.pending.splice(i, 1)
    return true
  }
}

/** Starts the fake on 127.0.0.1 and an ephemeral port. Always `close()` it (e.g. in `afterAll`). */
export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const models = options.models ?? ['nomic-embed-text:latest', 'qwen2.5:3b']
  const dimensions = options.embedDimensions ?? 768
  let replyWith = options.replyWith ?? defaultReply
  const latency = new Map<string | undefined, number>([[undefined, options.latencyMs ?? 0]])
  const failures = new FaultQueue()
  const hangs = new FaultQueue()
  const holds: Array<{ path: string; arrive(): void; released: Promise<void> }> = []
  const calls: FakeCall[] = []

  const isPulled = (model: unknown) =>
    typeof model === 'string' && (models.includes(model) || models.includes(`${model}:latest`))
  const notFound = (res: ServerResponse, model: unknown) =>
    json(res, 404, { error: `model "${String(model)}" not found, try pulling it first` })

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname
    const body = await readBody(req)
    const call: FakeCall = { path, body, aborted: false }
    calls.push(call)
    res.on('close', () => {
      if (!res.writableFinished) call.aborted = true
    })
    if (hangs.take(path)) return
    const hold = holds.findIndex((h) => h.path === path)
    if (hold >= 0) {
      const [held] = holds.splice(hold, 1)
      held!.arrive()
      await held!.released
    }
    const delay = latency.get(path) ?? latency.get(undefined) ?? 0
    if (delay > 0) await sleep(delay)
    if (failures.take(path)) return json(res, 500, { error: 'injected failure' })

    const request = (body ?? {}) as Record<string, unknown>
    if (req.method === 'GET' && path === '/api/tags') {
      return json(res, 200, {
        models: models.map((name) => ({
          name,
          model: name,
          modified_at: '2025-01-01T00:00:00Z',
          size: 1_000_000,
          digest: 'fake',
          details: { format: 'gguf', family: 'fake', parameter_size: '1B', quantization_level: 'Q4_0' },
        })),
      })
    }
    if (req.method === 'GET' && (path === '/' || path === '/api/version')) {
      return path === '/' ? res.end('Ollama is running') : json(res, 200, { version: '0.0.0-fake' })
    }
    if (req.method === 'POST' && path === '/api/embed') {
      if (!isPulled(request.model)) return notFound(res, request.model)
      const input = typeof request.input === 'string' ? [request.input] : (request.input as string[])
      // Strip nomic's task prefixes so the lexical vectors reflect the text, not the prefix words.
      const embeddings = input.map((text) =>
        hashedEmbedding(text.replace(NOMIC_PREFIX, '')).slice(0, dimensions),
      )
      return json(res, 200, {
        model: request.model,
        embeddings,
        total_duration: 1_000,
        load_duration: 0,
        prompt_eval_count: input.reduce((sum, text) => sum + tokens(text), 0),
      })
    }
    if (req.method === 'POST' && path === '/api/chat') {
      if (!isPulled(request.model)) return notFound(res, request.model)
      const chat = request as unknown as FakeChatRequest
      const content = replyWith(chat)
      const answer = {
        model: chat.model,
        created_at: new Date(0).toISOString(),
        message: { role: 'assistant', content },
        done: true,
        done_reason: 'stop',
        total_duration: 1_000,
        load_duration: 0,
        prompt_eval_count: tokens(chat.messages.map((m) => m.content).join('\n')),
        prompt_eval_duration: 500,
        eval_count: tokens(content),
        eval_duration: 500,
      }
      // Real Ollama streams unless told not to; one NDJSON line with done=true is a valid stream.
      if (request.stream !== false) {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' })
        return res.end(`${JSON.stringify(answer)}\n`)
      }
      return json(res, 200, answer)
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('404 page not found')
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => json(res, 500, { error: String(error) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setLatency: (ms, path) => latency.set(path, ms),
    failNext: (n, path) => failures.add(n, path),
    hangNext: (n, path) => hangs.add(n, path),
    holdNext: (path) => {
      let arrive!: () => void
      let release!: () => void
      const arrived = new Promise<void>((r) => {
        arrive = r
      })
      const released = new Promise<void>((r) => {
        release = r
      })
      holds.push({ path, arrive, released })
      return { arrived, release }
    },
    setReplyWith: (reply) => {
      replyWith = reply ?? defaultReply
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Hung requests keep their sockets open; close them or `close` would wait forever.
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
