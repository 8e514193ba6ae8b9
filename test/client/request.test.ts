import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { requestCustomerData, testConnection, type CustomerDataResult } from '../../src/client/index.js'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import type { RequestContext } from '../../src/schema/index.js'
import { sign } from '../../src/signature/index.js'
import { readFixture } from '../helpers.js'

const context: RequestContext = {
  reason: 'conversation_viewed',
  requested_at: new Date().toISOString(),
  inbox: { slug: 'support' },
  conversation: { id: 'conv_1' },
  requester: { email: 'kelly@example.com' },
}
const seed = readFixture('examples/seed-response.json') as object
const ORIGIN = 'https://crm.example.com'
const connection = { url: `${ORIGIN}/yetto`, secret: 'client-secret' }

const failure = (result: CustomerDataResult) => (result.ok ? undefined : result.error)

describe('requestCustomerData against nock', () => {
  beforeAll(() => nock.disableNetConnect())
  afterEach(() => nock.cleanAll())
  afterAll(() => nock.enableNetConnect())

  it('sends a signed GET to the configured URL + path parameter and renders the answer', async () => {
    let signature: string | undefined
    let path: string | undefined
    nock(ORIGIN, { reqheaders: { x_yetto_signature: (value: string) => ((signature = value), true) } })
      .get((uri) => ((path = uri), /^\/yetto\/[A-Za-z0-9_-]+$/.test(uri)))
      .reply(200, seed, { 'content-type': 'application/json' })
    const result = await requestCustomerData(connection, context)
    expect(failure(result)).toBeUndefined()
    expect(signature).toBe(sign('client-secret', path!.split('/').pop()!))
    if (result.ok) expect(result.rendered.sections.map((s) => s.title)).toEqual(['Link to customer details', 'Stripe customer info', 'List section'])
  })

  it.each([
    ['http_status', () => nock(ORIGIN).get(/.*/).reply(503, 'Service Unavailable'), { status: 503 }],
    ['http_status', () => nock(ORIGIN).get(/.*/).reply(302, '', { location: 'https://evil.example/' }), { status: 302, message: expect.stringContaining('not followed') }],
    ['invalid_json', () => nock(ORIGIN).get(/.*/).reply(200, '<html>login</html>', { 'content-type': 'text/html' }), { message: expect.stringContaining('line 1, column 1') }],
    ['invalid_json', () => nock(ORIGIN).get(/.*/).reply(200, ''), {}],
    ['schema_invalid', () => nock(ORIGIN).get(/.*/).reply(200, { version: '2024-03-06', customer: {}, sections: [{ type: 'link', title: 'x', href: 5 }] }), { pointers: ['/sections/0/href'] }],
    // The schema's href pattern refuses a javascript: link before any template runs.
    ['schema_invalid', () => nock(ORIGIN).get(/.*/).reply(200, { version: '2024-03-06', customer: {}, sections: [{ type: 'link', title: 'x', href: 'javascript:alert(1)' }] }), { pointers: ['/sections/0/href'] }],
    ['template_error', () => nock(ORIGIN).get(/.*/).reply(200, { version: '2024-03-06', customer: {}, sections: [{ type: 'link', title: 'x', href: 'https://example.com/{{ data.customer.id' }] }), { pointers: ['/sections/0/href'] }],
    ['too_large', () => nock(ORIGIN).get(/.*/).reply(200, JSON.stringify({ version: '2024-03-06', customer: { pad: 'x'.repeat(600_000) }, sections: [] })), {}],
    ['network', () => nock(ORIGIN).get(/.*/).replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), {}],
    ['timeout', () => nock(ORIGIN).get(/.*/).delay(1000).reply(200, seed), {}],
  ])('reports %s', async (kind, setup, extra) => {
    setup()
    const result = await requestCustomerData(connection, context, { timeoutMs: 200 })
    expect(failure(result)).toMatchObject({ kind, ...extra })
    expect(typeof result.latencyMs).toBe('number')
  })

  it('fails strict mode on what lenient mode only warns about', async () => {
    const body = { version: '2024-03-06', customer: {}, sections: [{ type: 'list', title: 'T', items: [{ description: 'Plan', value: '{{ data.customer.plan }}' }] }] }
    nock(ORIGIN).get(/.*/).times(2).reply(200, body)
    const lenient = await requestCustomerData(connection, context)
    expect(lenient.ok && lenient.rendered.warnings).toHaveLength(1)
    expect(failure(await requestCustomerData(connection, context, { strict: true }))).toMatchObject({ kind: 'template_error' })
  })

  it("says which refusal it was: a wrong secret and a skewed clock both answer 401, with different errors", async () => {
    nock(ORIGIN).get(/^\/yetto\//).reply(401, { error: 'mismatch', message: 'signature does not match' })
    const wrongSecret = failure(await requestCustomerData(connection, context))
    expect(wrongSecret).toMatchObject({ kind: 'http_status', status: 401, endpointError: 'mismatch' })
    expect(wrongSecret?.message).toMatch(/HTTP 401 \("error": "mismatch": the endpoint verifies with another signing secret\)/)
    nock(ORIGIN).get(/^\/yetto\//).reply(401, { error: 'stale' })
    const skewed = failure(await requestCustomerData(connection, context))
    expect(skewed).toMatchObject({ kind: 'http_status', status: 401, endpointError: 'stale' })
    expect(skewed?.message).toMatch(/freshness window; check both clocks/)
    // Only a plain token is the endpoint's error code: markup, long text and HTML pages are left out.
    nock(ORIGIN).get(/^\/yetto\//).reply(401, { error: '<img src=x onerror=alert(1)>' })
    nock(ORIGIN).get(/^\/yetto\//).reply(503, '<html><body>Service Unavailable</body></html>', { 'content-type': 'text/html' })
    for (let i = 0; i < 2; i++) {
      const plain = failure(await requestCustomerData(connection, context))
      expect(plain?.endpointError).toBeUndefined()
      expect(plain?.message).toMatch(/^the endpoint answered HTTP (401|503)$/)
    }
  })

  it('tells the budgeted figure (answeredInMs: until the last byte) from the whole call (latencyMs)', async () => {
    nock(ORIGIN).get(/^\/yetto\//).delay(150).reply(200, seed, { 'content-type': 'application/json' })
    const result = await requestCustomerData(connection, context)
    expect(result.ok).toBe(true)
    expect(result.answeredInMs).toBeGreaterThanOrEqual(140)
    expect(result.latencyMs).toBeGreaterThanOrEqual(result.answeredInMs)
  })

  it('refuses misuse (a bad URL) by throwing, not by a failure result', async () => {
    await expect(requestCustomerData({ url: 'not a url', secret: 'x' }, context)).rejects.toMatchObject({ code: 'CKIT_SIG_INVALID_URL' })
  })
})

describe('requestCustomerData against a real endpoint (socket-level faults)', () => {
  let mock: RunningMock
  let streaming: Server
  let streamingUrl: string
  beforeAll(async () => {
    mock = await startMock({ port: 0, secret: 'client-secret' })
    // Chunked, no Content-Length: only a streaming cap can stop it.
    streaming = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"version":"2024-03-06","customer":{"pad":"')
      const chunk = 'x'.repeat(64 * 1024)
      let sent = 0
      const pump = () => {
        while (sent < 40 && res.write(chunk)) sent++
        if (sent < 40) res.once('drain', pump)
        else res.end('"},"sections":[]}')
      }
      pump()
    })
    await new Promise<void>((resolve) => streaming.listen(0, '127.0.0.1', resolve))
    streamingUrl = `http://127.0.0.1:${(streaming.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await mock.close()
    await new Promise((resolve) => streaming.close(resolve))
  })

  const viaMock = (scenario: string, timeoutMs = 1000) =>
    requestCustomerData({ url: mock.url, secret: 'client-secret' }, context, { timeoutMs, headers: { 'X-Mock-Scenario': scenario } })

  it('ok', async () => expect((await viaMock('ok')).ok).toBe(true))
  it('reset → network', async () => expect(failure(await viaMock('reset'))).toMatchObject({ kind: 'network' }))
  it('too-large → too_large', async () => expect(failure(await viaMock('too-large'))).toMatchObject({ kind: 'too_large' }))
  it('truncated-json → invalid_json', async () => expect(failure(await viaMock('truncated-json'))).toMatchObject({ kind: 'invalid_json' }))
  it('status:500 → http_status', async () => expect(failure(await viaMock('status:500'))).toMatchObject({ kind: 'http_status', status: 500 }))
  it('schema-invalid:missing-customer → schema_invalid', async () => expect(failure(await viaMock('schema-invalid:missing-customer'))).toMatchObject({ kind: 'schema_invalid', pointers: ['/customer'] }))
  it('slow drip past the budget → timeout', async () => expect(failure(await viaMock('drip:10:100', 400))).toMatchObject({ kind: 'timeout' }))
  it('a chunked body without Content-Length is cut at the cap → too_large', async () => {
    const result = await requestCustomerData({ url: streamingUrl, secret: 'x' }, context)
    expect(failure(result)).toMatchObject({ kind: 'too_large', message: expect.stringContaining('passed the') })
  })
  it('a refused port → network', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    await new Promise((resolve) => server.close(resolve))
    expect(failure(await requestCustomerData({ url: `http://127.0.0.1:${port}`, secret: 'x' }, context))).toMatchObject({ kind: 'network', message: expect.stringContaining('ECONNREFUSED') })
  })

  it('a hanging endpoint is reported as timeout when the 3 s budget runs out (an injected timer, no waiting)', async () => {
    let armed: { ms: number; fire: () => void } | undefined
    const timer = { setTimeout: (fire: () => void, ms: number) => ((armed = { ms, fire }), 1), clearTimeout: () => {} }
    const pending = requestCustomerData({ url: mock.url, secret: 'client-secret' }, context, { headers: { 'X-Mock-Scenario': 'hang' }, timer })
    await expect.poll(() => mock.app.ckitMock.held.size).toBeGreaterThan(0)
    expect(armed?.ms).toBe(3000)
    armed!.fire()
    expect(failure(await pending)).toMatchObject({ kind: 'timeout', message: 'no complete answer within 3000 ms' })
  })

  it.each([
    ['timeoutMs', Number.NaN],
    ['timeoutMs', 0],
    ['timeoutMs', '3000'],
    ['maxResponseBytes', -1],
    ['maxResponseBytes', 1.5],
    ['strict', 'yes'],
    ['headers', { 'x-a': 1 }],
    ['timer', {}],
  ])('checks client option %s = %j up front (CKIT_CLIENT_INVALID_OPTION), before any request', async (name, value) => {
    await expect(requestCustomerData({ url: mock.url, secret: 'client-secret' }, context, { [name]: value } as never)).rejects.toMatchObject({ code: 'CKIT_CLIENT_INVALID_OPTION', message: expect.stringContaining(name) })
    await expect(testConnection({ url: mock.url, secret: 'client-secret' }, { [name]: value } as never)).rejects.toMatchObject({ code: 'CKIT_CLIENT_INVALID_OPTION' })
  })

  it('testConnection passes the challenge, and reports bad_challenge for a wrong echo', async () => {
    expect(await testConnection({ url: mock.url, secret: 'client-secret' })).toMatchObject({ ok: true })
    expect(await testConnection({ url: mock.url, secret: 'client-secret' }, { headers: { 'X-Mock-Scenario': 'wrong-challenge' } })).toMatchObject({ ok: false, error: { kind: 'bad_challenge' } })
    expect(await testConnection({ url: mock.url, secret: 'wrong-secret' })).toMatchObject({ ok: false, error: { kind: 'http_status', status: 401 } })
  })
})
