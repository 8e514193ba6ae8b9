import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluate } from '../../src/automation/index.js'
import { CustomerPanel, requestCustomerData } from '../../src/client/index.js'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import { render, renderText, sidebarHtml } from '../../src/render/index.js'
import { MAX_JSON_DEPTH, parseJson, validate, validateText, type CustomerConnectionResponse } from '../../src/schema/index.js'
import { decodeContext, parseSignedRequest, parseWebhook, sign } from '../../src/signature/index.js'
import { cli } from '../helpers.js'

/**
 * An endpoint, sender or switch author can send any bytes. Every entry point documented as
 * "never throws" must turn deep and wide inputs into a typed result with a clear message.
 * Parsers run 100k cases (CKIT_FUZZ_RUNS lowers it locally).
 */
const PARSER_RUNS = Number(process.env['CKIT_FUZZ_RUNS'] ?? 100_000)
/** 100k cases take 10-20 s each here; a busy CI machine may take several times that. */
const FUZZ_TIMEOUT_MS = 300_000

/** JSON-ish text nested `depth` deep, sometimes unclosed, sometimes with junk inside. */
const deepText = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 3000 })),
    open: fc.constantFrom('[', '{"a":', '[{"k":', ' [ '),
    leaf: fc.constantFrom('1', '"x"', 'null', '', '{', '"\\"[', ','),
    closed: fc.boolean(),
  })
  .map(({ depth, open, leaf, closed }) => {
    const close = open.includes('{') ? (open.startsWith('[') ? '}]' : '}') : ']'
    return open.repeat(depth) + leaf + (closed ? close.repeat(depth) : '')
  })

const wideText = fc.integer({ min: 0, max: 5000 }).map((n) => `{"customer":{"a":[${'0,'.repeat(n)}0]},"b":{${'"k":1,'.repeat(n % 500)}"z":[]}}`)

const anyText = fc.oneof(deepText, wideText, fc.string(), fc.json())

function deepValue(depth: number, leaf: unknown = 1): unknown {
  let value = leaf
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value }
  return value
}

describe('deep and wide input never crashes a "never throws" path', () => {
  it('parseJson refuses nesting past the limit with a depth message, and accepts it up to the limit', () => {
    const deep = parseJson('['.repeat(20_000))
    expect(deep).toMatchObject({ ok: false, error: { code: 'too_deep', message: expect.stringMatching(/nested deeper than 100 levels/), line: 1, column: MAX_JSON_DEPTH + 1 } })
    expect(parseJson('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)).ok).toBe(true)
    // Brackets inside strings do not count.
    expect(parseJson(JSON.stringify({ text: '['.repeat(5000) })).ok).toBe(true)
  })

  it(`parseJson and validateText: ${PARSER_RUNS} fuzzed texts`, () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseJson(text)
        if (!parsed.ok) expect(parsed.error.message).toMatch(/line \d+, column \d+|UTF-8/)
        const checked = validateText(text, 'response')
        expect(typeof checked.valid).toBe('boolean')
      }),
      { numRuns: PARSER_RUNS },
    )
  }, FUZZ_TIMEOUT_MS)

  it('validate reports a value built in code that is too deep, or cyclic, at its pointer', () => {
    const result = validate('response', { version: '2024-03-06', customer: { a: deepValue(10_000) }, sections: [] })
    expect(result.valid).toBe(false)
    expect(result.errors[0]).toMatchObject({ keyword: 'maxDepth', message: expect.stringMatching(/nested deeper than 100/) })
    expect(result.errors[0]!.pointer).toMatch(/^\/customer\/a(\/(0|a))+$/)
    expect(result.errors[0]!.pointer.split('/')).toHaveLength(MAX_JSON_DEPTH + 1)
    const cyclic: Record<string, unknown> = {}
    cyclic['self'] = cyclic
    expect(validate('webhook', { yetto: { message: cyclic } }).errors[0]).toMatchObject({ keyword: 'maxDepth' })
  })

  it(`decodeContext and parseSignedRequest: ${PARSER_RUNS} fuzzed path parameters, signed so they reach the decoder`, () => {
    fc.assert(
      fc.property(anyText.filter((text) => text !== ''), (text) => {
        const parameter = Buffer.from(text).toString('base64url')
        expect(decodeContext(parameter).ok).toBe(false)
        const result = parseSignedRequest({ path: `/hook/${parameter}`, headers: { X_YETTO_SIGNATURE: sign('k', parameter) }, secret: 'k' })
        expect(result).toMatchObject({ ok: false, status: 400 })
      }),
      { numRuns: PARSER_RUNS },
    )
  }, FUZZ_TIMEOUT_MS)

  it(`parseWebhook: ${PARSER_RUNS} fuzzed signed bodies`, () => {
    fc.assert(
      fc.property(anyText, (body) => {
        const result = parseWebhook({ secret: 'k', body, headers: { X_YETTO_SIGNATURE: sign('k', body), X_YETTO_EVENT: 'message.created' } })
        if (!result.ok) expect([400, 409]).toContain(result.status)
      }),
      { numRuns: PARSER_RUNS },
    )
  }, FUZZ_TIMEOUT_MS)

  it('render, renderText and sidebarHtml turn a deep customer into a section error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.constantFrom('{{ data.customer.a }}', '{{ data.customer | json }}', '{% for x in data.customer.a %}{{ x }}{% endfor %}'), (depth, template) => {
        const response = { version: '2024-03-06', customer: { a: deepValue(depth) }, sections: [{ type: 'list', title: 't', items: [{ description: 'd', value: template }] }] } as CustomerConnectionResponse
        const result = render(response)
        expect(result.sections.length + result.errors.length).toBe(1)
        for (const error of result.errors) expect(error.message).not.toMatch(/call stack/)
        expect(typeof renderText(result)).toBe('string')
        expect(typeof sidebarHtml(result)).toBe('string')
      }),
      { numRuns: 60 },
    )
  })

  it('evaluate never throws for a deep or wide payload', async () => {
    const switchDoc = { version: '2023-03-06', events: { 'message.created': { conditions: { if: '{% data.yetto.message.a contains 1 %}' }, actions: [{ uses: 'apply_labels', add: ['{{ data.yetto.message.a | size }}'] }] } } }
    for (const payload of [{ yetto: { message: { a: deepValue(50_000) } } }, { yetto: { message: { a: Array.from({ length: 200_000 }, () => 1) } } }]) {
      const plan = await evaluate(switchDoc, { event: 'message.created', payload })
      expect(plan.handlers).toHaveLength(1)
    }
  })
})

describe('deep bodies over HTTP', () => {
  let server: Server
  let url: string
  let mock: RunningMock
  const body = '['.repeat(20_000)
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    mock = await startMock({ port: 0, secret: 'k' })
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    await mock.close()
  })
  const context = () => ({ reason: 'refresh' as const, requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email: 'kelly@example.com' } })

  it('the client reports invalid_json about depth, and the panel shows the error card', async () => {
    const result = await requestCustomerData({ url, secret: 'k' }, context())
    expect(result).toMatchObject({ ok: false, error: { kind: 'invalid_json', message: expect.stringMatching(/nested deeper than 100 levels/) } })
    const panel = new CustomerPanel({ url, secret: 'k' }, { inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email: 'kelly@example.com' } })
    expect(await panel.open()).toMatchObject({ status: 'error', error: { kind: 'invalid_json' } })
  })

  it('ckit fetch exits with the invalid_json code, ckit validate and render exit 1, never 70', async () => {
    const fetched = await cli(['fetch', url, '--secret', 'k', '--email', 'kelly@example.com'])
    expect(fetched.code).not.toBe(70)
    expect(fetched.stderr).toMatch(/invalid_json: .*nested deeper than 100 levels/)
    for (const command of ['validate', 'render']) {
      const run = await cli([command, '-'], { stdin: body })
      expect(run.code).toBe(1)
      expect(run.stdout + run.stderr).toMatch(/nested deeper than 100 levels/)
    }
  })

  it('the mock answers 400 for a deep path parameter, not 500', async () => {
    const parameter = Buffer.from(body).toString('base64url').slice(0, 6000)
    const response = await fetch(`${mock.url}${parameter}`, { headers: { X_YETTO_SIGNATURE: sign('k', parameter) } })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: 'malformed_context', message: expect.stringMatching(/nested deeper/) })
  })
})
