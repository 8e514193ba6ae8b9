import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DOCUMENT_KINDS, parseJson, validate, validateText } from '../../src/schema/index.js'

describe('parseJson', () => {
  it('gives line and column of a syntax error', () => {
    const result = parseJson('{\n  "a": 1,\n  "b": tru\n}')
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toMatchObject({ line: 3, column: 8 })
  })

  it('names a trailing comma, a comment and an empty input', () => {
    const trailing = parseJson('[1, 2,]')
    const comment = parseJson('{ // no\n}')
    const empty = parseJson('  \n')
    expect(trailing.ok || comment.ok || empty.ok).toBe(false)
    if (!trailing.ok) expect(trailing.error.message).toMatch(/expected a value at line 1, column 7/)
    if (!comment.ok) expect(comment.error.message).toMatch(/comments are not allowed/)
    if (!empty.ok) expect(empty.error.message).toMatch(/empty input/)
  })

  it('accepts a UTF-8 byte order mark and rejects invalid UTF-8', () => {
    expect(parseJson(Buffer.from('\ufeff{"a":1}'))).toEqual({ ok: true, value: { a: 1 } })
    const bad = parseJson(Uint8Array.from([0x7b, 0xff, 0x7d]))
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error.message).toBe('input is not valid UTF-8')
  })

  it('never throws on arbitrary bytes, and agrees with JSON.parse', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const result = parseJson(bytes)
        if (!result.ok) {
          expect(result.error.line).toBeGreaterThanOrEqual(1)
          expect(result.error.column).toBeGreaterThanOrEqual(1)
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('parses what JSON.stringify writes and locates errors in what it does not', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ maxLength: 3 }), (value, noise) => {
        const text = JSON.stringify(value)
        expect(parseJson(text)).toEqual({ ok: true, value: JSON.parse(text) })
        const broken = text + noise
        let valid = true
        try {
          JSON.parse(broken)
        } catch {
          valid = false
        }
        expect(parseJson(broken).ok).toBe(valid)
      }),
      { numRuns: 1000 },
    )
  })
})

describe('validate', () => {
  it('never throws on arbitrary JSON, for every kind, strict or not', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DOCUMENT_KINDS), fc.jsonValue(), fc.boolean(), (kind, value, strict) => {
        const result = validate(kind, value, { strict })
        for (const issue of [...result.errors, ...result.warnings]) {
          expect(issue.pointer === '' || issue.pointer.startsWith('/')).toBe(true)
          expect(issue.message.length).toBeGreaterThan(0)
        }
      }),
      { numRuns: 1500 },
    )
  })

  it('never throws on arbitrary text with kind detection', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (text) => {
        validateText(text)
      }),
      { numRuns: 1000 },
    )
  })

  it('never throws on document-shaped values with arbitrary leaves', () => {
    const leaf = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom('link', 'list', 'apply_labels', 'http_request', '*'))
    const doc = fc.record({
      version: fc.constantFrom('2024-03-06', '2023-03-06', 1),
      customer: fc.dictionary(fc.string(), leaf),
      sections: fc.array(fc.record({ type: leaf, title: leaf, href: leaf, items: fc.array(fc.dictionary(fc.constantFrom('description', 'value'), leaf)) }, { requiredKeys: [] })),
      events: fc.dictionary(fc.constantFrom('message.created', 'conversation.*', 'x'), fc.record({ actions: fc.array(fc.dictionary(fc.constantFrom('uses', 'add', 'remove', 'to', 'with'), leaf)) }, { requiredKeys: [] })),
      yetto: fc.dictionary(fc.constantFrom('message', 'conversation', 'other'), fc.dictionary(fc.string(), leaf)),
    }, { requiredKeys: [] })
    fc.assert(
      fc.property(fc.constantFrom(...DOCUMENT_KINDS), doc, (kind, value) => {
        const result = validate(kind, value)
        expect(result.valid).toBe(result.errors.length === 0)
      }),
      { numRuns: 1500 },
    )
  })
})
