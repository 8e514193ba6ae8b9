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

  // Both directions, as fastify checks its errors doc: a code missing from the doc is undocumented,
  // a documented code missing from the registry is one a user matches on and never gets.
  describe('docs/errors.md and the registry (src/errors.ts) list the same codes', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
    const rows = new Map([...doc.matchAll(/^\| `(CKIT_[A-Z0-9_]+)` \| (\w+) \|/gm)].map((m) => [m[1]!, m[2]!]))

    it('every registered code has a row, with its class', () => {
      for (const [code, { class: errorClass }] of Object.entries(CKIT_CODES)) expect(rows.get(code), code).toBe(errorClass)
    })

    it('every code the doc names, in a row or in prose, is registered', () => {
      const named = new Set(doc.match(/\bCKIT_[A-Z0-9_]+/g))
      expect(named.size).toBeGreaterThanOrEqual(rows.size)
      for (const code of named) expect(Object.keys(CKIT_CODES), code).toContain(code)
    })
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
