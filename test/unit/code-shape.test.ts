/**
 * The size limits docs/ARCHITECTURE.md states for production code: no module over 450 lines, no function
 * over 80 (a CDK stack constructor, which lays out resources, over 120). Parsed with the TypeScript compiler,
 * so a function is what the language says it is: declarations, methods, constructors, arrow functions and
 * function expressions, nested ones measured on their own.
 */
import { type Dirent, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = new URL('../..', import.meta.url).pathname
const PRODUCTION = ['functions', 'shared', 'local', 'infra', 'migrations', 'console/src']
const MAX_MODULE_LINES = 450
const MAX_FUNCTION_LINES = 80
const MAX_STACK_CONSTRUCTOR_LINES = 120

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

interface Measured {
  file: string
  lines: number
  functions: Array<{ name: string; line: number; lines: number; limit: number }>
}

function measure(file: string): Measured {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const functions: Measured['functions'] = []
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
      const isStackConstructor = ts.isConstructorDeclaration(node) && file.startsWith('infra/stacks/')
      functions.push({
        name: nameOf(node),
        line: start + 1,
        lines: end - start + 1,
        limit: isStackConstructor ? MAX_STACK_CONSTRUCTOR_LINES : MAX_FUNCTION_LINES,
      })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return { file, lines: text.split('\n').length, functions }
}

function nameOf(node: ts.SignatureDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor'
  if (node.name) return node.name.getText()
  const parent = node.parent
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText()
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText()
  return '(anonymous)'
}

const measured = PRODUCTION.flatMap(sources).map(measure)

describe('Production code shape', () => {
  it('reads the production folders (the measure can fail)', () => {
    expect(measured.length).toBeGreaterThan(100)
    const pipeline = measured.find((m) => m.file === 'shared/drafts/pipeline.ts')
    expect(pipeline?.functions.map((f) => f.name)).toContain('generateDraft')
  })

  it(`has no module over ${MAX_MODULE_LINES} lines`, () => {
    expect(measured.filter((m) => m.lines > MAX_MODULE_LINES).map((m) => `${m.file}: ${m.lines}`)).toEqual([])
  })

  it(`has no function over ${MAX_FUNCTION_LINES} lines (CDK stack constructors ${MAX_STACK_CONSTRUCTOR_LINES})`, () => {
    const long = measured.flatMap((m) =>
      m.functions
        .filter((f) => f.lines > f.limit)
        .map((f) => `${m.file}:${f.line} ${f.name}: ${f.lines} lines`),
    )
    expect(long).toEqual([])
  })
})
