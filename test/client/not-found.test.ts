import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { classifyAnswer, CustomerPanel, ERROR_BODY_LIMIT, requestCustomerData } from '../../src/client/index.js'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import { cli } from '../helpers.js'

/** docs/protocol.md: an unknown customer is 404 {"error": "customer_not_found"}, its own outcome. */
describe('an unknown customer', () => {
  let mock: RunningMock
  beforeAll(async () => {
    mock = await startMock({ port: 0 })
  })
  afterAll(() => mock.close())
  const context = (email: string) => ({ reason: 'refresh' as const, requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email } })

  it('the mock answers 404 customer_not_found for the reserved .invalid domain, and the client reports not_found', async () => {
    const result = await requestCustomerData({ url: mock.url, secret: mock.secret }, context('nobody@unknown.invalid'))
    expect(result).toMatchObject({ ok: false, error: { kind: 'not_found', status: 404, message: 'no customer record for nobody@unknown.invalid' } })
  })

  it('the panel shows it as its own state: no error card, no earlier data', async () => {
    const panel = new CustomerPanel({ url: mock.url, secret: mock.secret }, { inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email: 'nobody@unknown.invalid' } })
    expect(await panel.open()).toMatchObject({ status: 'not_found', message: 'no customer record for nobody@unknown.invalid' })
    expect(panel.html()).toContain('No customer record for nobody@unknown.invalid.')
    expect(panel.html()).not.toContain('ckit-error')
  })

  it('a 404 without that body stays an http_status failure; ckit fetch exits 11 for not_found', async () => {
    const other = await requestCustomerData({ url: mock.url, secret: mock.secret }, context('kelly@example.com'), { headers: { 'X-Mock-Scenario': 'status:404' } })
    expect(other).toMatchObject({ ok: false, error: { kind: 'http_status', status: 404 } })
    const run = await cli(['fetch', mock.url, '--secret', mock.secret, '--email', 'nobody@unknown.invalid'])
    expect(run.code).toBe(11)
    expect(run.stderr).toMatch(/not_found: no customer record for nobody@unknown.invalid/)
  })
})

/** One source of truth: the verdict tools judge a refusal with the client's own classifyAnswer. */
describe('classifyAnswer (the client reads only ERROR_BODY_LIMIT bytes of a refusal)', () => {
  const notFound = '{"error":"customer_not_found"}'
  const bigBody = JSON.stringify({ error: 'customer_not_found', debug: 'x'.repeat(6000) })
  const padded = ' '.repeat(5000) + notFound
  const fits = JSON.stringify({ error: 'customer_not_found', debug: 'x'.repeat(ERROR_BODY_LIMIT - notFound.length - 11) })

  it('a 404 customer_not_found within the cap is not_found; past it, http_status saying why', () => {
    expect(Buffer.byteLength(fits)).toBe(ERROR_BODY_LIMIT)
    expect(classifyAnswer(404, Buffer.from(fits))).toEqual({ kind: 'not_found' })
    for (const body of [bigBody, padded]) {
      expect(classifyAnswer(404, Buffer.from(body))).toEqual({ kind: 'http_status', cappedAway: expect.stringMatching(/reads only the first 4096 of an error answer.*http_status/) })
    }
    expect(classifyAnswer(200, Buffer.from(bigBody))).toEqual({ kind: 'ok' })
    expect(classifyAnswer(401, Buffer.from('{"error":"stale"}'))).toEqual({ kind: 'http_status', endpointError: 'stale' })
    // Only a reading the cap changed is explained: a long 401 is an error either way.
    expect(classifyAnswer(401, Buffer.from(JSON.stringify({ error: 'missing', pad: 'x'.repeat(6000) })))).toEqual({ kind: 'http_status' })
  })

  it('agrees with what requestCustomerData reports for the same answers', async () => {
    const bodies = [fits, bigBody, padded]
    const server = createServer((req, res) => void res.writeHead(404, { 'content-type': 'application/json' }).end(bodies[Number(req.headers['x-body'])]))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/yetto`
      const kinds = []
      for (const i of [0, 1, 2]) {
        const result = await requestCustomerData({ url, secret: 's3cret' }, { reason: 'refresh', requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email: 'nobody@unknown.invalid' } }, { headers: { 'x-body': String(i) } })
        kinds.push(result.ok ? 'ok' : result.error.kind)
      }
      expect(kinds).toEqual(bodies.map((body) => classifyAnswer(404, Buffer.from(body)).kind))
      expect(kinds).toEqual(['not_found', 'http_status', 'http_status'])
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
