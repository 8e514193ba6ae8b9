import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { requestCustomerData } from '../../src/client/index.js'
import { CONFORMANCE_DEFAULTS } from '../../src/conformance/index.js'
import { createRecorder, startProxy, type ProxyVerdict, type RunningProxy } from '../../src/desk/index.js'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import { validate } from '../../src/schema/index.js'
import { buildSignedRequest } from '../../src/signature/index.js'

const running: (RunningMock | RunningProxy)[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.close()
})
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const context = (email: string) => ({ reason: 'refresh' as const, requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email } })

async function through(scenario: string | undefined, errors: boolean, onExchange?: (v: ProxyVerdict, r: never) => void) {
  const mock = await startMock({ port: 0, secret: 's3cret', ...(scenario ? { scenario } : {}) })
  running.push(mock)
  const verdicts: ProxyVerdict[] = []
  const proxy = await startProxy({ upstream: mock.url, port: 0, secret: 's3cret', errors, onExchange: (v, r) => void (verdicts.push(v), onExchange?.(v, r as never)) })
  running.push(proxy)
  const get = async (email: string) => {
    const request = buildSignedRequest({ url: proxy.url, secret: 's3cret', context: context(email) })
    return fetch(request.url, { headers: request.headers })
  }
  return { get, verdicts, mock, proxy }
}

describe('ckit proxy', () => {
  it('passes a valid answer through unchanged, with a verdict', async () => {
    const { get, verdicts, mock } = await through(undefined, true)
    const viaProxy = await (await get('kelly@example.com')).text()
    const request = buildSignedRequest({ url: mock.url, secret: 's3cret', context: context('kelly@example.com') })
    expect(viaProxy).toBe(await (await fetch(request.url, { headers: request.headers })).text())
    expect(verdicts[0]).toMatchObject({ email: 'kelly@example.com', signature: 'ok', status: 200, ok: true, answered: 'passed-through' })
  })

  it('turns a schema-invalid answer into a 502 problem+json naming the pointer (with --errors), or passes it on and logs it', async () => {
    const strict = await through('schema-invalid:wrong-version', true)
    const answer = await strict.get('kelly@example.com')
    expect(answer.status).toBe(502)
    expect(answer.headers.get('content-type')).toBe('application/problem+json')
    expect(await answer.json()).toMatchObject({ status: 502, errors: [expect.objectContaining({ pointer: '/version' })] })
    const lenient = await through('schema-invalid:wrong-version', false)
    expect((await lenient.get('kelly@example.com')).status).toBe(200)
    expect(lenient.verdicts[0]).toMatchObject({ ok: false, answered: 'passed-through', problems: [expect.objectContaining({ pointer: '/version' })] })
  })

  it('answers an upstream that hangs with a 504 problem+json within the budget, and resets the client when the upstream resets', async () => {
    const hang = await through('hang', false)
    const budget = CONFORMANCE_DEFAULTS.budgetMs
    const started = performance.now()
    const answer = await hang.get('kelly@example.com')
    const elapsed = performance.now() - started
    expect(answer.status).toBe(504)
    expect(await answer.json()).toMatchObject({ title: 'The customer endpoint did not answer in time', detail: `/: no complete answer within ${budget} ms` })
    // The whole budget is waited out (a timer may fire a millisecond early), and barely more.
    expect(hang.verdicts[0]).toMatchObject({ status: null, ok: false, answered: 'problem' })
    expect(hang.verdicts[0]!.latencyMs).toBeGreaterThanOrEqual(budget - 1)
    expect(elapsed).toBeLessThan(budget + 1000)
    await expect((await through('reset', false)).get('kelly@example.com')).rejects.toThrow(/fetch failed/)
  })
})

describe('ckit proxy judges and faults refusals as the client reads them', () => {
  it('a 404 whose customer_not_found lies past the 4096 bytes the client reads is not ok (big or padded); one within them is', async () => {
    const bodies: Record<string, string> = {
      'big@unknown.invalid': JSON.stringify({ error: 'customer_not_found', debug: 'x'.repeat(6000) }),
      'padded@unknown.invalid': ' '.repeat(5000) + '{"error":"customer_not_found"}',
      'plain@unknown.invalid': '{"error":"customer_not_found"}',
    }
    const upstream = createServer((req, res) => {
      const email = (JSON.parse(Buffer.from(req.url!.split('/').pop()!, 'base64url').toString()) as { requester: { email: string } }).requester.email
      res.writeHead(404, { 'content-type': 'application/json' }).end(bodies[email])
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    running.push({ url: '', close: () => new Promise<void>((resolve) => (upstream.closeAllConnections(), upstream.close(() => resolve()))) })
    const verdicts: ProxyVerdict[] = []
    const proxy = await startProxy({ upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/yetto`, port: 0, secret: 's3cret', onExchange: (v) => void verdicts.push(v) })
    running.push(proxy)
    const kinds: string[] = []
    for (const email of Object.keys(bodies)) {
      const result = await requestCustomerData({ url: proxy.url, secret: 's3cret' }, context(email))
      kinds.push(result.ok ? 'ok' : result.error.kind)
    }
    expect(kinds).toEqual(['http_status', 'http_status', 'not_found'])
    expect(verdicts.map((v) => v.ok)).toEqual([false, false, true])
    for (const verdict of verdicts.slice(0, 2)) expect(verdict.problems).toEqual([{ pointer: '', message: expect.stringMatching(/reads only the first 4096 of an error answer.*\(http_status\), not .*\(not_found\)$/) }])
  })

  it.each(['wrong-challenge', 'truncated-json', 'schema-invalid:wrong-version', 'too-large', 'drip:2:10'])('%s leaves an upstream refusal alone: an unsigned request gets the 401, and the verdict is not ok', async (scenario) => {
    const { verdicts, mock, proxy } = await through(undefined, false)
    const pathParameter = new URL(buildSignedRequest({ url: mock.url, secret: 's3cret', context: context('kelly@example.com') }).url).pathname.split('/').pop()!
    const direct = await fetch(`${mock.url}${pathParameter}`)
    const answer = await fetch(`${proxy.url}${pathParameter}`, { headers: { 'X-Mock-Scenario': scenario } })
    expect(answer.status).toBe(401)
    expect(await answer.text()).toBe(await direct.text())
    expect(verdicts[0]).toMatchObject({ status: 401, ok: false, answered: 'passed-through', scenario, scenarioSource: 'header' })
  })

  it('drip keeps the status of the answer it drips: a signed unknown customer stays not_found', async () => {
    const { verdicts, proxy } = await through(undefined, false)
    const result = await requestCustomerData({ url: proxy.url, secret: 's3cret' }, context('nobody@unknown.invalid'), { headers: { 'X-Mock-Scenario': 'drip:2:10' } })
    expect(result).toMatchObject({ ok: false, error: { kind: 'not_found' } })
    expect(verdicts[0]).toMatchObject({ status: 404, ok: true })
  })
})

describe('ckit record', () => {
  it('saves answers as mock fixtures with redactions, never overwrites without --force, and they replay through the mock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckit-record-'))
    dirs.push(dir)
    const record = createRecorder({ dir, redact: ['/email', '/organization/domain'], secret: 's3cret' })
    const outcomes: unknown[] = []
    const { get } = await through(undefined, false, (v, r) => void outcomes.push(record(v, r)))
    await get('kelly@example.com')
    await get('someone.new@example.org')
    await get('kelly@example.com')
    expect(outcomes).toEqual([
      { saved: join(dir, 'customers', 'kelly@example.com.json') },
      { saved: join(dir, 'customers', 'someone.new@example.org.json') },
      expect.objectContaining({ skipped: 'kelly@example.com', reason: expect.stringMatching(/--force overwrites/) }),
    ])
    const kelly = JSON.parse(readFileSync(join(dir, 'customers', 'kelly@example.com.json'), 'utf8')) as { email: string; name: string }
    expect(kelly.email).toBe('[redacted]')
    expect(existsSync(join(dir, 'sections.json')) && existsSync(join(dir, 'customer.schema.json'))).toBe(true)
    // Replay: the recorded folder is a mock data folder.
    const replay = await startMock({ port: 0, secret: 'k', dataDir: dir })
    running.push(replay)
    const request = buildSignedRequest({ url: replay.url, secret: 'k', context: context('kelly@example.com') })
    const body = (await (await fetch(request.url, { headers: request.headers })).json()) as { customer: { name: string } }
    expect(validate('response', body).valid).toBe(true)
    expect(body.customer.name).toBe(kelly.name)
  })

  it('refuses redactions that are not JSON pointers', () => {
    expect(() => createRecorder({ dir: join(tmpdir(), 'ckit-never'), redact: ['email'] })).toThrow(expect.objectContaining({ code: 'CKIT_DESK_INVALID_OPTION', option: 'redact' }))
  })
})
