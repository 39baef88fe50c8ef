// The package ships no types; only what local/data-lock.ts and local/console-build.ts use is declared.
declare module 'fs-native-extensions' {
  /** Takes an exclusive (or `shared`) lock on the open file `fd` without waiting; false when it is held. */
  export function tryLock(fd: number, opts?: { shared?: boolean }): boolean
  /** Waits for an exclusive lock on the whole open file `fd` (released when the fd is closed). */
  export function waitForLock(fd: number): Promise<void>
}
