/**
 * The esbuild settings every Lambda bundle uses, in one place: `DraftdeskFunction` hands them to
 * NodejsFunction and `bench/bundles.ts` hands them to esbuild directly, so the benchmark measures
 * exactly what ships. Plain data on purpose: importing this module must not load aws-cdk-lib.
 */

/** Lambda runtime generation the bundles target (keep in step with `Runtime.NODEJS_22_X`). */
export const bundleTarget = 'node22'

/**
 * The Node.js 22 Lambda runtime ships AWS SDK v3; bundling it would add ~1 MB per function and pin an
 * SDK version that AWS patches for us.
 */
export const externalModules = ['@aws-sdk/*']

/** Prefer ESM builds of dependencies so tree-shaking works. */
export const mainFields = ['module', 'main']

/**
 * ESM output has no `require`, yet CommonJS dependencies bundled into it (postgres.js internals, some
 * Powertools helpers) call `require('node:…')` for built-ins. esbuild turns those into a `__require`
 * shim that throws unless a real `require` is in scope, so the bundle defines one.
 */
export const esmBanner =
  "import { createRequire as __draftdeskCreateRequire } from 'node:module';const require = __draftdeskCreateRequire(import.meta.url);"

/**
 * Size and cold-load budgets per bundle (issue 7), checked by `npm run bench:bundles`.
 * @internal
 */
export const budgets = { maxBundleKiB: 500, maxLoadMs: 150 } as const
