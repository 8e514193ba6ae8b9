import { describe, expect, it } from 'vitest'
import { parseJson, validateText } from '../../src/schema/index.js'
import { render } from '../../src/render/index.js'
import { failureCardHtml } from '../../src/client/index.js'
import { cli } from '../helpers.js'

describe('errors you can act on', () => {
  it.each([
    ['a trailing comma (as in the product announcement)', '{\n  "version": "2024-03-06",\n  "sections": [],\n}', /trailing comma/, 4, 1],
    ['single quotes', "{'a': 1}", /double quotes/, 1, 2],
    ['a comment', '{ // note\n "a": 1 }', /no comments/, 1, 3],
    ['an unquoted name', '{ a: 1 }', /property names need double quotes/, 1, 3],
    ['a missing comma', '{ "a": 1 "b": 2 }', /comma is missing/, 1, 10],
    ['NaN', '{ "a": NaN }', /no NaN/, 1, 8],
  ])('%s: line, column, a code frame with a caret, and a hint', (_name, text, hint, line, column) => {
    const parsed = parseJson(text)
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.error).toMatchObject({ line, column, hint: expect.stringMatching(hint) })
    const [source, caret] = parsed.error.frame!.split('\n')
    expect(source).toContain(`${line} | `)
    expect(caret!.indexOf('^') - caret!.indexOf('|') - 2).toBe(column - 1)
  })

  it('ckit validate prints the frame and the hint', async () => {
    const run = await cli(['validate', '-'], { stdin: '{\n  "version": "2024-03-06",\n  "customer": {},\n  "sections": [],\n}\n' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/5 \| }\n\s+\| \^\n\s+hint +remove the comma before this "}"/)
    expect(validateText('{"a":1,}').errors[0]).toMatchObject({ hint: expect.stringMatching(/trailing comma/) })
  })

  it('warns about a link whose host is a single label, naming the likely placeholder', () => {
    const result = render({ version: '2024-03-06', customer: { id: '003' }, sections: [{ type: 'link', title: 'Salesforce', href: 'https://na#.salesforce.com/{{ data.customer.id }}' }] })
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'suspicious_href', pointer: '/sections/0/href', message: expect.stringContaining('is "na#" a placeholder') })])
    expect(render({ version: '2024-03-06', customer: {}, sections: [{ type: 'link', title: 'x', href: 'https://example.com/a#b' }] }).warnings).toEqual([])
  })

  it('the error card reads as one sentence with the detail in brackets', () => {
    expect(failureCardHtml({ kind: 'timeout', message: 'no complete answer within 3000 ms' })).toContain('The customer endpoint did not answer in time (no complete answer within 3000 ms).')
  })
})
