import {
  closeSync,
  constants,
  existsSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs'
import { join } from 'node:path'
import { waitForLock } from 'fs-native-extensions'

const ROOT = join(import.meta.dirname, '..')
const CONSOLE = join(ROOT, 'console')
/** Where the built console lives; the runtime serves it under /app/. */
export const CONSOLE_DIST = join(CONSOLE, 'dist')

/** What a build is made from: a newer file here than the build means the build is stale. */
const SOURCES = [
  join(CONSOLE, 'src'),
  join(CONSOLE, 'index.html'),
  join(CONSOLE, 'vite.config.ts'),
  join(CONSOLE, 'build-config.ts'),
  // How it is built (this module's build options).
  import.meta.filename,
  // The settings page offers the WHMCS hook for download: it is bundled.
  join(ROOT, 'integrations', 'whmcs', 'draftdesk.php'),
  // The console's types come from the API contract; the lock file pins the libraries bundled.
  join(ROOT, 'shared', 'api'),
  join(ROOT, 'package-lock.json'),
]

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/** True when `console/dist` is missing or older than any of its sources. */
function consoleIsStale(dist = CONSOLE_DIST): boolean {
  const index = join(dist, 'index.html')
  if (!existsSync(index)) return true
  const built = statSync(index).mtimeMs
  return SOURCES.some((source) => newestMtime(source) > built)
}

/**
 * Builds the console with Vite when `console/dist` is missing or stale, so `npm start` on a fresh clone and
 * the browser tests need no build step by hand. Processes that start together (test files, a bench) take a
 * file lock in turn and the later ones find the build fresh; the build goes to a temporary directory and is
 * swapped in, so a server reading `dist` meanwhile never sees it half written.
 *
 * @returns whether this call built it
 */
export async function ensureConsoleBuilt(log: (message: string) => void = () => {}): Promise<boolean> {
  if (!consoleIsStale()) return false
  const fd = openSync(join(CONSOLE, '.build.lock'), constants.O_RDWR | constants.O_CREAT, 0o600)
  try {
    await waitForLock(fd)
    if (!consoleIsStale()) return false
    log('building the console (console/dist is missing or older than its sources)…')
    const temporary = join(CONSOLE, `.dist-${process.pid}`)
    // Imported here: only a stale build needs Vite, and it is a large module graph to load on every start.
    // The config module is imported rather than named by path, so its plugins count as this module's
    // dependencies (a production one: `npm start` builds the console).
    const [{ build }, { default: config }] = await Promise.all([
      import('vite'),
      import('../console/build-config.ts'),
    ])
    await build({
      ...config,
      configFile: false,
      logLevel: 'warn',
      // Production React whatever NODE_ENV the caller runs under (vitest sets `test`, and Vite follows it):
      // React's production build, and JSX compiled for it (its development form calls `jsxDEV`, which the
      // production build does not have: a blank page).
      mode: 'production',
      define: { ...config.define, 'process.env.NODE_ENV': JSON.stringify('production') },
      oxc: { jsx: { development: false } },
      build: { ...config.build, outDir: temporary, emptyOutDir: true },
    })
    const old = join(CONSOLE, `.dist-old-${process.pid}`)
    if (existsSync(CONSOLE_DIST)) renameSync(CONSOLE_DIST, old)
    renameSync(temporary, CONSOLE_DIST)
    rmSync(old, { recursive: true, force: true })
    return true
  } finally {
    closeSync(fd)
  }
}
