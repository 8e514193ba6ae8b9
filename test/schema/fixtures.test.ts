import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { validateText, type DocumentKind } from '../../src/schema/index.js'
import { cli, fixturePath, FIXTURES } from '../helpers.js'

interface Expectation {
  kind: DocumentKind
  valid?: boolean
  errors?: string[]
  warnings?: string[]
  strictErrors?: string[]
  line?: number
  column?: number
}

const expectations = JSON.parse(readFileSync(new URL('expectations.json', FIXTURES), 'utf8')) as Record<string, Expectation>
const cases = Object.entries(expectations)
const pointers = (issues: readonly { pointer: string }[]): string[] => [...new Set(issues.map((i) => i.pointer))].sort()

describe('fixture corpus', () => {
  it('covers every kind with valid and invalid documents', () => {
    for (const kind of ['response', 'request-context', 'challenge', 'webhook', 'switch']) {
      expect(cases.some(([, e]) => e.kind === kind && e.valid)).toBe(true)
      expect(cases.some(([, e]) => e.kind === kind && !e.valid)).toBe(true)
    }
  })

  it.each(cases)('%s is classified with the expected pointers', (file, e) => {
    const bytes = readFileSync(new URL(file, FIXTURES))
    const result = validateText(bytes, undefined, { strict: false })
    expect(result.kind ?? e.kind).toBe(e.kind)
    expect(result.valid).toBe(e.valid === true)
    expect(pointers(result.errors)).toEqual([...(e.errors ?? [])].sort())
    expect(pointers(result.warnings)).toEqual([...(e.warnings ?? [])].sort())
    if (e.line !== undefined) expect(result.errors[0]).toMatchObject({ line: e.line, column: e.column })
    for (const issue of [...result.errors, ...result.warnings]) {
      expect(issue.message).not.toMatch(/must NOT|schema in|#\/\$defs|must match "then"/)
    }
    if (e.strictErrors) {
      const strict = validateText(bytes, e.kind, { strict: true })
      expect(strict.valid).toBe(false)
      expect(pointers(strict.errors)).toEqual([...e.strictErrors].sort())
    }
  })

  it.each(cases)('ckit validate %s --json reports the same verdict and exit code', async (file, e) => {
    const args = ['validate', fixturePath(file), '--json']
    if (file.includes('not-enveloped')) args.push('--kind', 'webhook')
    const run = await cli(args)
    const out = JSON.parse(run.stdout) as { valid: boolean; kind: string; errors: { pointer: string; message: string; keyword: string }[] }
    expect(run.code).toBe(e.valid ? 0 : 1)
    expect(out.valid).toBe(e.valid === true)
    // A JSON syntax error leaves nothing to detect the kind from.
    expect(out.kind).toBe(e.line === undefined ? e.kind : null)
    expect(pointers(out.errors)).toEqual([...(e.errors ?? [])].sort())
    for (const error of out.errors) expect(Object.keys(error)).toEqual(expect.arrayContaining(['pointer', 'message', 'keyword']))
  })
})
