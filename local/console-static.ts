import { createReadStream, existsSync, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'

/** The path the console is served under, locally and behind CloudFront. */
const APP_PREFIX = '/app/'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
}

/**
 * The console talks to this origin's API only, loads nothing from elsewhere and is never framed. Inline
 * styles set through the DOM (React's `style`) are not affected by `style-src 'self'`.
 */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** Hashed file names under assets/ never change content: cache them for a year; the rest revalidates. */
const cacheControl = (relative: string) =>
  relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean

/**
 * Serves the built console (`dist`) under /app/: files with their content type and cache headers, and
 * index.html for every other /app/ path, so a deep link such as /app/tickets/42 opens the app on that page.
 * `/` redirects to /app/. Returns false for every other path (the API's).
 */
export function consoleHandler(dist: string): Handler {
  const root = resolve(dist)
  return (req, res, url) => {
    const path = url.pathname
    if (path === '/' || path === '/app') {
      res.writeHead(302, { location: APP_PREFIX })
      res.end()
      return true
    }
    if (!path.startsWith(APP_PREFIX)) return false
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
      res.end('method not allowed')
      return true
    }
    const relative = safeRelative(path.slice(APP_PREFIX.length))
    const file = relative === null ? null : join(root, relative)
    if (file && (file === root || file.startsWith(root + sep)) && isFile(file)) {
      sendFile(req, res, file, cacheControl(relative!))
    } else if (relative === null || relative.startsWith('assets/') || extname(relative) !== '') {
      // A missing asset is a 404, not the app: a stale tab asking for an old bundle must not get HTML.
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('not found')
    } else if (isFile(join(root, 'index.html'))) {
      sendFile(req, res, join(root, 'index.html'), 'no-cache')
    } else {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '10' })
      res.end('The console is not built yet; npm start builds it (console/dist).')
    }
    return true
  }
}

/** The decoded path inside the app, or null when it is not valid or tries to leave it (`..`, NUL). */
function safeRelative(encoded: string): string | null {
  let decoded: string
  try {
    decoded = decodeURIComponent(encoded)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  const parts = decoded.split('/')
  if (parts.some((p) => p === '..' || p === '.')) return null
  return parts.filter(Boolean).join('/')
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile()
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, cache: string): void {
  const stat = statSync(file)
  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`
  const headers: Record<string, string> = {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': cache,
    etag,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  }
  if (extname(file) === '.html') {
    headers['content-security-policy'] = CONSOLE_CSP
    headers['x-frame-options'] = 'DENY'
  }
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers)
    res.end()
    return
  }
  res.writeHead(200, { ...headers, 'content-length': String(stat.size) })
  if (req.method === 'HEAD') res.end()
  else createReadStream(file).pipe(res)
}
