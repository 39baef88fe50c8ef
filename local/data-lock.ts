import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { tryLock } from 'fs-native-extensions'

/** The lock file inside the data directory; it holds the owner's pid, for the refusal message only. */
const LOCK_FILE = 'draftdesk.lock'

/** Another live process holds the data directory. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError'
}

/** Held for the life of the process; `release()` (or the process's death) frees the directory. */
export interface DataDirLock {
  release(): void
}

/**
 * Makes this process the only one using `dataDir`: two PGlite instances on one directory corrupt it.
 *
 * An exclusive lock on an open file (open file description locks on Linux, flock on macOS, LockFileEx on
 * Windows, through fs-native-extensions), not a pid file: the kernel drops it when the process dies, so a
 * crash or a SIGKILL never leaves a stale lock that blocks the next start.
 *
 * @throws DataDirInUseError naming the holder's pid when another process holds the directory
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, LOCK_FILE)
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600)
  let locked = false
  try {
    locked = tryLock(fd)
  } finally {
    if (!locked) closeSync(fd)
  }
  if (!locked) {
    const pid = readFileSync(path, 'utf8').trim()
    throw new DataDirInUseError(
      `another Draftdesk process is already using the data directory ${dataDir}` +
        `${/^\d+$/.test(pid) ? ` (pid ${pid})` : ''}; stop it first or set DRAFTDESK_DATA_DIR`,
    )
  }
  ftruncateSync(fd)
  writeSync(fd, `${process.pid}\n`, 0)
  let released = false
  return {
    release() {
      if (released) return
      released = true
      // Closing the descriptor is what releases the lock.
      closeSync(fd)
    },
  }
}
