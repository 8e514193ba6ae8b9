import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CKIT_CODES, CkitError } from '../src/errors.js'
import { validate, type Kind } from '../src/schema/index.js'

describe('error codes', () => {
  it('each code is asserted by at least one test, by its code', () => {
    const testFiles = readdirSync(new URL('.', import.meta.url), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.ts'))
    const text = testFiles.map((f) => readFileSync(new URL(f, import.meta.url), 'utf8')).join('\n')
    for (const code of Object.keys(CKIT_CODES)) expect(text, code).toContain(`'${code}'`)
  })

  it('each code has a class that the CLI maps to an exit code', () => {
    for (const [code, { class: errorClass }] of Object.entries(CKIT_CODES)) {
      expect(['usage', 'data', 'remote', 'internal'], code).toContain(errorClass)
      expect(new CkitError(code as keyof typeof CKIT_CODES, 'x').errorClass).toBe(errorClass)
    }
  })

  it('each code has a line in docs/errors.md', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
    for (const code of Object.keys(CKIT_CODES)) expect(doc).toContain(`| \`${code}\` |`)
  })

  it('CKIT_SCHEMA_UNKNOWN_KIND names the kinds that exist', () => {
    let caught: unknown
    try {
      validate('poem' as Kind, {})
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(CkitError)
    expect(caught).toMatchObject({ name: 'CkitError', code: 'CKIT_SCHEMA_UNKNOWN_KIND', message: expect.stringContaining('response, request-context') })
  })
})
