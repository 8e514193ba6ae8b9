import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import { createHmac } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { CHECK_NAMES, CONFORMANCE_DEFAULTS, exchange, PROBE_CHECK_NAMES, runConformance, type CheckName, type CheckResult } from '../../src/conformance/index.js'
import { UNDERSCORE_CULPRITS, underscoreFix } from '../../src/conformance/underscores.js'
import { escapeXml } from '../../src/cli/format.js'
import { requestCustomerData } from '../../src/client/index.js'
import { compileScenarioConfig, startMock, type RunningMock } from '../../src/mock/index.js'
import { createRequestParser, decodeContext, pathParameterOf, type RequestParserOptions } from '../../src/signature/index.js'
import { cli, spawnUntil } from '../helpers.js'

/** Each fault the mock can produce is caught by the check named for it. */
const mocks: RunningMock[] = []
const servers: Server[] = []
afterAll(async () => {
  for (const mock of mocks) await mock.close()
  for (const server of servers) await new Promise((resolve) => server.close(resolve))
})
const quick = { requests: 2, concurrency: 2 }
const check = (checks: readonly CheckResult[], name: CheckName) => checks.find((c) => c.name === name)

/** Serves on a free port until the file's tests end. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
const RESPONSE = { version: '2024-03-06', customer: { id: 'customer_1', name: 'Kelly' }, sections: [{ type: 'list', title: 'Account', items: [{ description: 'Name', value: '{{ data.customer.name }}' }] }] }

/**
 * A correct endpoint (what examples/ do), with one behaviour swapped out per test: `answer` takes
 * any request first (true: answered), `refused` answers what the parser refuses, `unknown` a
 * customer it does not know, `known` may take kelly's request (true: answered).
 */
function endpoint(overrides: { parser?: Partial<RequestParserOptions>; refused?: (res: ServerResponse, reason: string, message: string) => void; unknown?: (res: ServerResponse) => void; answer?: (req: IncomingMessage, res: ServerResponse) => boolean; known?: (res: ServerResponse) => boolean } = {}) {
  const parse = createRequestParser({ secret: 's3cret', ...overrides.parser })
  return serve((req, res) => {
    if (overrides.answer?.(req, res)) return
    const result = parse(req.url ?? '/', req.headers)
    if (!result.ok) return overrides.refused ? overrides.refused(res, result.reason, result.message) : json(res, result.status, { error: result.reason, message: result.message })
    if (result.isChallenge) return json(res, 200, { challenge: result.context.challenge })
    if (result.context.requester?.email !== 'kelly@example.com') return overrides.unknown ? overrides.unknown(res) : json(res, 404, { error: 'customer_not_found' })
    if (overrides.known?.(res)) return
    json(res, 200, RESPONSE)
  })
}

async function checksAgainst(options: Parameters<typeof startMock>[0]) {
  const mock = await startMock({ port: 0, secret: 's3cret', ...options })
  mocks.push(mock)
  return runConformance({ url: mock.url, secret: 's3cret', ...quick })
}

describe.concurrent('ckit conformance against the mock', () => {
  it('the ok scenario passes every check', async () => {
    const checks = await checksAgainst({})
    expect(checks.filter((c) => c.status !== 'pass')).toEqual([])
    expect(checks.map((c) => c.name)).toEqual([...CHECK_NAMES])
  })

  it('a run sends 42 requests plus 2 × --requests, as docs/cli.md says', async () => {
    let count = 0
    const url = await endpoint({ answer: () => (count++, false) })
    await runConformance({ url, secret: 's3cret', requests: 3, concurrency: 2 })
    expect(count).toBe(42 + 2 * 3)
    expect(readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8')).toMatch(/A run sends 42 requests plus\s+2 × `--requests` \(62 with the defaults\)/)
    expect(42 + 2 * CONFORMANCE_DEFAULTS.requests).toBe(62)
  })

  it('a correct endpoint of our own passes every check (the baseline for the broken ones below)', async () => {
    const checks = await runConformance({ url: await endpoint(), secret: 's3cret', ...quick })
    expect(checks.filter((c) => c.status !== 'pass')).toEqual([])
  })

  // 3.5 s, 4 s and forever for every signed request (the mock refuses unsigned and forged ones at
  // once, which are answers): a check that needed a signed answer never passes, nor merely warns.
  it.each(['timeout', 'hang', 'drip:4:1000'])('%s: a check that got no answer never passes, nor merely warns', { timeout: 60_000 }, async (scenario) => {
    const checks = await checksAgainst({ scenario })
    expect(checks.map((c) => c.name)).toEqual([...CHECK_NAMES])
    expect(checks.filter((c) => c.status !== 'fail').map((c) => [c.name, c.status]), JSON.stringify(checks)).toEqual([['rejects-unsigned', 'pass'], ['rejects-forged', 'pass']])
    for (const name of ['signed-request', 'rejects-stale', 'latency', 'unknown-customer', 'underscore-headers'] as const) {
      expect(check(checks, name)?.reason, name).toMatch(/no complete answer within 3000 ms/)
      expect(check(checks, name)?.fix, name).toMatch(/answer within 3 s/)
    }
  })

  it('an endpoint that never answers fails every check, each saying so', { timeout: 60_000 }, async () => {
    const checks = await runConformance({ url: await serve(() => {}), secret: 's3cret', ...quick })
    expect(checks.map((c) => c.name)).toEqual([...CHECK_NAMES])
    expect(checks.filter((c) => c.status !== 'fail'), JSON.stringify(checks)).toEqual([])
    for (const c of checks) expect(c.reason, c.name).toMatch(/no complete answer within 3000 ms/)
  })

  it.each([
    ['status:503', 'signed-request'],
    ['status:500', 'signed-request'],
    ['html-error-page', 'content-type'],
    ['malformed-json', 'json'],
    ['empty-body', 'json'],
    ['truncated-json', 'json'],
    ['too-large', 'size'],
    ['reset', 'reachable'],
    ['wrong-challenge', 'challenge'],
    ['schema-invalid:wrong-version', 'schema'],
    ['schema-invalid:missing-customer', 'schema'],
    ['schema-invalid:link-without-href', 'schema'],
    ['schema-invalid:too-many-sections', 'schema'],
    ['schema-invalid:undefined-variable', 'templates'],
    ['schema-invalid:template-syntax', 'templates'],
    ['schema-invalid:unsafe-href', 'links'],
  ] as [string, CheckName][])('%s fails %s', async (scenario, check) => {
    const checks = await checksAgainst({ scenario })
    expect(checks.find((c) => c.name === check), JSON.stringify(checks)).toMatchObject({ status: 'fail', fix: expect.any(String) })
    // A fix is something to do, not a cross-reference.
    for (const c of checks.filter((c) => c.status !== 'pass')) expect(c.fix, c.name).not.toMatch(/^see /)
  })

  it('an endpoint that serves data without checking signatures fails rejects-unsigned and rejects-forged', async () => {
    // The mock still checks freshness without verifying signatures: rejects-stale passes.
    const checks = await checksAgainst({ verify: false })
    expect(checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['rejects-unsigned', 'rejects-forged'])
  })

  it('an endpoint with no freshness check fails rejects-stale, and only that, with the fix', async () => {
    const checks = await checksAgainst({ toleranceSeconds: Infinity })
    expect(checks.filter((c) => c.status !== 'pass').map((c) => c.name)).toEqual(['rejects-stale'])
    expect(check(checks, 'rejects-stale')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/requested_at is 6 minutes old was answered HTTP 200 with data/), fix: expect.stringMatching(/requested_at is more than 5 minutes from now, in either direction and for every reason, with 401/) })
  })

  it('a stale refusal from an endpoint that refuses fresh requests too proves nothing: ⚠, never ✔', async () => {
    const checks = await runConformance({ url: await endpoint({ parser: { secret: 'another-secret' } }), secret: 's3cret', ...quick })
    expect(check(checks, 'signed-request')).toMatchObject({ status: 'fail' })
    expect(check(checks, 'rejects-stale')).toMatchObject({ status: 'warn', reason: expect.stringMatching(/cannot tell whether the endpoint checks freshness: the same request stamped now got HTTP 401 .* too/) })
    expect(check(checks, 'challenge')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/^the challenge is signed like every request: verify it with the secret/) })
  })

  it('a challenge answered from a cache of the first one fails challenge on the first run (red team: challenge-cached)', async () => {
    const parse = createRequestParser({ secret: 's3cret' })
    let cached: string | undefined
    const url = await endpoint({
      answer: (req, res) => {
        const parsed = parse(req.url ?? '/', req.headers)
        if (!parsed.ok || !parsed.isChallenge) return false
        cached ??= parsed.context.challenge
        json(res, 200, { challenge: cached })
        return true
      },
    })
    const checks = await runConformance({ url, secret: 's3cret', ...quick })
    expect(check(checks, 'challenge')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/^the first challenge was echoed, but challenge 2 \(another random string\) got bad_challenge: the response echoed a different challenge/), fix: expect.stringMatching(/never cache or replay a challenge answer/) })
    expect(checks.filter((c) => c.status !== 'pass').map((c) => c.name)).toEqual(['challenge'])
  })

  it('an unsigned request left unanswered fails rejects-unsigned (no answer is not a refusal)', async () => {
    const url = await endpoint({ answer: (req) => req.headers['x_yetto_signature'] === undefined })
    const checks = await runConformance({ url, secret: 's3cret', ...quick })
    expect(check(checks, 'rejects-unsigned')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/no complete answer within 3000 ms/) })
    expect(check(checks, 'rejects-forged')).toMatchObject({ status: 'pass' })
  })

  it('an endpoint that refuses a missing signature with 400 rather than 401 gets a warning, not a pass', async () => {
    const url = await endpoint({ refused: (res, reason, message) => json(res, reason === 'missing' ? 400 : 401, { error: reason, message }) })
    const checks = await runConformance({ url, secret: 's3cret', ...quick })
    expect(check(checks, 'rejects-unsigned')).toMatchObject({ status: 'warn', reason: expect.stringMatching(/got HTTP 400 \(Content-Type application\/json\) rather than a refusal/) })
  })

  /** The context a request carries, read without verifying anything (as a broken endpoint does). */
  const contextOf = (req: IncomingMessage) => {
    const decoded = decodeContext(pathParameterOf(req.url ?? '/'))
    return decoded.ok ? decoded.context : undefined
  }
  const unsigned = (req: IncomingMessage) => req.headers['x_yetto_signature'] === undefined

  describe('refusal probes cover every reason the help desk sends (red team: refresh_unsigned, challenge_unsigned)', () => {
    it.each([
      ['refresh', ['refresh', 'automation']],
      ['challenge', ['challenge']],
    ] as const)('an endpoint that skips the signature for %s fails rejects-unsigned', async (_name, skipped) => {
      // Verifies only what a sidebar view sends; the skipped reasons get data (or the echo) unsigned.
      const url = await endpoint({
        answer: (req, res) => {
          const context = contextOf(req)
          if (!context || !unsigned(req) || !(skipped as readonly string[]).includes(context.reason)) return false
          if (context.reason === 'challenge') json(res, 200, { challenge: context.challenge })
          else json(res, 200, RESPONSE)
          return true
        },
      })
      const checks = await runConformance({ url, secret: 's3cret', ...quick })
      expect(check(checks, 'rejects-unsigned')).toMatchObject({ status: 'fail', reason: expect.stringMatching(new RegExp(`without X_YETTO_SIGNATURE \\(reason ${skipped[0]}\\) was answered HTTP 200 with data`)) })
      expect(check(checks, 'rejects-forged')).toMatchObject({ status: 'pass' })
      expect(check(checks, 'challenge')).toMatchObject({ status: 'pass' })
    })

    it('a forged signature accepted for automation fails rejects-forged', async () => {
      const url = await endpoint({ answer: (req, res) => (contextOf(req)?.reason === 'automation' && !unsigned(req) ? (json(res, 200, RESPONSE), true) : false) })
      const checks = await runConformance({ url, secret: 's3cret', ...quick })
      expect(check(checks, 'rejects-forged')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/wrong X_YETTO_SIGNATURE, an all-zero digest \(reason automation\) was answered HTTP 200/) })
      expect(check(checks, 'rejects-unsigned')).toMatchObject({ status: 'pass' })
    })
  })

  describe('rejects-forged sends the signatures hand-written checks accept (red team: prefix-compare, empty-key-fallback)', () => {
    const digest = (key: string, param: string) => createHmac('sha256', key).update(param).digest('hex')
    /** Accepts what `accepts` says of the hex sent and the right digest (keyed with s3cret), and whatever the parser accepts. */
    const accepting = (accepts: (given: string, param: string) => boolean) =>
      endpoint({
        answer: (req, res) => {
          const given = /^sha256=([0-9a-f]*)$/.exec(String(req.headers['x_yetto_signature'] ?? ''))?.[1]
          const param = pathParameterOf(req.url ?? '/')
          if (given === undefined || !contextOf(req) || given === digest('s3cret', param) || !accepts(given, param)) return false
          json(res, 200, RESPONSE)
          return true
        },
      })
    it.each([
      ['a prefix of the digest', (given: string, param: string) => digest('s3cret', param).startsWith(given), /an empty digest \(reason conversation_viewed\) was answered HTTP 200 with data/],
      ['a prefix of at least 32 hex digits', (given: string, param: string) => given.length >= 32 && digest('s3cret', param).startsWith(given), /the first 32 hex digits of the right digest \(reason conversation_viewed\) was answered HTTP 200/],
      ['a prefix of at least 33 hex digits', (given: string, param: string) => given.length >= 33 && digest('s3cret', param).startsWith(given), /the right digest without its last hex digit \(reason conversation_viewed\) was answered HTTP 200/],
      ['the HMAC keyed with an unset old secret', (given: string, param: string) => given === digest('', param), /the HMAC keyed with an empty secret \(reason conversation_viewed\) was answered HTTP 200/],
    ])('an endpoint that accepts %s fails rejects-forged, and only that', async (_name, accepts, reason) => {
      const checks = await runConformance({ url: await accepting(accepts), secret: 's3cret', ...quick })
      expect(check(checks, 'rejects-forged')).toMatchObject({ status: 'fail', reason: expect.stringMatching(reason), fix: expect.stringMatching(/^refuse a request whose signature is missing or wrong with 401/) })
      expect(checks.filter((c) => c.status !== 'pass').map((c) => c.name)).toEqual(['rejects-forged'])
    })

    it('an endpoint that checks only the shape of a digest (and refuses all zeros) fails rejects-forged', async () => {
      const checks = await runConformance({ url: await accepting((given) => given.length === 64 && !/^0+$/.test(given)), secret: 's3cret', ...quick })
      expect(check(checks, 'rejects-forged')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/the HMAC keyed with an empty secret \(reason conversation_viewed\) was answered HTTP 200/) })
    })
  })

  describe('rejects-stale covers both sides of the window (red team: future_ok, window599)', () => {
    it('an endpoint that refuses only old contexts fails on one from the future', async () => {
      const url = await endpoint({
        parser: { toleranceSeconds: Infinity },
        answer: (req, res) => {
          const context = contextOf(req)
          if (!context || Date.now() - Date.parse(context.requested_at) <= 300_000) return false
          json(res, 401, { error: 'stale', message: 'too old' })
          return true
        },
      })
      const checks = await runConformance({ url, secret: 's3cret', ...quick })
      expect(check(checks, 'rejects-stale')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/requested_at is 6 minutes in the future was answered HTTP 200 with data/) })
      expect(checks.filter((c) => c.status !== 'pass').map((c) => c.name)).toEqual(['rejects-stale'])
    })

    /** Checks freshness itself: refuses a context `pastSeconds` old or `futureSeconds` ahead, for the reasons `checked` names. */
    const freshness = (pastSeconds: number, futureSeconds: number, checked: (reason: string) => boolean = () => true) =>
      endpoint({
        parser: { toleranceSeconds: Infinity },
        answer: (req, res) => {
          const context = contextOf(req)
          const ahead = context ? (Date.parse(context.requested_at) - Date.now()) / 1000 : 0
          if (!context || !checked(context.reason) || (ahead <= futureSeconds && -ahead <= pastSeconds)) return false
          json(res, 401, { error: 'stale', message: 'outside the window' })
          return true
        },
      })

    it('a window of 599 s into the future fails: the future probe is 6 minutes ahead (red team: future-window-599)', async () => {
      const checks = await runConformance({ url: await freshness(300, 599), secret: 's3cret', ...quick })
      expect(check(checks, 'rejects-stale')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/\(reason conversation_viewed\) whose requested_at is 6 minutes in the future was answered HTTP 200 with data/) })
      expect(checks.filter((c) => c.status !== 'pass').map((c) => c.name)).toEqual(['rejects-stale'])
    })

    it.each(['refresh', 'automation', 'challenge'])('freshness skipped for reason %s fails rejects-stale, naming the reason (red team: fresh-only-viewed)', async (skipped) => {
      const checks = await runConformance({ url: await freshness(300, 300, (reason) => reason !== skipped), secret: 's3cret', ...quick })
      expect(check(checks, 'rejects-stale')).toMatchObject({ status: 'fail', reason: expect.stringMatching(new RegExp(`\\(reason ${skipped}\\) whose requested_at is 6 minutes old was answered HTTP 200`)), fix: expect.stringMatching(/in either direction and for every reason/) })
      expect(checks.filter((c) => c.status !== 'pass').map((c) => c.name)).toEqual(['rejects-stale'])
    })

    it('the same endpoint checking every reason within 300 s passes', async () => {
      const checks = await runConformance({ url: await freshness(300, 300), secret: 's3cret', ...quick })
      expect(checks.filter((c) => c.status !== 'pass')).toEqual([])
    })

    it('a 599-second window fails: the past probe is 6 minutes old', async () => {
      const checks = await runConformance({ url: await endpoint({ parser: { toleranceSeconds: 599 } }), secret: 's3cret', ...quick })
      expect(check(checks, 'rejects-stale')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/requested_at is 6 minutes old was answered HTTP 200/) })
    })
  })

  it('an unsigned request with a garbage path parameter answered 400 fails rejects-unsigned: signature first (red team: order)', async () => {
    // Decodes the context before looking at the signature.
    const url = await endpoint({ answer: (req, res) => (contextOf(req) ? false : (json(res, 400, { error: 'malformed_context', message: 'not a context' }), true)) })
    const checks = await runConformance({ url, secret: 's3cret', ...quick })
    expect(check(checks, 'rejects-unsigned')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/path parameter is not a context got HTTP 400 .*not 401: the endpoint read the unverified context/), fix: expect.stringMatching(/^verify X_YETTO_SIGNATURE first/) })
  })

  it('an unsigned stale request answered 400 fails rejects-unsigned (freshness checked before the signature)', async () => {
    const url = await endpoint({
      answer: (req, res) => {
        const context = contextOf(req)
        if (!context || Math.abs(Date.now() - Date.parse(context.requested_at)) <= 300_000) return false
        json(res, 400, { error: 'stale', message: 'too old' })
        return true
      },
    })
    const checks = await runConformance({ url, secret: 's3cret', ...quick })
    expect(check(checks, 'rejects-unsigned')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/requested_at is 6 minutes old got HTTP 400 .*not 401/) })
  })

  describe('a refusal carries no customer data (red team: leak401)', () => {
    it.each([
      ['a "customer" key', (res: ServerResponse, reason: string, message: string) => json(res, 401, { error: reason, message, debug: { customer: RESPONSE.customer } }), /refused \(HTTP 401\), but the refusal carries customer data \(a "customer" key\)/],
      ['the customer\'s id in the text', (res: ServerResponse, reason: string) => res.writeHead(401, { 'content-type': 'text/plain' }).end(`${reason}: customer_1 may not be read`), /carries customer data \(the known customer's "customer_1"\)/],
    ])('%s fails rejects-unsigned and rejects-forged', async (_name, refused, reason) => {
      const checks = await runConformance({ url: await endpoint({ refused }), secret: 's3cret', ...quick })
      for (const name of ['rejects-unsigned', 'rejects-forged'] as const) expect(check(checks, name), name).toMatchObject({ status: 'fail', reason: expect.stringMatching(reason), fix: expect.stringMatching(/^verify the signature before looking up the customer/) })
    })

    // Red team (second round): leak-500, leak-302. Any non-2xx body reaches whoever sent the request.
    it.each([
      [500, {}],
      [302, { location: '/login' }],
    ])('an HTTP %i refusal whose body is the customer document fails rejects-unsigned and rejects-forged', async (status, headers) => {
      const refused = (res: ServerResponse, reason: string) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ error: reason, ...RESPONSE }))
      const checks = await runConformance({ url: await endpoint({ refused }), secret: 's3cret', ...quick })
      for (const name of ['rejects-unsigned', 'rejects-forged'] as const) {
        expect(check(checks, name), name).toMatchObject({ status: 'fail', reason: expect.stringMatching(new RegExp(`got HTTP ${status} \\(Content-Type application/json\\), and its body carries customer data \\(a "customer" key\\): anyone who knows the URL`)), fix: expect.stringMatching(/^verify the signature before looking up the customer/) })
      }
    })

    it('an HTTP 500 refusal past the size cap is still read for customer data', async () => {
      const refused = (res: ServerResponse) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${'x'.repeat(CONFORMANCE_DEFAULTS.maxResponseBytes - 100)} customer_1 ${'x'.repeat(1000)}`)
      const checks = await runConformance({ url: await endpoint({ refused }), secret: 's3cret', ...quick })
      expect(check(checks, 'rejects-forged')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/got HTTP 500 .*carries customer data \(the known customer's "customer_1"\)/) })
    })

    it('an HTTP 500 refusal without customer data stays a warning', async () => {
      const checks = await runConformance({ url: await endpoint({ refused: (res, reason) => json(res, 500, { error: reason }) }), secret: 's3cret', ...quick })
      expect(check(checks, 'rejects-forged')).toMatchObject({ status: 'warn', reason: expect.stringMatching(/got HTTP 500 \(Content-Type application\/json\) rather than a refusal/) })
    })
  })

  describe('unknown-customer: error answers must be JSON, as the client reads them', () => {
    it('agrees with the client: what ckit fetch reads as not_found passes, what it reads as http_status fails', async () => {
      for (const [padding, kind] of [[4096 - 30, 'not_found'], [4096 - 29, 'http_status']] as const) {
        const url = await endpoint({ unknown: (res) => res.writeHead(404, { 'content-type': 'application/json' }).end(`${' '.repeat(padding)}{"error":"customer_not_found"}`) })
        const fetched = await requestCustomerData({ url, secret: 's3cret' }, { reason: 'conversation_viewed', requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: '1' }, requester: { email: 'nobody@unknown.invalid' } })
        expect(fetched.ok ? 'ok' : fetched.error.kind, String(padding)).toBe(kind)
        const checks = await runConformance({ url, secret: 's3cret', ...quick })
        expect(check(checks, 'unknown-customer')?.status, String(padding)).toBe(kind === 'not_found' ? 'pass' : 'fail')
      }
    })

    it.each([
      ['an HTML 404 page', (res: ServerResponse) => res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><title>Not Found</title><h1>Cannot GET /yetto</h1>'), /HTTP 404 \(Content-Type text\/html; charset=utf-8\) whose body is not JSON/],
      ['the right body as text/plain', (res: ServerResponse) => res.writeHead(404, { 'content-type': 'text/plain' }).end('{"error":"customer_not_found"}'), /HTTP 404 \(Content-Type text\/plain\): the body is right, but not sent as JSON/],
      ['the right body with no Content-Type', (res: ServerResponse) => res.writeHead(404).end('{"error":"customer_not_found"}'), /HTTP 404 \(no Content-Type\): the body is right, but not sent as JSON/],
      ['a JSON 404 with another error', (res: ServerResponse) => json(res, 404, { error: 'not_found' }), /404 with "not_found" as "error", not "customer_not_found"/],
      ['a 500', (res: ServerResponse) => json(res, 500, { error: 'customer_not_found' }), /HTTP 500 .*not 404/],
      ['data', (res: ServerResponse) => json(res, 200, RESPONSE), /answered HTTP 200 with data/],
      // Red team (second round): big-404, padded-404. The client reads 4096 bytes of an error answer.
      ['a 404 customer_not_found with 6000 bytes of debug after it', (res: ServerResponse) => json(res, 404, { error: 'customer_not_found', debug: 'x'.repeat(6000) }), /HTTP 404 \(Content-Type application\/json\), but the 404 answer's body is 6\d{3} bytes and the help desk reads only the first 4096 of an error answer.*http_status/],
      ['a 404 customer_not_found after 5000 spaces', (res: ServerResponse) => res.writeHead(404, { 'content-type': 'application/json' }).end(`${' '.repeat(5000)}{"error":"customer_not_found"}`), /the 404 answer's body is 5030 bytes and the help desk reads only the first 4096/],
      ['silence', () => {}, /no complete answer within 3000 ms/],
    ])('%s fails it, saying what came back', { timeout: 15_000 }, async (_name, unknown, reason) => {
      const checks = await runConformance({ url: await endpoint({ unknown }), secret: 's3cret', ...quick })
      expect(check(checks, 'unknown-customer')).toMatchObject({ status: 'fail', reason: expect.stringMatching(reason), fix: expect.stringMatching(/404 with Content-Type: application\/json and \{"error": "customer_not_found"\}/) })
      expect(checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['unknown-customer'])
    })
  })

  it('signed requests answered 429 in the latency sample fail latency, with the status', async () => {
    // A rate limiter that lets two of every three known-customer requests through.
    let known = 0
    const url = await endpoint({ known: (res) => (++known % 3 === 0 ? (json(res, 429, { error: 'rate_limited' }), true) : false) })
    const checks = await runConformance({ url, secret: 's3cret', requests: 4, concurrency: 4 })
    expect(check(checks, 'signed-request')).toMatchObject({ status: 'pass' })
    expect(check(checks, 'latency')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/3 of 8 signed requests for known customers were answered HTTP 429, not 2xx/) })
  })

  describe('every answer in the latency sample is judged like the first (red team: flaky_content, flaky_ctype, conc_empty)', () => {
    const HTML = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops</html>')
    const UNSAFE = (res: ServerResponse) => json(res, 200, { ...RESPONSE, sections: [{ type: 'link', title: 'x', href: 'javascript:alert(1)' }] })
    it.each([
      ['an HTML page', HTML, /answers in the latency sample .* were 2xx but broken.*: Content-Type is "text\/html", not JSON/],
      ['a javascript: link', UNSAFE, /were 2xx but broken.*: the schema: \/sections\/0\/href: must start with/],
      ['a placeholder', (res: ServerResponse) => json(res, 200, { error: 'busy, try again' }), /were 2xx but broken.*: the schema: /],
    ])('from the third request on, %s fails latency while the first answer passes', async (_name, broken, reason) => {
      let known = 0
      const url = await endpoint({ known: (res) => (++known > 2 ? (broken(res), true) : false) })
      const checks = await runConformance({ url, secret: 's3cret', requests: 3, concurrency: 2 })
      expect(check(checks, 'schema')).toMatchObject({ status: 'pass' })
      expect(check(checks, 'latency')).toMatchObject({ status: 'fail', reason: expect.stringMatching(reason), fix: expect.stringMatching(/same valid JSON document, also several at once/) })
    })

    it('an answer broken only when requests overlap fails latency', async () => {
      let inFlight = 0
      const url = await endpoint({
        known: (res) => {
          inFlight++
          const busy = inFlight > 1
          setTimeout(() => {
            if (busy) json(res, 200, { error: 'busy, try again' })
            else json(res, 200, RESPONSE)
            inFlight--
          }, 30)
          return true
        },
      })
      const checks = await runConformance({ url, secret: 's3cret', requests: 4, concurrency: 4 })
      expect(check(checks, 'signed-request')).toMatchObject({ status: 'pass' })
      expect(check(checks, 'latency')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/^\d+ of 8 answers in the latency sample \(4 at once for half\) were 2xx but broken/) })
    })
  })

  it('a plain JSON body labelled Content-Encoding: gzip fails size and json with the decoding error, not "0 bytes" and "empty input" (red team: gzip-lie)', async () => {
    const url = await endpoint({ known: (res) => (res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(JSON.stringify(RESPONSE)), true) })
    const checks = await runConformance({ url, secret: 's3cret', ...quick })
    const undecodable = /the answer's gzip body cannot be decoded/
    expect(check(checks, 'size')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/^cannot measure kelly@example\.com's body: the answer's gzip body cannot be decoded/), fix: expect.stringMatching(/content-coding the help desk undoes/) })
    expect(check(checks, 'json')).toMatchObject({ status: 'fail', reason: expect.stringMatching(undecodable), fix: expect.stringMatching(/content-coding the help desk undoes/) })
    expect(check(checks, 'latency')).toMatchObject({ status: 'fail', reason: expect.stringMatching(undecodable) })
    for (const c of checks) expect(c.reason, c.name).not.toMatch(/empty input|largest 0 bytes/)
  })

  it('an unknown section type is a warning: a lenient help desk shows the rest', async () => {
    const mock = await startMock({ port: 0, secret: 's3cret' })
    mocks.push(mock)
    // Only the known customer's answer carries the new section type.
    const compiled = compileScenarioConfig({ rules: [{ match: 'kelly@example.com', scenario: 'schema-invalid:unknown-section-type' }] }, 1)
    if (compiled.ok) mock.app.ckitMock.scenarios.replace(compiled.book)
    const checks = await runConformance({ url: mock.url, secret: 's3cret', ...quick })
    expect(checks.find((c) => c.name === 'schema')).toMatchObject({ status: 'warn' })
    expect(checks.every((c) => c.status !== 'fail')).toBe(true)
  })

  it('diagnoses a proxy that drops headers with underscores', async () => {
    const mock = await startMock({ port: 0, secret: 's3cret' })
    mocks.push(mock)
    const target = new URL(mock.url)
    // Like nginx without underscores_in_headers: X_YETTO_SIGNATURE is dropped, X-Yetto-Signature passes.
    const proxy = createServer((req, res) => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !name.includes('_')))
      const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      req.pipe(upstream)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    servers.push(proxy)
    const checks = await runConformance({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`, secret: 's3cret', ...quick })
    expect(checks.find((c) => c.name === 'underscore-headers')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/underscores_in_headers on/) })
    // The dashed spelling is what the endpoint reads here, yet the help desk never sends it.
    expect(check(checks, 'underscore-headers')?.fix).toMatch(/sends only X_YETTO_SIGNATURE, so reading the header in either spelling cannot help/)
    expect(checks.find((c) => c.name === 'signed-request')).toMatchObject({ status: 'fail' })
  })

  /** In front of the mock: drops what `drop` names and answers with `server` as its Server header. */
  async function droppingProxy(drop: (name: string) => boolean, server?: string): Promise<string> {
    const mock = await startMock({ port: 0, secret: 's3cret' })
    mocks.push(mock)
    const target = new URL(mock.url)
    return serve((req, res) => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !drop(name)))
      const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...(server ? { server } : {}) })
        answer.pipe(res)
      })
      req.pipe(upstream)
    })
  }

  it('names the server that answered first: gunicorn and its header_map', async () => {
    const checks = await runConformance({ url: await droppingProxy((name) => name.includes('_'), 'gunicorn'), secret: 's3cret', ...quick })
    expect(check(checks, 'underscore-headers')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/The answer came from gunicorn \(Server: gunicorn\): gunicorn 22 or later: `header_map = "dangerous"`/) })
  })

  it('an endpoint that reads only X_YETTO_SIGNATURE behind a dropping server: its "missing" refusal gives it away', async () => {
    // Neither spelling reaches the code, and the refusal says the signature is missing.
    const url = await droppingProxy((name) => name.includes('_') || name === 'x-yetto-signature')
    const checks = await runConformance({ url, secret: 's3cret', ...quick })
    expect(check(checks, 'underscore-headers')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/X_YETTO_SIGNATURE was sent, but the endpoint answered HTTP 401 .* saying the signature is missing/) })
  })

  it('a wrong secret is not an underscore problem: ⚠ cannot tell, never ✖ or ✔', async () => {
    const checks = await runConformance({ url: await endpoint({ parser: { secret: 'another-secret' } }), secret: 's3cret', ...quick })
    expect(check(checks, 'underscore-headers')).toMatchObject({ status: 'warn', reason: expect.stringMatching(/cannot tell whether X_YETTO_SIGNATURE arrives/), fix: expect.stringMatching(/^make signed-request pass first/) })
    // Timing refusals is not timing answers.
    expect(check(checks, 'latency')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/^cannot measure: none of 4 signed requests for known customers was answered 2xx \(HTTP 401\)/) })
  })

  it('explains an endpoint that is not there', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const checks = await runConformance({ url: `http://127.0.0.1:${port}/`, secret: 's3cret', ...quick })
    expect(checks).toEqual([expect.objectContaining({ name: 'reachable', status: 'fail', reason: expect.stringMatching(/ECONNREFUSED/) })])
  })
})

describe('ckit conformance', () => {
  it('prints one line per check, --json and --junit; exit 1 on a failure', async () => {
    const mock = await startMock({ port: 0, secret: 's3cret', scenario: 'malformed-json' })
    mocks.push(mock)
    const run = await cli(['conformance', mock.url, '--secret', 's3cret', '--requests', '2', '--json'])
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout) as { ok: boolean; checks: { name: string; status: string }[] }
    expect(report.ok).toBe(false)
    expect(report.checks.find((c) => c.name === 'json')).toMatchObject({ status: 'fail' })
    const text = await cli(['conformance', mock.url, '--secret', 's3cret', '--requests', '2'])
    expect(text.stdout).toMatch(/✖ json +.*\n {4}fix: /)
    expect((await cli(['conformance', 'not-a-url', '--secret', 's'])).code).toBe(2)
  })

  it('an --emails file with no e-mail is a usage error, not a silent fallback to kelly@example.com', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckit-emails-'))
    const comments = join(dir, 'emails.txt')
    writeFileSync(comments, '# exported 2026-12-01\n\n')
    // Nothing is listening: a usage error must come before any request.
    for (const file of ['/dev/null', comments]) {
      const run = await cli(['conformance', 'http://127.0.0.1:9/yetto', '--secret', 's3cret', '--emails', file])
      expect(run.code, file).toBe(2)
      expect(run.stderr, file).toMatch(new RegExp(`--emails ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has no e-mail: write one known customer e-mail per line`))
    }
  })

  it('fails an endpoint with no freshness check and an HTML 404 page for unknown customers, with both fixes', async () => {
    const url = await endpoint({ parser: { toleranceSeconds: Infinity }, unknown: (res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>') })
    const run = await cli(['conformance', url, '--secret', 's3cret', '--requests', '2'])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/✖ rejects-stale +a correctly signed request \(reason conversation_viewed\) whose requested_at is 6 minutes old was answered HTTP 200 with data.*\n {4}fix: refuse a context whose requested_at is more than 5 minutes from now, in either direction and for every reason, with 401/)
    expect(run.stdout).toMatch(/✖ unknown-customer +nobody@unknown\.invalid got HTTP 404 \(Content-Type text\/html\) whose body is not JSON.*\n {4}fix: answer 404 with Content-Type: application\/json/)
    expect(run.stdout).toMatch(/\n2 of 15 checks failed\n$/)
  })
})

describe.each(['node-http-endpoint', 'fastify-endpoint'])('examples/%s', (example) => {
  it('passes every conformance check', async () => {
    const { match: url, child } = await spawnUntil(new URL(`../../examples/${example}/server.mjs`, import.meta.url).pathname, { PORT: '0', YETTO_SECRET: 'example-secret' }, /customer endpoint on (\S+)/)
    try {
      const checks = await runConformance({ url, secret: 'example-secret', ...quick })
      expect(checks.filter((c) => c.status === 'fail')).toEqual([])
    } finally {
      child.kill()
    }
  })
})

describe('the --json report', () => {
  it('matches its documented JSON Schema', async () => {
    const { readFileSync } = await import('node:fs')
    const { Ajv2020 } = await import('ajv/dist/2020.js')
    const schema = JSON.parse(readFileSync(new URL('../../docs/conformance-report.schema.json', import.meta.url), 'utf8')) as object
    const mock = await startMock({ port: 0, secret: 's3cret', scenario: 'delay:1600' })
    mocks.push(mock)
    const report = JSON.parse((await cli(['conformance', mock.url, '--secret', 's3cret', '--requests', '2', '--json'])).stdout) as unknown
    const check = new Ajv2020({ allErrors: true }).compile(schema)
    expect(check(report), JSON.stringify(check.errors)).toBe(true)
  })
})

describe('underscore hints', () => {
  it('say the header never arrives, and name every server with its setting', () => {
    const fix = underscoreFix(undefined)
    expect(fix).toMatch(/reading the header in either spelling cannot help/)
    for (const setting of ['underscores_in_headers on;', 'SetEnvIfNoCase ^X.YETTO.SIGNATURE$', 'header_map = "dangerous"', 'werkzeug, the Flask development server', 'waitress', 'runserver']) expect(fix).toContain(setting)
  })

  it.each([
    ['nginx/1.25.3', 'nginx'],
    ['Apache/2.4.58 (Debian)', 'Apache httpd'],
    ['gunicorn', 'gunicorn'],
    ['Werkzeug/3.1.8 Python/3.11.7', 'werkzeug'],
    ['waitress', 'waitress'],
  ])('Server: %s leads with %s', (server, name) => {
    expect(underscoreFix(server)).toContain(`The answer came from ${name} (Server: ${server}): ${UNDERSCORE_CULPRITS.find((c) => c.name === name)!.fix}.`)
  })

  it('wsgiref keeps the header, so its Server header names no culprit', () => {
    expect(underscoreFix('WSGIServer/0.2 CPython/3.11.7')).not.toMatch(/The answer came from/)
  })
})

describe('escapeXml', () => {
  it('writes what XML 1.0 forbids as visible escapes and keeps what it allows', () => {
    expect(escapeXml('a\u0000b\u001bc\u0007\ufffe\uffff')).toBe('a\\x00b\\x1bc\\x07\\ufffe\\uffff')
    expect(escapeXml('lone \ud800 and \udfff, a pair \ud83d\ude00')).toBe('lone \\ud800 and \\udfff, a pair \ud83d\ude00')
    expect(escapeXml('tab\tnl\ncr\r <&>"\'')).toBe('tab\tnl\ncr\r &lt;&amp;&gt;&quot;&apos;')
  })
})

describe('docs/conformance-report.schema.json', () => {
  it('lists exactly the checks that run, of both suites', () => {
    const schema = JSON.parse(readFileSync(new URL('../../docs/conformance-report.schema.json', import.meta.url), 'utf8')) as { properties: { checks: { items: { properties: { name: { enum: string[] } } } } } }
    expect(schema.properties.checks.items.properties.name.enum).toEqual([...CHECK_NAMES, ...PROBE_CHECK_NAMES])
  })
})

describe('exchange past the size cap (red team: gzip_big, exit 70 under load)', () => {
  it('a gzip body that decompresses to 2 MB settles as tooLarge for every parallel request, and each connection is closed', { timeout: 30_000 }, async () => {
    const body = gzipSync(Buffer.from(JSON.stringify({ version: '2024-03-06', customer: { id: 'c', pad: 'a'.repeat(2_000_000) }, sections: [] })))
    const sockets: Socket[] = []
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(body))
    server.on('connection', (socket) => sockets.push(socket))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const answers = await Promise.all(Array.from({ length: 24 }, () => exchange(url, {})))
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 200, tooLarge: true })
      expect(answer.body!.byteLength).toBeLessThanOrEqual(CONFORMANCE_DEFAULTS.maxResponseBytes)
    }
    // The abort tears the connection down rather than leaving a half-read body to keep it open.
    await expect.poll(() => sockets.filter((s) => !s.destroyed).length, { timeout: 5000 }).toBe(0)
  })
})
