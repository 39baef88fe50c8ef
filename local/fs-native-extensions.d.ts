// The package ships no types; only what local/data-lock.ts uses is declared.
declare module 'fs-native-extensions' {
  /** Takes an exclusive (or `shared`) lock on the open file `fd` without waiting; false when it is held. */
  export function tryLock(fd: number, opts?: { shared?: boolean }): boolean
}
