import bcrypt from 'bcryptjs'

// Cost 10 is ~70 ms in bcryptjs on one core: slow for attackers, fine for a login endpoint.
const COST = 10

export const hashPassword = (password: string): Promise<string> => bcrypt.hash(password, COST)

export const verifyPassword = (password: string, hash: string): Promise<boolean> =>
  bcrypt.compare(password, hash)

let dummyHash: Promise<string> | undefined

/**
 * A valid hash of a random password. Login compares against it when the email is unknown, so an
 * unknown account costs the same time as a wrong password and emails cannot be enumerated by timing.
 * Made on first use, not at import: every handler that imports this module would otherwise pay ~70 ms of
 * bcrypt on each cold start.
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= bcrypt.hash(`dummy-${Math.random()}`, COST)
  return dummyHash
}
