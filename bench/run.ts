/**
 * `npm run bench [-- name ...]`: runs each benchmark script in its own process (a fresh embedded
 * database each), one after another so they do not compete for the two cores.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const here = import.meta.dirname
const wanted = process.argv.slice(2)
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))

let failed = 0
for (const name of scripts) {
  console.log(`\n=== bench/${name}.ts ===`)
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`)], {
    stdio: 'inherit',
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'ERROR' },
  })
  if (res.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
