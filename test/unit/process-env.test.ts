/**
 * The rule ARCHITECTURE.md states for configuration: only the two config modules (shared/config.ts for the
 * runtime, infra/config.ts for the CDK app) read the environment; everything else gets parsed values from
 * them. Parsed with the TypeScript compiler, so a comment or a string that names the variable is not a read,
 * and `process['env']` or `const { env } = process` is.
 */
import { type Dirent, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = new URL('../..', import.meta.url).pathname
const PRODUCTION = ['functions', 'shared', 'local', 'infra', 'migrations', 'console/src']
const CONFIG_MODULES = ['shared/config.ts', 'infra/config.ts']

function sources(dir: string): string[] {
  let entries: Dirent[]
  try {
    entries = readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
  } catch {
    return []
  }
  return entries
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .filter((f) => !f.includes('node_modules'))
}

/** Where `text` reads the environment: `process.env`, `process['env']`, or `env` destructured from `process`. */
function environmentReads(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const isProcess = (node: ts.Node) => ts.isIdentifier(node) && node.text === 'process'
  const visit = (node: ts.Node) => {
    const read =
      (ts.isPropertyAccessExpression(node) && isProcess(node.expression) && node.name.text === 'env') ||
      (ts.isElementAccessExpression(node) &&
        isProcess(node.expression) &&
        ts.isStringLiteralLike(node.argumentExpression) &&
        node.argumentExpression.text === 'env') ||
      (ts.isVariableDeclaration(node) &&
        node.initializer !== undefined &&
        isProcess(node.initializer) &&
        ts.isObjectBindingPattern(node.name) &&
        node.name.elements.some((e) => (e.propertyName ?? e.name).getText() === 'env'))
    if (read) found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`)
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

describe('Environment reads', () => {
  it('finds each way of reading it, and not a comment or a string that names it', () => {
    const text = [
      '// process.env.X in a comment',
      "const s = 'process.env.Y'",
      'const a = process.env.A',
      "const b = process['env']",
      'const { env } = process',
      'const c = other.env',
    ].join('\n')
    expect(environmentReads('x.ts', text)).toEqual(['x.ts:3', 'x.ts:4', 'x.ts:5'])
  })

  it('happen only in the config modules', () => {
    const files = PRODUCTION.flatMap(sources)
    expect(files.length).toBeGreaterThan(100)
    expect(files).toEqual(expect.arrayContaining(CONFIG_MODULES))
    const reads = files
      .filter((f) => !CONFIG_MODULES.includes(f))
      .flatMap((f) => environmentReads(f, readFileSync(join(ROOT, f), 'utf8')))
    expect(reads).toEqual([])
    // The config modules do read it: the scan would notice if they stopped being where it looks.
    expect(
      environmentReads('shared/config.ts', readFileSync(join(ROOT, 'shared/config.ts'), 'utf8')),
    ).not.toEqual([])
  })
})
