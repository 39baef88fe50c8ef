import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod'

const schema = z.object({ jwtSecret: z.string().min(32), dataKey: z.string().min(40) })
export type LocalSecrets = z.infer<typeof schema>

/**
 * The local stand-in for Secrets Manager: a JWT signing key and a data-encryption key, generated once into
 * `<dataDir>/secrets.json` (mode 0600) and reused, so tokens and encrypted credentials survive restarts.
 */
export async function loadLocalSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = join(dataDir, 'secrets.json')
  try {
    return schema.parse(JSON.parse(await readFile(file, 'utf8')))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const secrets = {
    jwtSecret: randomBytes(48).toString('base64url'),
    dataKey: randomBytes(32).toString('base64'),
  }
  await mkdir(dataDir, { recursive: true })
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' })
  return secrets
}
